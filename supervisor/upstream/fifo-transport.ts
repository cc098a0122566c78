import { closeSync, constants, open, openSync, rmSync } from 'node:fs';
import net from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { SupervisorError } from '../shared/errors.ts';
import { encodeJsonRpcMessage, JsonRpcLineDecoder } from './line-framer.ts';

/** How long `close()` waits for what was written to be flushed before the pipe is closed. */
const CLOSE_TIMEOUT_MS = 1_000;
/** First and longest pause between attempts to open the server's stdin (see `start()`). */
const FIRST_OPEN_RETRY_MS = 1;
const MAX_OPEN_RETRY_MS = 25;

export interface FifoClientTransportOptions {
  /** The FIFO the server reads as its stdin; this transport is its only writer. */
  stdinPath: string;
  /** The FIFO the server writes as its stdout; this transport is its only reader. */
  stdoutPath: string;
  /** How long `start()` may wait for the server to open its ends. */
  connectTimeoutMs: number;
  /** Aborts a `start()` that is still waiting. */
  signal?: AbortSignal | undefined;
  /** Longest message accepted; longer ones are dropped with `onerror`. */
  maxLineBytes?: number;
}

/**
 * An MCP client transport over the FIFO pair a stdio server was started with (see
 * `process/server-launch.ts`): newline-delimited JSON-RPC, the same framing as MCP's stdio
 * transport, with no process between the supervisor and the server.
 *
 * `start()` opens both ends without ever blocking a thread: the stdout FIFO for reading with
 * O_NONBLOCK (which succeeds at once), then the stdin FIFO for writing with O_NONBLOCK, which fails
 * with ENXIO until the server's shell has opened it for reading and so is retried briefly. The
 * shell opens stdout before stdin, so once both opens succeed the server holds both of its ends:
 * the FIFO files are unlinked (no one else can ever join the pair), and each end behaves as a
 * pipe: the server reads EOF when this transport closes or the supervisor dies, and this transport
 * reads EOF when the server (and every child it gave its stdout to) has exited.
 *
 * `onclose` fires exactly once, whether `close()` was called or the server went away; a malformed
 * line is reported to `onerror` and skipped.
 */
