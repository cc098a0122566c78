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

let takeCounter = 0;

/**
 * Takes one token from the shared bucket (a clustered Bottleneck limiter with a reservoir,
 * `highWater: 0` and OVERFLOW): resolves `{ isTaken: true }` once Redis granted it, and
 * `{ isTaken: false }` when the bucket is empty (Bottleneck dropped the job). Never waits for a
 * refill: a caller that is refused is told when to come back.
 *
 * Bounded by `deadlineMs`. Bottleneck checks capacity (submit.lua) and takes it (register.lua) in
 * two scripts, so another host can take the last token in between; the job then sits in this
 * host's queue. At the deadline such a job (status QUEUED: Redis did answer) is a refusal for want
 * of a token; a job Redis never answered rejects with {@link ClusterTimeoutError}. A job that gets
 * its token after its caller was answered gives the token back, so an abandoned take never costs
 * the cluster a request.
 */
export function takeToken(
  rate: Bottleneck,
  options: { deadlineMs: number; retryAfterMs: number; isAvailable: () => boolean },
): Promise<TakeResult> {
  const id = `take-${++takeCounter}`;
  return new Promise<TakeResult>((resolve, reject) => {
    let isDone = false;
    const timer = setTimeout(() => {
      if (isDone) return;
      isDone = true;
      if (rate.jobStatus(id) === 'QUEUED' && options.isAvailable()) {
        resolve({ isTaken: false, retryAfterMs: options.retryAfterMs });
      } else reject(new ClusterTimeoutError('a rate-limit token', options.deadlineMs));
    }, options.deadlineMs);
    timer.unref();
    rate
      .schedule({ id, expiration: 60_000 }, () => {
        if (isDone) {
          void rate.incrementReservoir(1).catch(() => undefined);
          return Promise.resolve();
        }
        isDone = true;
        clearTimeout(timer);
        resolve({ isTaken: true });
        return Promise.resolve();
      })
      .catch((error: unknown) => {
        if (isDone) return;
        isDone = true;
        clearTimeout(timer);
        if (isBottleneckError(error, 'dropped')) {
          resolve({ isTaken: false, retryAfterMs: options.retryAfterMs });
        } else reject(error);
      });
  });
}
