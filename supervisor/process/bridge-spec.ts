import { randomBytes } from 'node:crypto';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { formatIssues } from '../config/parse.ts';
import { SupervisorError } from '../errors.ts';

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
export const bridgeSpecSchema = z
  .object({
    /** The server's name, used in the bridge's own messages. */
    name: z.string().min(1),
    /** Executable to run, looked up on `env.PATH`. */
    command: z.string().min(1),
    args: z.array(z.string()),
    cwd: z.string().min(1).optional(),
    /** The child's complete environment; the bridge's own environment is not inherited. */
    env: z.record(z.string(), z.string()),
    /**
     * Where to expose the child's stdin/stdout. Absent for an HTTP server run from a command,
     * whose stdout then goes to the bridge's stdout (the server's log).
     */
    socketPath: z
      .string()
      .refine((value) => path.isAbsolute(value), 'must be an absolute path')
      .refine(
        (value) => Buffer.byteLength(value) <= MAX_SOCKET_PATH_BYTES,
        `must be at most ${MAX_SOCKET_PATH_BYTES} bytes (a Unix socket path limit); use a shorter run directory`,
      )
      .optional(),
    /** Time the child's process group gets between SIGTERM and SIGKILL. */
    killTimeoutMs: z.number().int().positive().max(600_000),
  })
  .strict();

export type BridgeSpec = z.infer<typeof bridgeSpecSchema>;

/** Validates a parsed spec; throws `CONFIG_INVALID` naming every bad field. Pure. */
export function parseBridgeSpec(raw: unknown, source = 'bridge spec'): BridgeSpec {
  const result = bridgeSpecSchema.safeParse(raw);
  if (!result.success) {
    const problems = formatIssues(result.error.issues);
    throw new SupervisorError('CONFIG_INVALID', `${source} is invalid:\n  ${problems.join('\n  ')}`, {
      details: { problems },
    });
  }
  return result.data;
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
