import { once } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import pino from 'pino';

/**
 * The one logger type of the supervisor: the subset of pino every module calls, so a pino
 * instance fits as is and tests pass {@link silentLogger} (or a recording fake).
 */
export interface Logger {
  debug(obj: object | string, msg?: string): void;
  info(obj: object | string, msg?: string): void;
  warn(obj: object | string, msg?: string): void;
  error(obj: object | string, msg?: string): void;
}

const noop = (): void => {};

/** A logger that writes nothing: the default for modules given none. */
export const silentLogger: Logger = { debug: noop, info: noop, warn: noop, error: noop };

/**
 * Paths whose values never reach a log line: server env and headers (tokens live there), bearer
 * tokens and authorization headers wherever they appear.
 */
export const REDACT_PATHS = [
  'env',
  'headers',
  'token',
  'authorization',
  '*.env',
  '*.headers',
  '*.token',
  '*.authorization',
  '*.Authorization',
  'req.headers.authorization',
  'config.mcpServers.*.env',
  'config.mcpServers.*.headers',
  'spec.env',
];

export interface LoggerOptions {
  level: string;
  /** `pretty` forces human output on stdout; `json` writes JSON lines there. */
  format: 'json' | 'pretty';
  /** Directory for the rotated `supervisor.N.log` files; omitted in tests and one-shot commands. */
  logDir?: string;
  /** Whether to echo to stdout as well (the foreground `start`). */
  toStdout: boolean;
}

/**
 * The supervisor's logger: JSON lines into `<logDir>/supervisor.N.log` (rotated daily or at
 * 10 MB, 14 files kept, `current.log` links to the newest), plus stdout — pretty when asked for or
 * when stdout is a terminal. Secrets are redacted before anything is written.
 */
export function createLogger(options: LoggerOptions): { logger: Logger; close: () => Promise<void> } {
  const targets: pino.TransportTargetOptions[] = [];
  if (options.logDir) {
    // pino-roll links current.log right after sonic-boom starts creating the folder, without
    // waiting: on a fresh home the link raced the mkdir (about one start in three), the writer's
    // thread died with ENOENT, every line was lost, and the next flush blocked the main thread for
    // 10 s ("_flushSync took too long") — a start failure took 10 s and ended in a stack trace.
    fs.mkdirSync(options.logDir, { recursive: true, mode: 0o700 });
    targets.push({
      target: 'pino-roll',
      level: options.level,
      options: {
        file: path.join(options.logDir, 'supervisor'),
        extension: '.log',
        frequency: 'daily',
        size: '10m',
        mkdir: true,
        symlink: true,
        limit: { count: 14 },
      },
    });
  }
  if (options.toStdout) {
    const isPretty = options.format === 'pretty' || (options.format !== 'json' && process.stdout.isTTY);
    targets.push(
      isPretty
        ? {
            target: 'pino-pretty',
            level: options.level,
            options: { destination: 1, colorize: process.stdout.isTTY },
          }
        : { target: 'pino/file', level: options.level, options: { destination: 1 } },
    );
  }
  if (targets.length === 0 || options.level === 'silent') {
    return { logger: silentLogger, close: async () => {} };
  }
  const transport = pino.transport({ targets });
  // A writer that fails (a full disk, a folder removed) must not take the supervisor down with an
  // unhandled 'error' event: say so once, on stderr, the last channel left.
  transport.on('error', (error: Error) => {
    process.stderr.write(`mcp-supervisor: the log writer failed: ${error.message}\n`);
  });
  const logger = pino(
    {
      level: options.level,
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      base: { pid: process.pid },
    },
    transport,
  );
  const close = async () => {
    // Ending waits, synchronously, for the writer's thread to read what is buffered: a thread that
    // never became ready (or died) would block the main thread for 10 s. Give it 2 s to be ready.
    if (!(await isWriterReady(transport, 2_000))) return;
    await new Promise<void>((resolve) => {
      // The transport runs in a worker thread that pino unrefs: hold the process open (ref) while
      // it flushes its files and exits, with a bound in case the worker is stuck.
      const timer = setTimeout(resolve, 2_000);
      (transport as unknown as { ref?: () => void }).ref?.();
      transport.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
      logger.flush();
      transport.end();
    });
  };
  return { logger, close };
}

/** Whether pino's transport thread is ready (now or within `timeoutMs`), false if it closed or failed. */
async function isWriterReady(
  transport: ReturnType<typeof pino.transport>,
  timeoutMs: number,
): Promise<boolean> {
  const stream = transport as unknown as { ready?: boolean; closed?: boolean; destroyed?: boolean };
  if (stream.ready) return true;
  if (stream.closed || stream.destroyed) return false;
  const signal = AbortSignal.timeout(timeoutMs);
  return Promise.race([
    once(transport, 'ready', { signal }).then(() => true),
    once(transport, 'close', { signal }).then(() => false),
  ]).catch(() => false);
}
