import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { isSupervisorError, SupervisorError } from '../shared/errors.ts';
import { refusalError } from '../shared/refusals.ts';
import { MAX_TIMER_MS } from '../shared/timers.ts';
import { UpstreamRpcError } from '../shared/upstream-error.ts';
import { droppedRequestId, encodeJsonRpcMessage, OversizedLineError } from './line-framer.ts';

export type ChannelRequestOptions = {
  /** Answering stops, and the server gets `notifications/cancelled`, when this aborts. */
  signal?: AbortSignal;
  /** Time to answer; reset by each progress notification, as a long call reports it. */
  timeoutMs: number;
  /** Asks the server for progress (its own `_meta.progressToken`) and receives each notification. */
  onProgress?: (progress: Record<string, unknown>) => void;
};

/** How the channel writes one message; `requestSignal` closes that request's own stream (HTTP). */
export type ChannelSend = (
  message: JSONRPCMessage,
  options?: { requestSignal?: AbortSignal },
) => void | Promise<void>;

type Pending = {
  readonly id: string;
  readonly resolve: (result: Record<string, unknown>) => void;
  readonly reject: (error: unknown) => void;
  readonly options: ChannelRequestOptions;
  /** When it times out (`performance.now()` clock); infinite for a timeout past MAX_TIMER_MS. */
  deadline: number;
  onAbort: (() => void) | undefined;
  /** The last progress value passed on; MCP progress only increases. */
  lastProgress: number;
  /** Closes the request's own HTTP stream: 2026-07-28 cancellation on Streamable HTTP. */
  stream: AbortController | undefined;
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
  readonly #send: ChannelSend;
  readonly #isCancelledByStream: boolean;
  /** Distinguishes connections, so an answer meant for an earlier one is never taken. */
  readonly #prefix: string;
  readonly #pending = new Map<string, Pending>();
  /**
   * One timer for every pending request, armed for the earliest deadline, instead of a timer set,
   * unref'd and cleared per request (the unref alone was ~4 µs a call in the gateway bench's CPU
   * profile). An answered request leaves its deadline behind: when the timer fires it finds
   * nothing expired and is armed again for the earliest deadline still pending, if any. Only
   * `close()` clears it.
   */
  #timer: NodeJS.Timeout | undefined;
  /** The deadline the timer is armed for. */
  #timerDeadline = Number.POSITIVE_INFINITY;
  #nextId = 0;
  #closedWith: Error | undefined;

  /**
   * `send` writes one message; it throws or rejects when the connection cannot take it (a
   * transport that sends asynchronously, like Streamable HTTP, rejects).
   *
   * `isCancelledByStream`: a 2026-07-28 Streamable HTTP connection, where closing a request's own
   * response stream is its cancellation and `notifications/cancelled` does not exist
   * (basic/transports/streamable-http#cancellation): each request then gets its own signal.
   */
  constructor(options: {
    server: string;
    generation: number;
    send: ChannelSend;
    isCancelledByStream?: boolean;
  }) {
    this.#server = options.server;
    this.#send = options.send;
    this.#isCancelledByStream = options.isCancelledByStream === true;
    this.#prefix = `sv${options.generation}-`;
  }

  get pendingCount(): number {
    return this.#pending.size;
  }

  /**
   * Sends one request and resolves with the server's `result` as it sent it, or rejects with an
   * {@link UpstreamRpcError} (the server's error), the TIMEOUT refusal (after which the server is
   * sent `notifications/cancelled`), SERVER_UNAVAILABLE when the connection goes, BAD_REQUEST
   * when the request cannot be encoded (nothing was sent: the caller's error), or the signal's
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
        deadline: deadlineOf(options.timeoutMs),
        onAbort: undefined,
        lastProgress: Number.NEGATIVE_INFINITY,
        stream: this.#isCancelledByStream ? new AbortController() : undefined,
      };
      if (signal) {
        pending.onAbort = () =>
          this.#cancel(pending, signal.reason, String(signal.reason?.message ?? 'cancelled'));
        signal.addEventListener('abort', pending.onAbort, { once: true });
      }
      this.#pending.set(id, pending);
      if (pending.deadline < this.#timerDeadline) this.#armTimer(pending.deadline);
      const message = { jsonrpc: '2.0', id, method, ...(sentParams ? { params: sentParams } : {}) };
      const fail = (error: unknown) => {
        if (this.#pending.get(id) !== pending) return;
        this.#settle(pending);
        // A message that cannot be encoded never left: the caller's error, not the server's.
        reject(
          isSupervisorError(error, 'BAD_REQUEST')
            ? error
            : (encodingError(message) ?? this.#unavailable(error)),
        );
      };
      try {
        const sent = pending.stream
          ? this.#send(message as JSONRPCMessage, { requestSignal: pending.stream.signal })
          : this.#send(message as JSONRPCMessage);
        sent?.catch(fail);
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
      pending.deadline = deadlineOf(pending.options.timeoutMs);
      try {
        pending.options.onProgress?.(record.params as Record<string, unknown>);
      } catch {
        // A downstream that cannot take progress must not break the connection's reading.
      }
      return true;
    }
    return false;
  }

  /**
   * Takes a transport error that belongs to this channel and returns true: a dropped message over
   * the line limit that answered one of its requests, which is answered at once (with what
   * happened, instead of a timeout 30 s later that would blame the server). Returns false for
   * everything else, which goes on to the SDK client.
   */
  interceptError(error: unknown): boolean {
    if (!(error instanceof OversizedLineError)) return false;
    const id = droppedRequestId(error);
    const pending = typeof id === 'string' ? this.#pending.get(id) : undefined;
    if (!pending) return typeof id === 'string' && id.startsWith(this.#prefix);
    this.#settle(pending);
    pending.reject(
      new SupervisorError(
        'INTERNAL',
        `server "${this.#server}" answered with a message of ${error.bytes} bytes, over the limit of ${error.maxLineBytes} bytes, so the answer was dropped; ask for less at a time (paginate, narrow the request)`,
        { cause: error, details: { server: this.#server, bytes: error.bytes, maxBytes: error.maxLineBytes } },
      ),
    );
    return true;
  }

  /** The connection went: every request still waiting is answered with SERVER_UNAVAILABLE. */
  close(cause?: unknown): void {
    this.#closedWith ??= this.#unavailable(cause);
    for (const pending of [...this.#pending.values()]) {
      this.#settle(pending);
      pending.reject(this.#closedWith);
    }
    this.#armTimer(Number.POSITIVE_INFINITY);
  }

  /** (Re)arms the one timer for `deadline`, unless it would fire sooner already. */
  #armTimer(deadline: number): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timerDeadline = deadline;
    if (deadline === Number.POSITIVE_INFINITY) {
      this.#timer = undefined;
      return;
    }
    this.#timer = setTimeout(() => this.#expire(), Math.max(0, Math.ceil(deadline - performance.now())));
    this.#timer.unref();
  }

  /** Times out every request past its deadline, then arms the timer for the earliest left. */
  #expire(): void {
    this.#timer = undefined;
    this.#timerDeadline = Number.POSITIVE_INFINITY;
    const now = performance.now();
    let earliest = Number.POSITIVE_INFINITY;
    for (const pending of [...this.#pending.values()]) {
      if (pending.deadline > now) {
        earliest = Math.min(earliest, pending.deadline);
        continue;
      }
      const { timeoutMs } = pending.options;
      this.#cancel(
        pending,
        refusalError(
          { reason: 'timeout', server: this.#server, retryAfterMs: 0 },
          `server "${this.#server}" did not answer within ${timeoutMs} ms; the request was cancelled. Retry, or raise its limits.requestTimeoutMs`,
        ),
        `timed out after ${timeoutMs} ms`,
      );
    }
    // A request sent meanwhile (a cancel's send cannot start one, but be safe) armed it already.
    if (earliest < this.#timerDeadline) this.#armTimer(earliest);
  }

  /** Answers the caller with `error` and tells the server to stop working on the request. */
  #cancel(pending: Pending, error: unknown, reason: string): void {
    if (this.#pending.get(pending.id) !== pending) return;
    this.#settle(pending);
    pending.reject(error);
    if (pending.stream) {
      pending.stream.abort(new Error(reason));
      return;
    }
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
    // The timer stays armed when the channel goes idle: it is unref'd, and firing with nothing
    // pending it just stops. Clearing it here made one request after another (concurrency 1)
    // pay a clearTimeout and a setTimeout each (~3 µs a call in the gateway bench's profile);
    // kept, the next request's later deadline needs no new timer.
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

/** The deadline of a request given `timeoutMs` from now; none past what a timer can wait. */
function deadlineOf(timeoutMs: number): number {
  // Node would fire an out-of-range delay after 1 ms: a longer timeout means none at all.
  return timeoutMs <= MAX_TIMER_MS ? performance.now() + timeoutMs : Number.POSITIVE_INFINITY;
}

/**
 * The caller's error when `message` cannot be encoded, else undefined. Asked only after a send
 * failed: a transport that encodes by itself (the SDK's HTTP one) reports a plain RangeError.
 */
function encodingError(message: unknown): SupervisorError | undefined {
  try {
    encodeJsonRpcMessage(message as JSONRPCMessage);
    return undefined;
  } catch (error) {
    return isSupervisorError(error, 'BAD_REQUEST') ? error : undefined;
  }
}
