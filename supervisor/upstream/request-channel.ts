import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { refusalError } from '../shared/refusals.ts';
import { MAX_TIMER_MS } from '../shared/timers.ts';
import { UpstreamRpcError } from '../shared/upstream-error.ts';

export type ChannelRequestOptions = {
  /** Answering stops, and the server gets `notifications/cancelled`, when this aborts. */
  signal?: AbortSignal;
  /** Time to answer; reset by each progress notification, as a long call reports it. */
  timeoutMs: number;
  /** Asks the server for progress (its own `_meta.progressToken`) and receives each notification. */
  onProgress?: (progress: Record<string, unknown>) => void;
};

type Pending = {
  readonly id: string;
  readonly resolve: (result: Record<string, unknown>) => void;
  readonly reject: (error: unknown) => void;
  readonly options: ChannelRequestOptions;
  timer: NodeJS.Timeout | undefined;
  onAbort: (() => void) | undefined;
  /** The last progress value passed on; MCP progress only increases. */
  lastProgress: number;
};

/**
 * Forwards requests to a server as plain JSON-RPC over the connection its SDK `Client` already
 * uses, beside that client: ids of its own (strings; the SDK's are numbers), the server's answer
 * handed back unparsed — no schema check, no re-wrapping — and the progress, cancel and timeout
 * handling the SDK's `request()` gives. The SDK client keeps everything else on the connection:
 * initialize, ping, list refreshes, server→client requests and other notifications.
 *
 * Measured reason: the SDK's per-request promises, timers and zod passes were a large part of the
 * gateway's cost per call (test/bench/gateway-bench.ts).
 */
export class RequestChannel {
  readonly #server: string;
  readonly #send: (message: JSONRPCMessage) => void | Promise<void>;
  /** Distinguishes connections, so an answer meant for an earlier one is never taken. */
  readonly #prefix: string;
  readonly #pending = new Map<string, Pending>();
  #nextId = 0;
  #closedWith: Error | undefined;

  /**
   * `send` writes one message; it throws or rejects when the connection cannot take it (a
   * transport that sends asynchronously, like Streamable HTTP, rejects).
   */
  constructor(options: {
    server: string;
    generation: number;
    send: (message: JSONRPCMessage) => void | Promise<void>;
  }) {
    this.#server = options.server;
    this.#send = options.send;
    this.#prefix = `sv${options.generation}-`;
  }

  get pendingCount(): number {
    return this.#pending.size;
  }

