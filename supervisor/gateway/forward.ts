import type { SupervisorSettings } from '../config/schema.ts';
import type { ServerRuntime } from '../core/server-runtime.ts';
import { SupervisorError } from '../errors.ts';
import { type CircuitBreaker, createBreaker } from '../limits/breaker.ts';
import { createGlobalLimiter, type GlobalLimiter } from '../limits/global-limiter.ts';
import { refusalError } from '../limits/refusals.ts';
import { retryIdempotent } from '../limits/retry.ts';
import { createServerGuard, resolveServerLimits, type ServerGuard } from '../limits/server-guard.ts';
import { UpstreamRpcError } from '../upstream/request-channel.ts';

/** The outcome of one forwarded request, for metrics and the store. */
export interface RequestRecord {
  at: number;
  server: string;
  method: string;
  tool: string | undefined;
  client: string;
  status: 'ok' | 'error' | 'refused';
  latencyMs: number;
  errorCode: string | undefined;
}

export interface ForwardOptions {
  clientKey: string;
  signal: AbortSignal;
  /** Called with each progress notification the server sends for this request. */
  onProgress?: (progress: Record<string, unknown>) => void;
  /** Tool name, for metrics only. */
  tool?: string;
}

/**
 * Sends requests to servers through their limits: one guard per server (Bottleneck for the
 * server's queue, concurrency and rate; counting slots for the per-client and global caps), a
 * circuit breaker per server (a reload that changes the server starts it afresh), and the SDK
 * client's timeout, which is reset by progress so a long call that reports progress stays alive.
 */
export class Forwarder {
  readonly #settings: SupervisorSettings;
  readonly #global: GlobalLimiter;
  readonly #guards = new Map<string, ServerGuard>();
  /** Each server's resolved request timeout, kept with its guard so no call resolves limits again. */
  readonly #timeoutsMs = new Map<string, number>();
  readonly #breakers = new Map<string, CircuitBreaker>();
  readonly #onRecord: ((record: RequestRecord) => void) | undefined;
  #scale = 1;

  constructor(options: { settings: SupervisorSettings; onRecord?: (record: RequestRecord) => void }) {
    this.#settings = options.settings;
    this.#global = createGlobalLimiter({ maxTotalConcurrent: options.settings.limits.maxTotalConcurrent });
    this.#onRecord = options.onRecord;
  }

  /** The guard of a server, created on first use and updated when its config changes. */
  guardFor(runtime: ServerRuntime): ServerGuard {
    let guard = this.#guards.get(runtime.name);
    if (!guard) {
      const limits = resolveServerLimits(this.#settings.limits, runtime.config.limits);
      this.#timeoutsMs.set(runtime.name, limits.requestTimeoutMs);
      guard = createServerGuard({
        server: runtime.name,
        limits,
        perClientConcurrent: this.#settings.limits.maxConcurrentPerClient,
        global: this.#global,
        breaker: this.#breakerFor(runtime.name),
      });
      if (this.#scale !== 1) void guard.setConcurrencyScale(this.#scale);
      this.#guards.set(runtime.name, guard);
    }
    return guard;
  }

  #breakerFor(server: string): CircuitBreaker {
    let breaker = this.#breakers.get(server);
    if (!breaker) {
      breaker = createBreaker({ server });
      this.#breakers.set(server, breaker);
    }
    return breaker;
  }

  get guards(): ReadonlyMap<string, ServerGuard> {
    return this.#guards;
  }

  /** Answers a removed server's queued requests and forgets its guard and breaker. */
  async remove(server: string): Promise<void> {
    const guard = this.#guards.get(server);
    this.#guards.delete(server);
    this.#timeoutsMs.delete(server);
    this.#breakers.get(server)?.dispose();
    this.#breakers.delete(server);
    await guard?.dispose();
  }

  /** Adaptive limits: scales every server's concurrency (1 = as configured). */
  async setConcurrencyScale(scale: number): Promise<void> {
    this.#scale = scale;
    await Promise.all([...this.#guards.values()].map((guard) => guard.setConcurrencyScale(scale)));
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
    const guard = this.guardFor(runtime);
    const timeoutMs = this.#timeoutsMs.get(runtime.name) ?? this.#settings.limits.requestTimeoutMs;
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
          return channel.request(method, params, { signal, timeoutMs, onProgress: options.onProgress });
        },
        // The channel times the request (progress resets it); the guard adds no timer of its own.
        { clientKey: options.clientKey, signal: callerSignal, timeoutMs: Number.POSITIVE_INFINITY },
      );
    let status: RequestRecord['status'] = 'ok';
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
      this.#onRecord?.({
        at: Date.now(),
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

  async dispose(): Promise<void> {
    await Promise.allSettled([...this.#guards.keys()].map((server) => this.remove(server)));
  }
}
