import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { LoadCommand, MemberSpec } from './fixtures/member.ts';
import { maxOverlap, useClusterRedis } from './members.ts';

// Two and three supervisors' guards, each in its own process as a supervisor holds it, share one
// real Redis. What is measured comes from the tasks themselves (wall-clock start and end of each
// task, one clock for all processes on this machine), never from the limiter's own counters.

const cluster = useClusterRedis({ beforeAll, afterEach, afterAll });

function spec(limits: Partial<MemberSpec['limits']>, perClientConcurrent = 50): MemberSpec {
  return {
    // These tests are about sharing, not about a slow Redis (fallback.test.ts is): the Redis bound
    // is generous, because on a loaded 2-core machine a Lua call took over 500 ms now and then,
    // which sent a request to the local fallback (and its own bucket) mid-test.
    cluster: {
      redis: cluster.redis.url,
      id: cluster.clusterId('shared'),
      timeoutMs: 2_000,
      heartbeatMs: 500,
    },
    server: 'echo',
    limits: { maxConcurrent: 50, queueSize: 1_000, requestTimeoutMs: 10_000, ...limits },
    perClientConcurrent,
  };
}

const startMembers = (count: number, memberSpec: MemberSpec) => cluster.start(count, memberSpec);

const baseLoad: LoadCommand = {
  count: 60,
  concurrency: 6,
  taskMs: 40,
  durationMs: 15_000,
  clientKey: 'client-a',
  pauseAfterRefusalMs: 5,
  hangMs: 10_000,
};

describe('clustered limits across processes sharing one Redis', () => {
  it.each([2, 3])('%i members: combined concurrency never exceeds maxConcurrent', async (count) => {
    const all = await startMembers(count, spec({ maxConcurrent: 4 }));
    // Every member offers 6 callers at once against a cluster-wide cap of 4.
    const results = (
      await Promise.all(all.map((member, i) => member.load({ ...baseLoad, clientKey: `client-${i}` })))
    ).flat();
    expect(results.filter((r) => r.outcome !== 'ok' || r.mode !== 'clustered')).toEqual([]);
    expect(results).toHaveLength(60 * count);
    expect(maxOverlap(results)).toBeLessThanOrEqual(4);
    // The cap was reached: the limit held under pressure, not for want of load.
    expect(maxOverlap(results)).toBe(4);
  });

  it('a client key is capped across members (per-client caps are shared too)', async () => {
    const all = await startMembers(2, spec({ maxConcurrent: 20 }, 2));
    const results = (await Promise.all(all.map((member) => member.load({ ...baseLoad, count: 30 })))).flat();
    expect(results.filter((r) => r.outcome !== 'ok')).toEqual([]);
    expect(maxOverlap(results)).toBe(2);
  });

  it.each([2, 3])(
    '%i members: combined accepted rate never exceeds requestsPerMinute + burst',
    async (count) => {
      // 600/min = one token per 100 ms; burst 10.
      const all = await startMembers(count, spec({ requestsPerMinute: 600, burst: 10 }));
      const windowMs = 3_000;
      const results = (
        await Promise.all(
          all.map((member) =>
            member.load({ ...baseLoad, count: 2_000, concurrency: 4, taskMs: 0, durationMs: windowMs }),
          ),
        )
      ).flat();
      const accepted = results.filter((r) => r.outcome === 'ok').map((r) => r.startedAt ?? 0);
      const refused = results.filter((r) => r.outcome === 'refused');
      expect(results.filter((r) => r.outcome === 'error' || r.outcome === 'hang')).toEqual([]);
      expect(new Set(refused.map((r) => r.reason))).toEqual(new Set(['rate_limited']));
      // Every request was limited by the shared bucket, none by a local fallback.
      expect(results.filter((r) => r.mode !== 'clustered')).toEqual([]);
      expect(refused.filter((r) => !((r.retryAfterMs ?? 0) > 0 && (r.retryAfterMs ?? 0) <= 1_000))).toEqual(
        [],
      );
      const spanMs = Math.max(...accepted) - Math.min(...accepted);
      // The bucket starts full (10) and gains one token per 100 ms of the span.
      const allowed = 10 + Math.floor(spanMs / 100) + 1;
      expect(accepted.length).toBeLessThanOrEqual(allowed);
      // …and the members together did get close to it (the shared bucket is not starving them).
      expect(accepted.length).toBeGreaterThanOrEqual(Math.floor(allowed * 0.7));
      const stats = await Promise.all(all.map((member) => member.stats()));
      expect(stats.map((s) => s.cluster.fallbackRequests)).toEqual(all.map(() => 0));
    },
  );
});
