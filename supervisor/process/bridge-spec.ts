import { randomBytes } from 'node:crypto';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { SupervisorError } from '../shared/errors.ts';

/**
 * Unix socket paths are limited to 108 bytes on Linux and 104 on macOS, terminator included, so a
 * longer path fails at `listen()` with an unhelpful EINVAL; it is refused here instead.
 */
export const MAX_SOCKET_PATH_BYTES = 103;

/**
 * What the supervisor tells one bridge process to run. It is written to a file (mode 0600: `env`
 * may hold secrets) and its path is the bridge's only argument, because PM2 passes arguments and
 * environment through its daemon, where they would be visible and inherited.
 */
export interface BridgeSpec {
  /** The server's name, used in the bridge's own messages. */
  name: string;
  /** Executable to run, looked up on `env.PATH`. */
  command: string;
  args: string[];
  cwd?: string | undefined;
  /** The child's complete environment; the bridge's own environment is not inherited. */
  env: Record<string, string>;
  /**
   * Where to expose the child's stdin/stdout. Absent for an HTTP server run from a command,
   * whose stdout then goes to the bridge's stdout (the server's log).
   */
  socketPath?: string | undefined;
  /** Time the child's process group gets between SIGTERM and SIGKILL. */
  killTimeoutMs: number;
}

const SPEC_KEYS = new Set(['name', 'command', 'args', 'cwd', 'env', 'socketPath', 'killTimeoutMs']);

/**
 * Validates a parsed spec; throws `CONFIG_INVALID` naming every bad field. Pure.
 *
 * Checked by hand rather than with zod: one bridge runs per server, and leaving zod (and the
 * config parser) out of its imports keeps each bridge process ~28 MB smaller.
 */
export function parseBridgeSpec(raw: unknown, source = 'bridge spec'): BridgeSpec {
  const problems: string[] = [];
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    problems.push('expected an object');
  } else {
    const spec = raw as Record<string, unknown>;
    const isText = (value: unknown) => typeof value === 'string' && value.length > 0;
    for (const key of Object.keys(spec)) if (!SPEC_KEYS.has(key)) problems.push(`unknown key "${key}"`);
    if (!isText(spec.name)) problems.push('name: expected a non-empty string');
    if (!isText(spec.command)) problems.push('command: expected a non-empty string');
    if (!Array.isArray(spec.args)) problems.push('args: expected an array of strings');
    else {
      for (const [i, arg] of spec.args.entries()) {
        if (typeof arg !== 'string') problems.push(`args[${i}]: expected string`);
      }
    }
    if (spec.cwd !== undefined && !isText(spec.cwd)) problems.push('cwd: expected a non-empty string');
    if (typeof spec.env !== 'object' || spec.env === null || Array.isArray(spec.env)) {
      problems.push('env: expected an object of strings');
    } else {
      for (const [key, value] of Object.entries(spec.env)) {
        if (typeof value !== 'string') problems.push(`env.${key}: expected string`);
      }
    }
    if (spec.socketPath !== undefined) {
      if (typeof spec.socketPath !== 'string' || !path.isAbsolute(spec.socketPath)) {
        problems.push('socketPath: must be an absolute path');
      } else if (Buffer.byteLength(spec.socketPath) > MAX_SOCKET_PATH_BYTES) {
        problems.push(
          `socketPath: must be at most ${MAX_SOCKET_PATH_BYTES} bytes (a Unix socket path limit); use a shorter run directory`,
        );
      }
    }
    const timeout = spec.killTimeoutMs;
    if (typeof timeout !== 'number' || !Number.isInteger(timeout) || timeout < 1 || timeout > 600_000) {
      problems.push('killTimeoutMs: expected an integer from 1 to 600000');
    }
  }
  if (problems.length > 0) {
    throw new SupervisorError('CONFIG_INVALID', `${source} is invalid:\n  ${problems.join('\n  ')}`, {
      details: { problems },
    });
  }
  const spec = raw as BridgeSpec;
  return {
    name: spec.name,
    command: spec.command,
    args: [...spec.args],
    ...(spec.cwd !== undefined ? { cwd: spec.cwd } : {}),
    env: { ...spec.env },
    ...(spec.socketPath !== undefined ? { socketPath: spec.socketPath } : {}),
    killTimeoutMs: spec.killTimeoutMs,
  };
}

/**
 * Reads and validates a spec file. Throws `CONFIG_NOT_FOUND` when the file is missing and
 * `CONFIG_INVALID` when it is not JSON or not a valid spec.
 */
export async function readBridgeSpec(
  file: string,
  options: { signal?: AbortSignal } = {},
): Promise<BridgeSpec> {
  let text: string;
  try {
    text = await readFile(file, { encoding: 'utf8', signal: options.signal });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new SupervisorError('CONFIG_NOT_FOUND', `bridge spec ${file} does not exist`, { cause: error });
    }
    throw error;
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new SupervisorError(
      'CONFIG_INVALID',
      `bridge spec ${file} is not valid JSON: ${(error as Error).message}`,
      {
        cause: error,
      },
    );
  }
  return parseBridgeSpec(raw, `bridge spec ${file}`);
}

/**
 * Writes a spec atomically (temp file + rename) with mode 0600, so a bridge never reads a half
 * written spec and other users never read the child's environment.
 */
export async function writeBridgeSpec(
  file: string,
  spec: BridgeSpec,
  options: { signal?: AbortSignal } = {},
): Promise<void> {
  const valid = parseBridgeSpec(spec);
  const temp = `${file}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    await writeFile(temp, `${JSON.stringify(valid, null, 2)}\n`, { mode: 0o600, signal: options.signal });
    await rename(temp, file);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}
