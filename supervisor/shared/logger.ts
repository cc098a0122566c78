import { once } from 'node:events';
import fs from 'node:fs';
import { createRequire } from 'node:module';
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

/** A SonicBoom stream, as pino-roll and `pino.destination` return it. */
type SonicStream = pino.DestinationStream & NodeJS.EventEmitter & { flushSync(): void; end(): void };

const require = createRequire(import.meta.url);
/** What waits for a stdout nobody reads is dropped past this, not held. */
const MAX_BUFFERED_BYTES = 16 * 1024 * 1024;
const CLOSE_TIMEOUT_MS = 2_000;

/**
 * The supervisor's logger: JSON lines into `<logDir>/supervisor.N.log` (rotated daily or at
 * 10 MB, 14 files kept, `current.log` links to the newest), plus stdout — pretty when asked for or
 * when stdout is a terminal. Secrets are redacted before anything is written.
 *
 * Everything is written from the main thread, through SonicBoom streams (pino-roll's own, and
 * pino's for stdout). pino's transports would run the same streams in a worker thread, and a
 * worker is a whole second V8 isolate: ~23 MiB of the supervisor's idle RSS. The file is written
 * synchronously, one `write(2)` per line (measured ~2 µs more per line than handing it to the
 * worker; the gateway logs nothing per request): a line is in the kernel when the call returns, so
 * neither `process.exit()`, an uncaught exception nor a SIGKILL loses what was logged, and nothing
 * piles up in memory. Stdout is written asynchronously, so a terminal or pipe that does not read
 * never stalls the supervisor: past {@link MAX_BUFFERED_BYTES} its lines are dropped (the file
 * keeps them), and what is buffered is flushed at exit. A failing writer says so once on stderr
 * and never takes the supervisor down.
 */
export async function createLogger(
  options: LoggerOptions,
): Promise<{ logger: Logger; close: () => Promise<void> }> {
  if (options.level === 'silent' || (!options.logDir && !options.toStdout)) {
    return { logger: silentLogger, close: async () => {} };
  }
  /** What pino writes to, and the SonicBoom stream that ends up writing it (the same, but pretty). */
  const outputs: { sink: pino.DestinationStream & { end(): void }; sonic: SonicStream }[] = [];
  let isExiting = false;
  if (options.logDir) {
    // pino-roll links current.log as soon as the stream starts creating its folder, without
    // waiting for it: on a fresh home the link could race the mkdir. Create it first.
    fs.mkdirSync(options.logDir, { recursive: true, mode: 0o700 });
    const roll = require('pino-roll') as (options: object) => Promise<SonicStream>;
    const sonic = await roll({
      file: path.join(options.logDir, 'supervisor'),
      extension: '.log',
      frequency: 'daily',
      size: '10m',
      symlink: true,
      limit: { count: 14 },
      sync: true,
    });
    outputs.push({ sink: sonic, sonic });
  }
  if (options.toStdout) {
    const isPretty = options.format === 'pretty' || (options.format !== 'json' && process.stdout.isTTY);
    const sonic = pino.destination({
      dest: 1,
      sync: false,
      maxLength: MAX_BUFFERED_BYTES,
      // A full pipe is retried while running; at exit, a reader that never reads must not hold it.
      retryEAGAIN: () => !isExiting,
    }) as SonicStream;
    // pino-pretty only when it is used: it is a module tree of its own.
    const sink = isPretty
      ? (await import('pino-pretty')).default({ destination: sonic, colorize: process.stdout.isTTY })
      : sonic;
    outputs.push({ sink, sonic });
  }
  const reported = new Set<string>();
  const report = (what: string) => {
    if (reported.has(what)) return;
    reported.add(what);
    process.stderr.write(`mcp-supervisor: ${what}\n`);
  };
  for (const { sonic } of outputs) {
    // A writer that fails (a full disk, a folder removed) must not take the supervisor down with an
    // unhandled 'error' event: say so once, on stderr, the last channel left.
    sonic.on('error', (error: Error) => report(`the log writer failed: ${error.message}`));
    sonic.on('drop', () => report(`log lines dropped on stdout: over ${MAX_BUFFERED_BYTES} bytes unread`));
  }
  const flushAtExit = () => {
    isExiting = true;
    for (const { sonic } of outputs) {
      try {
        sonic.flushSync();
      } catch {
        // A writer that failed has said so already; nothing more can be done at exit.
      }
    }
  };
  process.on('exit', flushAtExit);
  const logger = pino(
    {
      level: options.level,
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      base: { pid: process.pid },
    },
    outputs.length === 1
      ? (outputs[0]?.sink as pino.DestinationStream)
      : pino.multistream(outputs.map(({ sink }) => sink)),
  );
  const close = async () => {
    process.off('exit', flushAtExit);
    await Promise.all(
      outputs.map(async ({ sink, sonic }) => {
        const closed = once(sonic, 'close', { signal: AbortSignal.timeout(CLOSE_TIMEOUT_MS) });
        try {
          sink.end();
          await closed;
        } catch {
          // Not closed in time, or it failed: what it could not write is lost either way.
        }
      }),
    );
  };
  return { logger, close };
}
