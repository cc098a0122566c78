import type Bottleneck from 'bottleneck';

export type TakeResult = { isTaken: true } | { isTaken: false; retryAfterMs: number };

/** Redis did not answer a shared-limit call in time. */
export class ClusterTimeoutError extends Error {
  constructor(what: string, timeoutMs: number) {
    super(`Redis did not answer ${what} within ${timeoutMs} ms`);
    this.name = 'ClusterTimeoutError';
  }
}

/** What this module uses of a clustered limiter's datastore; not in Bottleneck's typings (2.19.5). */
type StoreInternals = {
  clientId: string;
  __register__(index: string, weight: number, expiration: number | null): Promise<{ success: boolean }>;
};

/**
 * How long a taken token stays registered in the rate limiter. It holds nothing (the limiter has
 * no `maxConcurrent`, its capacity is the reservoir alone), so it is never freed: the next script
 * after this removes it.
 */
const TOKEN_LEASE_MS = 1_000;

let takeCounter = 0;

/**
 * Takes one token from the shared bucket (a clustered Bottleneck limiter with a reservoir):
 * resolves `{ isTaken: true }` once Redis took it, `{ isTaken: false }` when the bucket is empty.
 * Never waits for a refill: a caller that is refused is told when to come back.
 *
 * One call of Bottleneck's own register script, which checks the reservoir and takes from it
 * atomically — not `schedule()`, whose check (submit.lua) and take (register.lua) are two
 * scripts: a take that lost the race to another host in between stayed queued, and while one
 * was queued Bottleneck dropped nothing (its OVERFLOW test is `queueLength == highWater`), so the
 * limit became a queue: with three supervisors sharing 300/min, almost no refusal, callers
 * waiting seconds for a token. It is also one script per request instead of three. The script
 * still runs through the datastore (`runScript`), which waits for the limiter's init and
 * re-initialises it when Redis lost its keys. The script also counts one queued job less for
 * this host (it expects a submit before it): on this limiter that count only picks which host is
 * told first of new capacity (one below zero is never picked, the news goes to all), and nothing
 * here ever waits for capacity.
 *
 * Bounded by `deadlineMs`: a take Redis has not answered by then rejects with
 * {@link ClusterTimeoutError} (its token, if Redis took it late, is lost, never held).
 */
export function takeToken(
  rate: Bottleneck,
  options: { deadlineMs: number; retryAfterMs: number },
): Promise<TakeResult> {
  const store = (rate as unknown as { _store: StoreInternals })._store;
  const index = `${store.clientId}:t${++takeCounter}`;
  return new Promise<TakeResult>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new ClusterTimeoutError('a rate-limit token', options.deadlineMs)),
      options.deadlineMs,
    );
    timer.unref();
    store.__register__(index, 1, TOKEN_LEASE_MS).then(
      ({ success }) => {
        clearTimeout(timer);
        resolve(success ? { isTaken: true } : { isTaken: false, retryAfterMs: options.retryAfterMs });
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}
