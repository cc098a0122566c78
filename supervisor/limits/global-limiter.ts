import Bottleneck from 'bottleneck';
import { SupervisorError } from '../errors.ts';

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
  stats(): GlobalLimiterStats;
  update(options: { maxTotalConcurrent: number }): Promise<void>;
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
  let maxConcurrent = options.maxTotalConcurrent;
  let running = 0;
  let isDisposed = false;
  // No highWater: admission is bounded by each server's queue, so this queue is bounded by the sum.
  const limiter = new Bottleneck({ maxConcurrent });
  const unavailable = () =>
    new SupervisorError(
      'SERVER_UNAVAILABLE',
      'the supervisor is shutting down; retry once it is running again',
    );

  return {
    async schedule<T>(task: () => Promise<T>): Promise<T> {
      if (isDisposed) throw unavailable();
      try {
        return await limiter.schedule(async () => {
          running++;
          try {
            return await task();
          } finally {
            running--;
          }
        });
      } catch (error) {
        if (error instanceof Bottleneck.BottleneckError) throw unavailable();
        throw error;
      }
    },
    stats: () => ({ running, queued: limiter.queued(), maxConcurrent }),
    async update(next) {
      checkMaxTotal(next.maxTotalConcurrent);
      if (next.maxTotalConcurrent === maxConcurrent) return;
      maxConcurrent = next.maxTotalConcurrent;
      await limiter.updateSettings({ maxConcurrent });
    },
    async dispose() {
      if (isDisposed) return;
      isDisposed = true;
      // Running tasks belong to server guards, which answer their own callers; only the waiting
      // jobs are dropped here, and stop() is not awaited past them.
      limiter.stop({ dropWaitingJobs: true }).catch(() => undefined);
      await limiter.disconnect();
    },
  };
}
