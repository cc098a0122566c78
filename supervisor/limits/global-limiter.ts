import { SupervisorError } from '../shared/errors.ts';
import { Slots } from './slots.ts';

export type GlobalLimiterStats = {
  /** Requests holding a global slot (their task is running). */
  running: number;
  /** Requests that passed their server's and client's limits and wait for a global slot. */
  queued: number;
  maxConcurrent: number;
};

/** The supervisor-wide cap on requests in flight across all servers (`maxTotalConcurrent`). */
export type GlobalLimiter = {
  /** Runs `task` when a global slot is free. Rejects with SERVER_UNAVAILABLE once disposed. */
  schedule<T>(task: () => Promise<T>): Promise<T>;
  /**
   * Takes a slot now if one is free and nobody waits; false otherwise (then {@link acquire}).
   * Throws SERVER_UNAVAILABLE once disposed. A slot taken is given back with {@link release}.
   */
  tryAcquire(): boolean;
  /**
   * Resolves once a slot is taken; rejects with SERVER_UNAVAILABLE when disposed, and with the
   * signal's reason when it aborts while waiting (the place is given up, no slot is held).
   */
  acquire(signal?: AbortSignal): Promise<void>;
  /** Gives back a slot taken with {@link tryAcquire} or {@link acquire}. */
  release(): void;
  stats(): GlobalLimiterStats;
  /** Refuses new work and drops waiting work; call it after the server guards are disposed. */
  dispose(): Promise<void>;
};

function checkMaxTotal(value: number): void {
  if (!Number.isInteger(value) || value < 1) {
    throw new TypeError(`limits.maxTotalConcurrent must be a positive integer, got ${value}`);
  }
}

export function createGlobalLimiter(options: { maxTotalConcurrent: number }): GlobalLimiter {
  checkMaxTotal(options.maxTotalConcurrent);
  // No bound on waiters: admission is bounded by each server's queue, so this one is bounded by
  // the sum. A counter, not a Bottleneck pass: see slots.ts for the measured cost.
  const slots = new Slots({ max: options.maxTotalConcurrent, maxWaiting: Number.MAX_SAFE_INTEGER });
  let isDisposed = false;
  const unavailable = () =>
    new SupervisorError(
      'SERVER_UNAVAILABLE',
      'the supervisor is shutting down; retry once it is running again',
    );

  return {
    async schedule<T>(task: () => Promise<T>): Promise<T> {
      if (isDisposed) throw unavailable();
      if (!slots.tryAcquire()) await slots.acquire(unavailable);
      try {
        return await task();
      } finally {
        slots.release();
      }
    },
    tryAcquire() {
      if (isDisposed) throw unavailable();
      return slots.tryAcquire();
    },
    acquire(signal) {
      if (isDisposed) return Promise.reject(unavailable());
      return slots.acquire(unavailable, signal);
    },
    release: () => slots.release(),
    stats: () => ({ running: slots.running, queued: slots.waiting, maxConcurrent: slots.max }),
    async dispose() {
      if (isDisposed) return;
      isDisposed = true;
      // Running tasks belong to server guards, which answer their own callers; only the waiting
      // ones are answered here.
      slots.rejectAll(unavailable());
    },
  };
}