export class FifoClientTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: <T extends JSONRPCMessage>(message: T) => void;
  /**
   * Sees every message first, synchronously and in order; a message it returns true for is its own
   * and does not reach `onmessage` (see RequestChannel).
   */
  intercept?: (message: JSONRPCMessage) => boolean;
  #delivery: Promise<void> = Promise.resolve();
  #isCorked = false;
  readonly #uncork = () => {
    this.#isCorked = false;
    this.#input?.uncork();
  };

  readonly #options: FifoClientTransportOptions;
  readonly #decoder: JsonRpcLineDecoder;
  /** The server's stdin (we write). */
  #input: net.Socket | undefined;
  /** The server's stdout (we read). */
  #output: net.Socket | undefined;
  #isStarted = false;
  /** No more writes: `close()` was called or the pipes went away. */
  #isClosed = false;
  #hasReportedClose = false;

  constructor(options: FifoClientTransportOptions) {
    for (const key of ['stdinPath', 'stdoutPath'] as const) {
      if (typeof options[key] !== 'string' || options[key].length === 0) {
        throw new TypeError(`${key} must be a non-empty FIFO path, got ${JSON.stringify(options[key])}`);
      }
    }
    if (!Number.isFinite(options.connectTimeoutMs) || options.connectTimeoutMs <= 0) {
      throw new RangeError(`connectTimeoutMs must be a positive number, got ${options.connectTimeoutMs}`);
    }
    this.#options = options;
    this.#decoder = new JsonRpcLineDecoder({
      maxLineBytes: options.maxLineBytes,
      onError: (error) => this.onerror?.(error),
      onMessage: (message) => {
        if (this.intercept?.(message)) return;
        // One message per microtask, in order. The SDK runs a notification's handler a microtask
        // after receiving it but settles a response at once, so the last progress notification
        // of a call, arriving in the same chunk as its result, would find its handler gone
        // (typescript-sdk#2580). Chaining lets each handler run before the next message.
        this.#delivery = this.#delivery.then(() => {
          try {
            this.onmessage?.(message);
          } catch (error) {
            // A failing handler must not stop the other messages of the same chunk.
            this.onerror?.(error instanceof Error ? error : new Error(String(error)));
          }
        });
      },
    });
  }

  /**
   * Opens the pair. Rejects with `SERVER_UNAVAILABLE` when a FIFO does not exist (the server was
   * not started, or this pair was used already) and `TIMEOUT` when the server has not opened its
   * stdin within `connectTimeoutMs`; with the signal's reason when it aborts.
   */
  async start(): Promise<void> {
    if (this.#isStarted) {
      throw new Error(
        'FifoClientTransport already started; a FIFO pair serves one connection (make a new one)',
      );
    }
    this.#isStarted = true;
    const { stdinPath, stdoutPath } = this.#options;
    const outputFd = await openFd(stdoutPath, constants.O_RDONLY | constants.O_NONBLOCK);
    let inputFd: number;
    try {
      inputFd = await this.#openStdin();
    } catch (error) {
      closeFd(outputFd);
      throw error;
    }
    // Both ends are held now; the names are no longer needed, and no one else may open them.
    for (const file of [stdinPath, stdoutPath]) rmSync(file, { force: true });
    if (this.#isClosed) {
      closeFd(inputFd);
      closeFd(outputFd);
      throw unavailable(`the transport to ${stdinPath} was closed while it started`);
    }
    const output = new net.Socket({ fd: outputFd, readable: true, writable: false });
    const input = new net.Socket({ fd: inputFd, readable: false, writable: true });
    this.#output = output;
    this.#input = input;
    // Listeners are attached before anything else can run, so no error goes unhandled.
    output.on('data', (chunk: Buffer) => this.#decoder.push(chunk));
    output.on('error', (error) => this.onerror?.(error));
    output.once('close', () => {
      input.destroy();
      this.#handleClose();
    });
    // EPIPE once the server is gone; its stdout's EOF closes the transport.
    input.on('error', (error) => {
      if ((error as NodeJS.ErrnoException).code !== 'EPIPE') this.onerror?.(error);
      input.destroy();
    });
    input.once('close', () => output.destroy());
  }

  /** Writes one message; resolves once it has been handed to the operating system. */
  send(message: JSONRPCMessage): Promise<void> {
    const input = this.#writableInput();
    if (input === undefined) return Promise.reject(this.#notConnected());
    return new Promise((resolve, reject) => {
      // The callback runs when the data is flushed, so awaiting send() respects backpressure, and
      // runs with an error if the pipe is closed first, so no send is left hanging.
      input.write(encodeJsonRpcMessage(message), (error) => {
        if (error) {
          reject(unavailable(`sending to ${this.#options.stdinPath} failed: ${error.message}`, error));
        } else {
          resolve();
        }
      });
    });
  }

  /**
   * Writes one message without waiting for it to be flushed; throws SERVER_UNAVAILABLE when the
   * pipe is gone. Messages written in the same turn of the event loop leave in one system call
   * (the pipe is corked until the turn's I/O callbacks have run), so requests that arrive
   * together on many downstream connections reach the server together.
   */
  write(message: JSONRPCMessage): void {
    const input = this.#writableInput();
    if (input === undefined) throw this.#notConnected();
    if (!this.#isCorked) {
      this.#isCorked = true;
      input.cork();
      setImmediate(this.#uncork);
    }
    input.write(encodeJsonRpcMessage(message));
  }

  /**
   * Ends the server's input: what was written is flushed, then both pipes are closed without
   * waiting for the server to close its stdout (many servers run on after their input ends).
   * Resolves when it is closed (after `onclose`).
   */
  async close(): Promise<void> {
    this.#isClosed = true;
    const input = this.#input;
    const output = this.#output;
    if (input === undefined || output === undefined || output.destroyed) {
      input?.destroy();
      this.#handleClose();
      return;
    }
    const closed = new Promise<void>((resolve) => output.once('close', () => resolve()));
    input.end(() => input.destroy());
    // A server that does not read keeps the flush from finishing.
    const timer = setTimeout(() => input.destroy(), CLOSE_TIMEOUT_MS);
    timer.unref();
    await closed;
    clearTimeout(timer);
  }

  /**
   * Opens the server's stdin for writing. With O_NONBLOCK the open never waits (a blocking open
   * would hold a libuv thread until the server opens its end, with no way to cancel it): it fails
   * with ENXIO while no reader has the FIFO open, so it is retried with a short, growing pause.
   */
  async #openStdin(): Promise<number> {
    const { stdinPath, connectTimeoutMs, signal } = this.#options;
    const deadline = Date.now() + connectTimeoutMs;
    let pauseMs = FIRST_OPEN_RETRY_MS;
    for (;;) {
      signal?.throwIfAborted();
      if (this.#isClosed) throw unavailable(`the transport to ${stdinPath} was closed while it started`);
      try {
        // A non-blocking open is one quick system call: no thread pool round trip needed.
        return openSync(stdinPath, constants.O_WRONLY | constants.O_NONBLOCK);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENXIO') throw openError(stdinPath, error);
      }
      if (Date.now() >= deadline) {
        throw new SupervisorError(
          'TIMEOUT',
          `the server did not open its stdin (${stdinPath}) within ${connectTimeoutMs} ms; see its log for why`,
        );
      }
      try {
        await delay(pauseMs, undefined, signal ? { signal } : {});
      } catch (error) {
        // Rejected with the signal's own reason, not a generic AbortError.
        signal?.throwIfAborted();
        throw error;
      }
      pauseMs = Math.min(MAX_OPEN_RETRY_MS, pauseMs * 2);
    }
  }

  #writableInput(): net.Socket | undefined {
    const input = this.#input;
    return input === undefined || this.#isClosed || !input.writable ? undefined : input;
  }

  #notConnected(): SupervisorError {
    return unavailable(`not connected to ${this.#options.stdinPath}; the server has gone`);
  }

  #handleClose(): void {
    if (this.#hasReportedClose) return;
    this.#hasReportedClose = true;
    this.#isClosed = true;
    this.#decoder.reset();
    this.onclose?.();
  }
}

function openFd(file: string, flags: number): Promise<number> {
  return new Promise((resolve, reject) => {
    open(file, flags, (error, fd) => (error ? reject(openError(file, error)) : resolve(fd)));
  });
}

function closeFd(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // Already closed.
  }
}

function unavailable(message: string, cause?: unknown): SupervisorError {
  return new SupervisorError('SERVER_UNAVAILABLE', message, cause === undefined ? undefined : { cause });
}

function openError(file: string, error: unknown): SupervisorError {
  const code = (error as NodeJS.ErrnoException).code;
  const reason =
    code === 'ENOENT'
      ? 'no FIFO there; the server is not running (or this FIFO pair was used already)'
      : (error as Error).message;
  return new SupervisorError('SERVER_UNAVAILABLE', `cannot open ${file}: ${reason}`, {
    cause: error,
    details: { file, errno: code },
  });
}