  /**
   * Sends one request and resolves with the server's `result` as it sent it, or rejects with an
   * {@link UpstreamRpcError} (the server's error), the TIMEOUT refusal (after which the server is
   * sent `notifications/cancelled`), SERVER_UNAVAILABLE when the connection goes, or the signal's
   * reason when it aborts (also cancelled upstream).
   */
  request(
    method: string,
    params: Record<string, unknown> | undefined,
    options: ChannelRequestOptions,
  ): Promise<Record<string, unknown>> {
    if (this.#closedWith) return Promise.reject(this.#closedWith);
    const signal = options.signal;
    if (signal?.aborted) return Promise.reject(signal.reason);
    const id = this.#prefix + this.#nextId++;
    let sentParams = params;
    if (options.onProgress) {
      const meta = params?._meta as Record<string, unknown> | undefined;
      sentParams = { ...params, _meta: { ...meta, progressToken: id } };
    }
    return new Promise((resolve, reject) => {
      const pending: Pending = {
        id,
        resolve,
        reject,
        options,
        timer: this.#startTimer(id, options.timeoutMs),
        onAbort: undefined,
        lastProgress: Number.NEGATIVE_INFINITY,
      };
      if (signal) {
        pending.onAbort = () =>
          this.#cancel(pending, signal.reason, String(signal.reason?.message ?? 'cancelled'));
        signal.addEventListener('abort', pending.onAbort, { once: true });
      }
      this.#pending.set(id, pending);
      const message = { jsonrpc: '2.0', id, method, ...(sentParams ? { params: sentParams } : {}) };
      const fail = (error: unknown) => {
        if (this.#pending.get(id) !== pending) return;
        this.#settle(pending);
        reject(this.#unavailable(error));
      };
      try {
        this.#send(message as JSONRPCMessage)?.catch(fail);
      } catch (error) {
        fail(error);
      }
    });
  }

  /**
   * Takes the messages that belong to this channel (answers to its requests, progress for them)
   * and returns true; returns false for everything else, which goes on to the SDK client.
   */
  intercept(message: JSONRPCMessage): boolean {
    const record = message as { id?: unknown; method?: unknown; params?: Record<string, unknown> };
    if (record.method === undefined) {
      const id = record.id;
      if (typeof id !== 'string') return false;
      const pending = this.#pending.get(id);
      if (!pending) return id.startsWith(this.#prefix); // a late answer to a cancelled request
      this.#settle(pending);
      const response = message as {
        result?: Record<string, unknown>;
        error?: { code: number; message: string; data?: unknown };
      };
      if (response.error) pending.reject(new UpstreamRpcError(response.error));
      else pending.resolve(response.result ?? {});
      return true;
    }
    if (record.method === 'notifications/progress') {
      const token = record.params?.progressToken;
      if (typeof token !== 'string') return false;
      const pending = this.#pending.get(token);
      if (!pending) return token.startsWith(this.#prefix);
      // MCP progress must increase: a value already passed on is a replay (a Streamable HTTP stream
      // resumed with Last-Event-ID sends its events again) and is dropped.
      const progress = record.params?.progress;
      if (typeof progress === 'number') {
        if (progress <= pending.lastProgress) return true;
        pending.lastProgress = progress;
      }
      clearTimeout(pending.timer);
      pending.timer = this.#startTimer(pending.id, pending.options.timeoutMs);
      try {
        pending.options.onProgress?.(record.params as Record<string, unknown>);
      } catch {
        // A downstream that cannot take progress must not break the connection's reading.
      }
      return true;
    }
    return false;
  }

  /** The connection went: every request still waiting is answered with SERVER_UNAVAILABLE. */
  close(cause?: unknown): void {
    this.#closedWith ??= this.#unavailable(cause);
    for (const pending of [...this.#pending.values()]) {
      this.#settle(pending);
      pending.reject(this.#closedWith);
    }
  }

  #startTimer(id: string, timeoutMs: number): NodeJS.Timeout | undefined {
    // Node would fire an out-of-range delay after 1 ms.
    if (!(timeoutMs <= MAX_TIMER_MS)) return undefined;
    const timer = setTimeout(() => {
      const pending = this.#pending.get(id);
      if (!pending) return;
      this.#cancel(
        pending,
        refusalError(
          { reason: 'timeout', server: this.#server, retryAfterMs: 0 },
          `server "${this.#server}" did not answer within ${timeoutMs} ms; the request was cancelled. Retry, or raise its limits.requestTimeoutMs`,
        ),
        `timed out after ${timeoutMs} ms`,
      );
    }, timeoutMs);
    timer.unref();
    return timer;
  }

  /** Answers the caller with `error` and tells the server to stop working on the request. */
  #cancel(pending: Pending, error: unknown, reason: string): void {
    if (this.#pending.get(pending.id) !== pending) return;
    this.#settle(pending);
    pending.reject(error);
    const ignore = () => {}; // the connection is gone: so is the request
    try {
      this.#send({
        jsonrpc: '2.0',
        method: 'notifications/cancelled',
        params: { requestId: pending.id, reason },
      } as JSONRPCMessage)?.catch(ignore);
    } catch {
      ignore();
    }
  }

  #settle(pending: Pending): void {
    this.#pending.delete(pending.id);
    clearTimeout(pending.timer);
    if (pending.onAbort) pending.options.signal?.removeEventListener('abort', pending.onAbort);
  }

  #unavailable(cause?: unknown): Error {
    return refusalError(
      { reason: 'server_unavailable', server: this.#server, retryAfterMs: 1_000 },
      `server "${this.#server}" went away while answering (it is restarting or stopped); try again`,
      { cause },
    );
  }
}
