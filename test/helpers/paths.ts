import { createRequire } from 'node:module';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);

/** The repository root. */
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/** The CLI entry, run with `process.execPath` (the Node 24 that npm scripts and vitest use). */
export const CLI_FILE = path.join(ROOT, 'supervisor/bin/mcp-supervisor.js');

/** Absolute path of an installed package's file (no `npx`: tests never download anything). */
export function packageFile(pkg: string, file: string): string {
  return path.join(path.dirname(require.resolve(`${pkg}/package.json`)), file);
}

export const SERVER_EVERYTHING = packageFile('@modelcontextprotocol/server-everything', 'dist/index.js');
export const SERVER_MEMORY = packageFile('@modelcontextprotocol/server-memory', 'dist/index.js');
export const SERVER_FILESYSTEM = packageFile('@modelcontextprotocol/server-filesystem', 'dist/index.js');

/** A TCP port that was free a moment ago on 127.0.0.1. */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** `promise`, or a failure once `ms` have passed saying what did not settle (`what` is read then). */
export function withDeadline<T>(promise: Promise<T>, ms: number, what: string | (() => string)): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      reject(new Error(`${typeof what === 'string' ? what : what()} did not finish within ${ms} ms`));
    }, ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

/**
 * Polls `probe` until it returns something other than `undefined`, or fails after `timeoutMs` with
 * `what` and the last value seen by `describeLast`.
 */
export async function waitFor<T>(
  probe: () => Promise<T | undefined> | T | undefined,
  options: { timeoutMs?: number; intervalMs?: number; what: string; describeLast?: () => string },
): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    await sleep(options.intervalMs ?? 100);
  }
  const last = options.describeLast?.() ?? (lastError ? String(lastError) : '');
  throw new Error(
    `timed out after ${options.timeoutMs ?? 30_000} ms waiting for ${options.what}${last ? `; last: ${last}` : ''}`,
  );
}
