import net from 'node:net';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { SupervisorError } from '../shared/errors.ts';
import { encodeJsonRpcMessage, JsonRpcLineDecoder } from './line-framer.ts';

/** How long `close()` waits for what was written to be flushed before the socket is destroyed. */
const CLOSE_TIMEOUT_MS = 1_000;

export interface SocketClientTransportOptions {
  /** The Unix socket a stdio bridge listens on. */
  path: string;
  /** How long `start()` may take to connect. */
  connectTimeoutMs: number;
  /** Longest message accepted; longer ones are dropped with `onerror`. */
  maxLineBytes?: number;
}

/**
 * An MCP client transport over a stdio bridge's Unix socket: newline-delimited JSON-RPC, the same
 * framing as MCP's stdio transport.
 *
 * `start()` connects; `onclose` fires exactly once, whether `close()` was called or the bridge
 * went away; a malformed line is reported to `onerror` and skipped.
 */
export class SocketClientTransport implements Transport {
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
    this.#socket?.uncork();
  };

  readonly #path: string;
  readonly #connectTimeoutMs: number;
  readonly #decoder: JsonRpcLineDecoder;
  #socket: net.Socket | undefined;
  #isStarted = false;
  #isClosed = false;

  constructor(options: SocketClientTransportOptions) {
    if (typeof options.path !== 'string' || options.path.length === 0) {
      throw new TypeError(`path must be a non-empty socket path, got ${JSON.stringify(options.path)}`);
    }
    if (!Number.isFinite(options.connectTimeoutMs) || options.connectTimeoutMs <= 0) {
      throw new RangeError(`connectTimeoutMs must be a positive number, got ${options.connectTimeoutMs}`);
    }
    this.#path = options.path;
    this.#connectTimeoutMs = options.connectTimeoutMs;
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
   * Connects to the socket. Rejects with `SERVER_UNAVAILABLE` when nothing listens there (the
   * server is not running) and `TIMEOUT` after `connectTimeoutMs`.
   */
  async start(): Promise<void> {
    if (this.#isStarted) {
      throw new Error('SocketClientTransport already started; a transport connects once (make a new one)');
    }
    this.#isStarted = true;
    this.#socket = await this.#connect();
  }

  /** Writes one message; resolves once it has been handed to the operating system. */
  send(message: JSONRPCMessage): Promise<void> {
    const socket = this.#socket;
    if (socket === undefined || this.#isClosed || !socket.writable) {
      return Promise.reject(
        new SupervisorError(
          'SERVER_UNAVAILABLE',
          `not connected to ${this.#path}; the server's bridge has gone`,
        ),
      );
    }
    return new Promise((resolve, reject) => {
      // The callback runs when the data is flushed, so awaiting send() respects backpressure, and
      // runs with an error if the socket is destroyed first, so no send is left hanging.
      socket.write(encodeJsonRpcMessage(message), (error) => {
        if (error) {
          reject(
            new SupervisorError('SERVER_UNAVAILABLE', `sending to ${this.#path} failed: ${error.message}`, {
              cause: error,
            }),
          );
        } else {
          resolve();
        }
      });
    });
  }

  /**
   * Writes one message without waiting for it to be flushed; throws SERVER_UNAVAILABLE when the
   * socket is gone. Messages written in the same turn of the event loop leave in one system call
   * (the socket is corked until the turn's I/O callbacks have run), so requests that arrive
   * together on many downstream connections reach the server together.
   */
  write(message: JSONRPCMessage): void {
    const socket = this.#socket;
    if (socket === undefined || this.#isClosed || !socket.writable) {
      throw new SupervisorError(
        'SERVER_UNAVAILABLE',
        `not connected to ${this.#path}; the server's bridge has gone`,
      );
    }
    if (!this.#isCorked) {
      this.#isCorked = true;
      socket.cork();
      setImmediate(this.#uncork);
    }
    socket.write(encodeJsonRpcMessage(message));
  }

  /**
   * Ends the connection: what was written is flushed and the server's input ends, then the socket
   * is destroyed without waiting for the server to close its end (the connection is the server's
   * stdin and stdout, and many servers run on after their input ends). Resolves when it is closed
   * (after `onclose`).
   */
  async close(): Promise<void> {
    const socket = this.#socket;
    if (socket === undefined || socket.destroyed) {
      this.#handleClose();
      return;
    }
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    socket.end(() => socket.destroy());
    // A server that does not read keeps the flush from finishing.
    const timer = setTimeout(() => socket.destroy(), CLOSE_TIMEOUT_MS);
    timer.unref();
    await closed;
    clearTimeout(timer);
  }

  #connect(): Promise<net.Socket> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ path: this.#path });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(
          new SupervisorError(
            'TIMEOUT',
            `connecting to ${this.#path} took more than ${this.#connectTimeoutMs} ms; is the server's bridge stuck?`,
          ),
        );
      }, this.#connectTimeoutMs);
      timer.unref();
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.removeAllListeners('error');
        // Listeners are attached before anything else can run, so no error goes unhandled.
        socket.on('data', (chunk: Buffer) => this.#decoder.push(chunk));
        socket.on('error', (error) => this.onerror?.(error));
        socket.once('close', () => this.#handleClose());
        resolve(socket);
      });
      socket.once('error', (error: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        reject(connectError(this.#path, error));
      });
    });
  }

  #handleClose(): void {
    if (this.#isClosed) return;
    this.#isClosed = true;
    this.#decoder.reset();
    this.onclose?.();
  }
}

function connectError(socketPath: string, error: NodeJS.ErrnoException): SupervisorError {
  const reason =
    error.code === 'ENOENT'
      ? 'no socket there; the server is not running (or has not started yet)'
      : error.code === 'ECONNREFUSED'
        ? 'connection refused; the server is not running (a stale socket file)'
        : error.message;
  return new SupervisorError('SERVER_UNAVAILABLE', `cannot connect to ${socketPath}: ${reason}`, {
    cause: error,
    details: { socketPath, errno: error.code },
  });
}
