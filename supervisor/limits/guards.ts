import type { SupervisorSettings } from '../config/schema.ts';
import type { ServerRuntime } from '../core/server-runtime.ts';
import type { Logger } from '../shared/logger.ts';
import { type CircuitBreaker, createBreaker } from './breaker.ts';
import { createGlobalLimiter, type GlobalLimiter } from './global-limiter.ts';
import {
  createServerGuard,
  resolveServerLimits,
  type ServerGuard,
  type ServerGuardOptions,
  type ServerGuardStats,
} from './server-guard.ts';

/**
 * Makes one server's guard. The default is the local guard; with `supervisor.cluster` the
 * composition root passes the clustered guard's (cluster/clustered-guards.ts), whose limits are
 * shared through Redis: limits/ cannot import cluster/, which builds on it.
 */
export type GuardFactory = (options: ServerGuardOptions) => ServerGuard;

/**
 * Every server's limits: one guard per server (Bottleneck for the server's queue, concurrency
 * and rate; counting slots for the per-client and global caps), created on first use, all under
 * one global cap; a circuit breaker per server (a reload that changes the server starts both
 * afresh); and the adaptive concurrency scale applied to every guard. The forwarder sends
 * requests through it; status, metrics and alert rules read its stats.
 */
export class ServerGuards {
  readonly #settings: SupervisorSettings;
  readonly #global: GlobalLimiter;
  readonly #guards = new Map<string, ServerGuard>();
  /** Each server's resolved request timeout, kept with its guard so no call resolves limits again. */
  readonly #timeoutsMs = new Map<string, number>();
  readonly #breakers = new Map<string, CircuitBreaker>();
  readonly #createGuard: GuardFactory;
  #scale = 1;

  readonly #logger: Logger | undefined;

  constructor(options: { settings: SupervisorSettings; logger?: Logger; createGuard?: GuardFactory }) {
    this.#settings = options.settings;
    this.#logger = options.logger;
    this.#createGuard = options.createGuard ?? createServerGuard;
    this.#global = createGlobalLimiter({ maxTotalConcurrent: options.settings.limits.maxTotalConcurrent });
  }

  /** The guard of a server, created on first use. */
  guardFor(runtime: ServerRuntime): ServerGuard {
    let guard = this.#guards.get(runtime.name);
    if (!guard) {
      const limits = resolveServerLimits(this.#settings.limits, runtime.config.limits);
      this.#timeoutsMs.set(runtime.name, limits.requestTimeoutMs);
      guard = this.#createGuard({
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

  /** The request timeout of a server with a guard; the supervisor-wide default otherwise. */
  timeoutMsOf(server: string): number {
    return this.#timeoutsMs.get(server) ?? this.#settings.limits.requestTimeoutMs;
  }

  /** Queue, running and breaker state of a server; undefined until it has a guard. */
  stats(server: string): ServerGuardStats | undefined {
    return this.#guards.get(server)?.stats();
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

  async dispose(): Promise<void> {
    await Promise.allSettled([...this.#guards.keys()].map((server) => this.remove(server)));
  }

  #breakerFor(server: string): CircuitBreaker {
    let breaker = this.#breakers.get(server);
    if (!breaker) {
      breaker = createBreaker({ server, logger: this.#logger });
      this.#breakers.set(server, breaker);
    }
    return breaker;
  }
}
