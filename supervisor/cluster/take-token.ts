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

/** Shortest wait of a queued take for its token (see {@link takeToken}). */
const MIN_GRACE_MS = 50;

/**
 * Takes one token from the shared bucket (a clustered Bottleneck limiter with a reservoir,
 * `highWater: 0` and OVERFLOW): resolves `{ isTaken: true }` once Redis granted it, and
 * `{ isTaken: false }` when the bucket is empty. Waits at most one refill (`retryAfterMs`) for
 * a token: a caller that is refused is told when to come back.
 *
 * Bottleneck checks capacity (submit.lua) and takes it (register.lua) in two scripts, so another
 * host can take the last token in between; the job then sits in this host's queue (status
 * QUEUED: Redis did answer). Such a take is refused once it has waited `retryAfterMs` (at least
 * 50 ms); its job
 * stays queued (Bottleneck 2 cannot remove one) and gives back the token it gets later, so an
 * abandoned take never costs the cluster a request. While it waits, every other take of this
 * host is refused at once, without a Redis call: the bucket was empty a moment ago, and
 * Bottleneck would queue them behind it rather than drop them (its OVERFLOW test is
 * `queueLength == highWater`, false once one job waits), turning the limit into a queue — seen
 * with three supervisors: no refusal at all, callers waiting seconds for tokens.
 *
 * Bounded by `deadlineMs`: a job Redis never answered rejects with {@link ClusterTimeoutError}.
 */
export function takeToken(
  rate: Bottleneck,
  options: { deadlineMs: number; retryAfterMs: number; isAvailable: () => boolean },
): Promise<TakeResult> {
  const { retryAfterMs } = options;
  if (rate.queued() > 0) return Promise.resolve({ isTaken: false, retryAfterMs });
  const id = `take-${++takeCounter}`;
  // A register that is merely slow must not pass for a lost race: at least 50 ms.
  const graceMs = Math.max(MIN_GRACE_MS, retryAfterMs);
  const startedAt = performance.now();
  return new Promise<TakeResult>((resolve, reject) => {
    let isDone = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const check = () => {
      if (isDone) return;
      const isQueued = rate.jobStatus(id) === 'QUEUED' && options.isAvailable();
      const elapsedMs = performance.now() - startedAt;
      if (isQueued || elapsedMs >= options.deadlineMs) {
        isDone = true;
        if (isQueued) resolve({ isTaken: false, retryAfterMs });
        else reject(new ClusterTimeoutError('a rate-limit token', options.deadlineMs));
        return;
      }
      // Not answered yet (submit in flight): look again, up to the deadline.
      timer = setTimeout(check, Math.min(graceMs, options.deadlineMs - elapsedMs));
      timer.unref();
    };
    timer = setTimeout(check, Math.min(graceMs, options.deadlineMs));
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
        if (isBottleneckError(error, 'dropped')) resolve({ isTaken: false, retryAfterMs });
        else reject(error);
      });
  });
}
