import type Bottleneck from 'bottleneck';
import type { Redis } from 'ioredis';

/** What this module reads of a clustered limiter; not in Bottleneck's typings. */
type LimiterInternals = {
  id: string;
  /** Running jobs of this limiter instance, by their Redis index. */
  _scheduled: Record<string, unknown>;
  _store: { clientId: string; __free__(index: string, weight: number): Promise<unknown> };
};

/**
 * Frees the slots this limiter instance holds in Redis that no job of it holds any more, and
 * resolves with how many. Call it when Redis is back after an outage.
 *
 * Bottleneck bounds nothing itself, and the connection bounds every call by `timeoutMs`: a
 * `register` whose reply timed out may still have run in Redis (a wedged Redis runs its backlog
 * when it wakes), leaving a slot counted for a job that stays queued here; a `free` that failed
 * leaves the slot of a finished job. Either way the slot would be lost to the whole cluster until
 * its lease ends (tens of seconds): after a 1.5 s SIGSTOP of Redis, 1 to 3 of 4 shared slots
 * were, in this project's tests. Such a slot is an index in `b_<id>_job_clients` with this
 * instance's client id and no running job here; one still unknown after `graceMs` (longer than a
 * call's bound, so a registration in flight has had its answer) is freed with Bottleneck's own
 * `free` script, which is idempotent.
 */
export async function reclaimOrphans(
  limiter: Bottleneck,
  client: Redis,
  options: { graceMs: number; signal?: AbortSignal },
): Promise<number> {
  const internals = limiter as unknown as LimiterInternals;
  const { clientId } = internals._store;
  const key = `b_${internals.id}_job_clients`;
  const unheld = async (): Promise<string[]> => {
    const owners = await client.hgetall(key);
    return Object.entries(owners)
      .filter(([index, owner]) => owner === clientId && !(index in internals._scheduled))
      .map(([index]) => index);
  };
  const first = new Set(await unheld());
  if (first.size === 0) return 0;
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, options.graceMs);
    timer.unref();
    options.signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });
  options.signal?.throwIfAborted();
  const orphans = (await unheld()).filter((index) => first.has(index));
  for (const index of orphans) await internals._store.__free__(index, 1);
  return orphans.length;
}
