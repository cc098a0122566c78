import type { ServerRuntime } from '../core/server-runtime.ts';
import { SupervisorError } from '../shared/errors.ts';
import { refusalError } from '../shared/refusals.ts';
import { UpstreamRpcError } from '../shared/upstream-error.ts';
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

  constructor(options: { guards: ServerGuards; onRequest?: RequestEventSink }) {
    this.#guards = options.guards;
    this.#onRequest = options.onRequest;
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
    const attempt = (callerSignal: AbortSignal) =>
      guard.run(
        (signal) => {
          const channel = runtime.upstream.channel;
          if (!channel) {
            return Promise.reject(
              refusalError(
                { reason: 'server_unavailable', server: runtime.name, retryAfterMs: 1_000 },
                `server "${runtime.name}" is ${runtime.state}; see: mcp-supervisor status`,
              ),
            );
          }
          // The channel times the request (progress resets it); the guard has no timer of its own.
          return channel.request(method, params, { signal, timeoutMs, onProgress: options.onProgress });
        },
        { clientKey: options.clientKey, signal: callerSignal },
      );
    let status: RequestEvent['status'] = 'ok';
    let errorCode: string | undefined;
    try {
      // Idempotent list calls are retried with backoff and jitter; others run exactly once.
      const result = await retryIdempotent(method, attempt, { signal: options.signal });
      // A tool that failed answers with a result flagged `isError`: a failed call for the metrics
      // and the error-rate alert, though not for the breaker (the server answered).
      if (result.isError === true) {
        status = 'error';
        errorCode = 'tool_error';
      }
      return result;
    } catch (error) {
      if (error instanceof SupervisorError) {
        const reason = error.details?.reason;
        status =
          typeof reason === 'string' && reason !== 'timeout' && reason !== 'server_unavailable'
            ? 'refused'
            : 'error';
        errorCode = typeof reason === 'string' ? reason : error.code;
      } else {
        status = 'error';
        errorCode = error instanceof UpstreamRpcError ? String(error.code) : 'internal';
      }
      throw error;
    } finally {
      this.#onRequest?.({
        ts: Date.now(),
        server: runtime.name,
        method,
        tool: options.tool,
        client: options.clientKey,
        status,
        latencyMs: performance.now() - startedAt,
        errorCode,
      });
    }
  }
}
