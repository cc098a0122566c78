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
  const logger = pino(
    {
      level: options.level,
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      base: { pid: process.pid },
    },
    transport,
  );
  const close = () =>
    new Promise<void>((resolve) => {
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
  return { logger, close };
}
