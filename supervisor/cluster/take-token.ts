import type Bottleneck from 'bottleneck';
import { isBottleneckError } from './limiter-set.ts';

export type TakeResult = { isTaken: true } | { isTaken: false; retryAfterMs: number };

/** Redis did not answer a shared-limit call in time. */
export class ClusterTimeoutError extends Error {
  constructor(what: string, timeoutMs: number) {
    super(`Redis did not answer ${what} within ${timeoutMs} ms`);
    this.name = 'ClusterTimeoutError';
  }
}

/** What this module reads of a Bottleneck limiter; not in its typings (Bottleneck 2.19.5). */
type LockInternals = { _running: number; _queue: { length: number } };
type LimiterInternals = { _submitLock: LockInternals; _registerLock: LockInternals };

/** How often a take in Bottleneck's queue looks whether it lost its race (see {@link takeToken}). */
const POLL_MS = 25;

let takeCounter = 0;
/** Per limiter: ids of takes that lost their race and were answered, whose jobs are still queued. */
const abandonedTakes = new WeakMap<Bottleneck, Set<string>>();

function isIdle(lock: LockInternals): boolean {
  return lock._running === 0 && lock._queue.length === 0;
}

/**
 * Takes one token from the shared bucket (a clustered Bottleneck limiter with a reservoir,
 * `highWater: 0` and OVERFLOW): resolves `{ isTaken: true }` once Redis granted it, and
 * `{ isTaken: false }` when the bucket is empty. Never waits for a refill: a caller that is
 * refused is told when to come back.
 *
 * Bottleneck checks for a token (submit.lua) and takes it (register.lua) in two scripts, so
 * another host can take the last token in between: the job then stays in this host's queue, and
 * nothing registers it again before a refill reaches a heartbeat. Such a take (its job QUEUED
 * while neither a submit nor a register of this limiter is in flight) is refused at once; its
 * job stays queued (Bottleneck 2 cannot remove one) and gives back the token it gets later, so
 * an abandoned take never costs the cluster a request. While such a job waits, every other take
 * of this host is refused at once, without a Redis call: Bottleneck would queue them behind it
 * rather than drop them (its OVERFLOW test is `queueLength == highWater`, false once one job
 * waits), and the limit would become a queue — seen with three supervisors: almost no refusal,
 * callers waiting seconds for tokens.
 *
 * Bounded by `deadlineMs`: a take Redis has not answered by then rejects with
 * {@link ClusterTimeoutError} (Redis is too slow; the caller goes the `onUnavailable` way).
 */
export function takeToken(
  rate: Bottleneck,
  options: { deadlineMs: number; retryAfterMs: number; isAvailable: () => boolean },
): Promise<TakeResult> {
  const { retryAfterMs } = options;
  let abandoned = abandonedTakes.get(rate);
  if (!abandoned) {
    abandoned = new Set();
    abandonedTakes.set(rate, abandoned);
  }
  const waiting = abandoned;
  if (waiting.size > 0) return Promise.resolve({ isTaken: false, retryAfterMs });
  const internals = rate as unknown as LimiterInternals;
  const id = `take-${++takeCounter}`;
  const startedAt = performance.now();
  return new Promise<TakeResult>((resolve, reject) => {
    let isDone = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const look = () => {
      if (isDone) return;
      const hasLost =
        rate.jobStatus(id) === 'QUEUED' && isIdle(internals._registerLock) && isIdle(internals._submitLock);
      if (hasLost && options.isAvailable()) {
        isDone = true;
        waiting.add(id);
        resolve({ isTaken: false, retryAfterMs });
        return;
      }
      const leftMs = options.deadlineMs - (performance.now() - startedAt);
      if (leftMs <= 0) {
        isDone = true;
        if (rate.jobStatus(id) === 'QUEUED') waiting.add(id);
        reject(new ClusterTimeoutError('a rate-limit token', options.deadlineMs));
        return;
      }
      timer = setTimeout(look, Math.min(POLL_MS, leftMs));
      timer.unref();
    };
    timer = setTimeout(look, Math.min(POLL_MS, options.deadlineMs));
    timer.unref();
    rate
      .schedule({ id, expiration: 60_000 }, () => {
        if (isDone) {
          waiting.delete(id);
          void rate.incrementReservoir(1).catch(() => undefined);
          return Promise.resolve();
        }
        isDone = true;
        clearTimeout(timer);
        resolve({ isTaken: true });
        return Promise.resolve();
      })
      .catch((error: unknown) => {
        waiting.delete(id);
        if (isDone) return;
        isDone = true;
        clearTimeout(timer);
        if (isBottleneckError(error, 'dropped')) resolve({ isTaken: false, retryAfterMs });
        else reject(error);
      });
  });
}
