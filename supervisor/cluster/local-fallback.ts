import type { CircuitBreaker } from '../limits/breaker.ts';
import type { GlobalLimiter } from '../limits/global-limiter.ts';
import {
  createServerGuard,
  type RunOptions,
  type ServerGuard,
  type ServerGuardLimits,
} from '../limits/server-guard.ts';

/** What one host enforces alone: its share of the server's limits (see shares.ts). */
export type LocalShare = { limits: ServerGuardLimits; perClientConcurrent: number };

type Generation = { guard: ServerGuard; active: number; isRetired: boolean };

/**
 * The `onUnavailable: "local"` path of a clustered guard: a local guard (the patched light
 * Bottleneck) enforcing this host's share, built on first use with the share of that moment.
 *
 * Guards have fixed limits (a reload replaces them), but a share changes with the members seen:
 * `retire()` makes the next request build a new guard with the share then, while requests of the
 * old one finish in it (it is disposed once it has none). The members are counted by a heartbeat
 * that only succeeds while Redis answers, so a share changes between outages, not during one;
 * the owner retires the guard when Redis is back and when the members change.
 */
export class LocalFallback {
  readonly #server: string;
  readonly #global: GlobalLimiter;
  readonly #breaker: CircuitBreaker;
  readonly #share: () => LocalShare;
  #current: Generation | undefined;
  readonly #retired = new Set<Generation>();
  #scale = 1;
  #isDisposed = false;

  constructor(options: {
    server: string;
    global: GlobalLimiter;
    breaker: CircuitBreaker;
    /** This host's share now. */
    share: () => LocalShare;
  }) {
    this.#server = options.server;
    this.#global = options.global;
    this.#breaker = options.breaker;
    this.#share = options.share;
  }

  /** Runs `task` within this host's share (the local guard's contract and refusals). */
  run<T>(task: (signal: AbortSignal) => Promise<T>, runOptions: RunOptions): Promise<T> {
    const generation = this.#generation();
    generation.active++;
    const done = () => {
      generation.active--;
      if (generation.isRetired && generation.active === 0) this.#drop(generation);
    };
    const result = generation.guard.run(task, runOptions);
    result.then(done, done);
    return result;
  }

  /** The next request builds a guard with the share of that moment. */
  retire(): void {
    const current = this.#current;
    if (!current) return;
    this.#current = undefined;
    current.isRetired = true;
    if (current.active === 0) this.#drop(current);
    else this.#retired.add(current);
  }

  /** Running and queued requests of every local guard, and the effective cap of the current one. */
  stats(): { running: number; queued: number; effectiveConcurrent: number | undefined } {
    let running = 0;
    let queued = 0;
    for (const generation of [this.#current, ...this.#retired]) {
      if (!generation) continue;
      const stats = generation.guard.stats();
      running += stats.running;
      queued += stats.queued;
    }
    return { running, queued, effectiveConcurrent: this.#current?.guard.stats().effectiveConcurrent };
  }

  async setConcurrencyScale(factor: number): Promise<void> {
    this.#scale = factor;
    await this.#current?.guard.setConcurrencyScale(factor);
  }

  /** Answers every pending request of every local guard (SERVER_UNAVAILABLE), see ServerGuard. */
  async dispose(): Promise<void> {
    this.#isDisposed = true;
    const all = [this.#current, ...this.#retired].filter((g): g is Generation => g !== undefined);
    this.#current = undefined;
    this.#retired.clear();
    await Promise.allSettled(all.map((generation) => generation.guard.dispose()));
  }

  #generation(): Generation {
    if (this.#current) return this.#current;
    const share = this.#share();
    const guard = createServerGuard({
      server: this.#server,
      limits: share.limits,
      perClientConcurrent: share.perClientConcurrent,
      global: this.#global,
      breaker: this.#breaker,
    });
    if (this.#scale !== 1) void guard.setConcurrencyScale(this.#scale);
    const generation: Generation = { guard, active: 0, isRetired: false };
    // After dispose a request still gets an answer: the new guard is disposed at once below.
    if (this.#isDisposed) {
      generation.isRetired = true;
      void guard.dispose();
    } else this.#current = generation;
    return generation;
  }

  #drop(generation: Generation): void {
    this.#retired.delete(generation);
    void generation.guard.dispose();
  }
}
