import type { CaptureConfig } from '../config/schema.ts';
import type { ServerRuntime } from '../core/server-runtime.ts';
import { SupervisorError } from '../shared/errors.ts';
import { refusalError, refusalOf } from '../shared/refusals.ts';
import { UpstreamRpcError } from '../shared/upstream-error.ts';
import { capturePayload } from '../store/payload-capture.ts';
import type { RequestEvent } from '../store/types.ts';
import type { ServerGuards } from './guards.ts';
import { retryIdempotent } from './retry.ts';

/** Where the outcome of every forwarded request goes (the recorder and the request metrics). */
export type RequestEventSink = (event: RequestEvent) => void;

export interface ForwardOptions {
  clientKey: string;
  signal: AbortSignal;
  /** Called with each progress notification the server sends for this request. */
  onProgress?: (progress: Record<string, unknown>) => void;
  /** Tool name, for metrics only. */
  tool?: string;
}

/**
 * Sends requests to servers through their limits (see {@link ServerGuards}) and the request
 * channel's timeout, which is reset by progress so a long call that reports progress stays
 * alive; retries idempotent list calls; and hands the outcome of each request to the sink.
 */
export class Forwarder {
  readonly #guards: ServerGuards;
  readonly #onRequest: RequestEventSink | undefined;
  readonly #capture: (() => CaptureConfig) | undefined;

  /**
   * `capture` is read at every request, so a reload that turns payload capture on or off (or
   * changes its bounds) applies to the next request.
   */
  constructor(options: {
    guards: ServerGuards;
    onRequest?: RequestEventSink;
    capture?: () => CaptureConfig;
  }) {
    this.#guards = options.guards;
    this.#onRequest = options.onRequest;
    this.#capture = options.capture;
  }

  /**
   * Forwards one request to `runtime`'s server and resolves with its result unchanged. Rejects
   * with an `UpstreamRpcError` carrying the server's own error (code, message, data unchanged), or a
   * refusal `SupervisorError` (queue_full, rate_limited, circuit_open, timeout, server_unavailable).
   * A timeout or an abort also sends `notifications/cancelled` upstream.
   */
  async forward(
    runtime: ServerRuntime,
    method: string,
    params: Record<string, unknown> | undefined,
    options: ForwardOptions,
  ): Promise<Record<string, unknown>> {
    const startedAt = performance.now();
    const guard = this.#guards.guardFor(runtime);
    const timeoutMs = this.#guards.timeoutMsOf(runtime.name);
    const attempt = (callerSignal: AbortSignal) => {
      // A server with no connection (starting, restarting) is refused before its limits: a request
      // never sent says nothing of the server's health, so it must not count toward its circuit
      // (calls in a start-up window would open it for every client for halfOpenAfterMs).
      if (!runtime.upstream.channel) return Promise.reject(notConnected(runtime));
      return guard.run(
        (signal) => {
          const channel = runtime.upstream.channel;
          // The connection went while the call was queued: the server did go away.
          if (!channel) return Promise.reject(notConnected(runtime));
          // The channel times the request (progress resets it); the guard has no timer of its own.
          return channel.request(method, params, { signal, timeoutMs, onProgress: options.onProgress });
        },
        { clientKey: options.clientKey, signal: callerSignal },
      );
    };
    let status: RequestEvent['status'] = 'ok';
    let errorCode: string | undefined;
    let reason: string | undefined;
    let outcome: unknown;
    let failure: { error: unknown } | undefined;
    try {
      // Idempotent list calls are retried with backoff and jitter; others run exactly once.
      const result = await retryIdempotent(method, attempt, { signal: options.signal });
      outcome = result;
      // A tool that failed answers with a result flagged `isError`: a failed call for the metrics
      // and the error-rate alert, though not for the breaker (the server answered).
      if (result.isError === true) {
        status = 'error';
        errorCode = 'tool_error';
        reason = toolErrorText(result);
      }
      return result;
    } catch (error) {
      failure = { error };
      reason = reasonOf(error);
      // Every answer with a refusal reason is a refusal, timeout and server_unavailable included
      // (the wire code says so): the server's own failures are the errors.
      const refusal = refusalOf(error);
      if (refusal) {
        status = 'refused';
        errorCode = refusal.reason;
      } else if (error instanceof SupervisorError && error.code === 'BAD_REQUEST') {
        // A request the caller got wrong (it could not be encoded) is refused, not a server error:
        // it must not raise the server's error rate.
        status = 'refused';
        errorCode = error.code;
      } else {
        status = 'error';
        errorCode =
          error instanceof UpstreamRpcError
            ? String(error.code)
            : error instanceof SupervisorError
              ? error.code
              : 'internal';
      }
      throw error;
    } finally {
      // One object of one shape per request (the ring buffer keeps it until the flush).
      const event: RequestEvent = {
        ts: Date.now(),
        server: runtime.name,
        method,
        tool: options.tool,
        client: options.clientKey,
        status,
        latencyMs: performance.now() - startedAt,
        errorCode,
        reason,
        params: undefined,
        result: undefined,
      };
      // Off by default: then nothing on the request path changes. On: redacted, bounded JSON.
      const capture = this.#capture?.();
      if (capture?.payloads) {
        event.params = capturePayload(params, capture);
        event.result = capturePayload(failure ? { error: capturedError(failure.error) } : outcome, capture);
      }
      this.#onRequest?.(event);
    }
  }
}

/** The refusal of a request to a server with no connection (starting, restarting). */
function notConnected(runtime: ServerRuntime): SupervisorError {
  return refusalError(
    { reason: 'server_unavailable', server: runtime.name, retryAfterMs: 1_000 },
    `server "${runtime.name}" is ${runtime.state}; see: mcp-supervisor status`,
  );
}

/** Longest `reason` kept in the request log: a server's error message can be anything. */
const MAX_REASON_CHARS = 500;

/**
 * The request log's human reason of a failure: the error's own message, which is built anyway
 * (it says what to do), so keeping it costs a reference; cut when a server sent an essay.
 */
function reasonOf(error: unknown): string {
  return bounded(error instanceof Error ? error.message : String(error));
}

function bounded(text: string): string {
  return text.length > MAX_REASON_CHARS ? `${text.slice(0, MAX_REASON_CHARS)}…` : text;
}

/** A failed tool call's own words: the first text of its content (what the model was told). */
function toolErrorText(result: Record<string, unknown>): string | undefined {
  const content = result.content;
  const first: unknown = Array.isArray(content) ? content[0] : undefined;
  if (typeof first !== 'object' || first === null || !('text' in first)) return undefined;
  return typeof first.text === 'string' ? bounded(first.text) : undefined;
}

/** What the request log keeps of a failure when payloads are captured: its message and code. */
function capturedError(error: unknown): unknown {
  if (!(error instanceof Error)) return String(error);
  const code = error instanceof UpstreamRpcError || error instanceof SupervisorError ? error.code : undefined;
  return { message: error.message, ...(code !== undefined ? { code } : {}) };
}
