import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import type { BridgeSpec } from '../../../supervisor/process/bridge-spec.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
export const ROOT = path.resolve(here, '../../..');
export const BRIDGE_SCRIPT = path.join(ROOT, 'supervisor/process/bridge.ts');
export const FIXTURES = path.join(here, 'fixtures');
export const EVERYTHING_SERVER = path.join(
  ROOT,
  'node_modules/@modelcontextprotocol/server-everything/dist/index.js',
);

export interface RunningBridge {
  process: ChildProcess;
  /** Everything the bridge wrote to stderr so far. */
  stderr(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * Starts bridges as real processes in a temp directory and cleans up after them: the bridges, and
 * every pid registered with `trackPid` (grandchildren of tests that might fail half way).
 */
export class BridgeHarness {
  dir = '';
  readonly #bridges: RunningBridge[] = [];
  readonly #pids: number[] = [];

  async setup(): Promise<void> {
    // A short prefix: Unix socket paths are limited to ~104 bytes.
    this.dir = await mkdtemp(path.join(os.tmpdir(), 'mcps-br-'));
  }

  /** A spec with a minimal environment; `socketPath` defaults to one in the temp dir. */
  spec(overrides: Partial<BridgeSpec> & Pick<BridgeSpec, 'command' | 'args'>): BridgeSpec {
    return {
      name: 'test',
      env: { PATH: process.env.PATH ?? '', HOME: os.homedir() },
      socketPath: path.join(this.dir, 's.sock'),
      killTimeoutMs: 2_000,
      ...overrides,
    };
  }

  async start(spec: BridgeSpec, env: NodeJS.ProcessEnv = process.env): Promise<RunningBridge> {
    const specFile = path.join(this.dir, `spec-${this.#bridges.length}.json`);
    await writeFile(specFile, JSON.stringify(spec), { mode: 0o600 });
    const child = spawn(process.execPath, [BRIDGE_SCRIPT, specFile], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr!.setEncoding('utf8').on('data', (text: string) => {
      stderr += text;
    });
    child.stdout!.resume();
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
      child.once('close', (code, signal) => resolve({ code, signal }));
    });
    const bridge = { process: child, stderr: () => stderr, exited };
    this.#bridges.push(bridge);
    return bridge;
  }

  trackPid(pid: number): void {
    this.#pids.push(pid);
  }

  async cleanup(): Promise<void> {
    for (const bridge of this.#bridges.splice(0)) {
      if (bridge.process.exitCode === null && bridge.process.signalCode === null)
        bridge.process.kill('SIGKILL');
      await Promise.race([bridge.exited, delay(5_000)]);
    }
    for (const pid of this.#pids.splice(0)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Already gone, which is what the tests expect.
      }
    }
    if (this.dir) await rm(this.dir, { recursive: true, force: true });
  }
}

/** Polls until `check` returns a value other than undefined, or fails after `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 10_000,
) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await delay(25);
  }
}

export function waitForFile(file: string, timeoutMs?: number): Promise<string> {
  return waitFor(
    file,
    async () => {
      try {
        await stat(file);
        return file;
      } catch {
        return undefined;
      }
    },
    timeoutMs,
  );
}

export async function readPidFile(file: string): Promise<number> {
  await waitFor(`a pid in ${file}`, async () =>
    (await readFile(file, 'utf8').catch(() => '')) ? true : undefined,
  );
  return Number(await readFile(file, 'utf8'));
}

/**
 * Whether a process exists and is not a zombie. A killed orphan is reaped by PID 1, which in some
 * containers never happens, so a zombie counts as gone.
 */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return process.platform !== 'linux';
  }
}
