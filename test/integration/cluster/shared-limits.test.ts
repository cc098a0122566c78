import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { LoadCommand, MemberSpec } from './fixtures/member.ts';
import { useClusterRedis } from './members.ts';
import { maxOverlap } from './overlap.ts';

// Two supervisors' guards, each in its own process as a supervisor holds it, share one real
// Redis: the per-client cap (the real-supervisor tests, supervisors-limits.test.ts, cover the
// server's concurrency and rate). What is measured comes from the tasks themselves (wall-clock
// start and end of each task, one clock for all processes on this machine).

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
  it('a client key is capped across members (per-client caps are shared too)', async () => {
    const all = await startMembers(2, spec({ maxConcurrent: 20 }, 2));
    const results = (await Promise.all(all.map((member) => member.load({ ...baseLoad, count: 30 })))).flat();
    expect(results.filter((r) => r.outcome !== 'ok')).toEqual([]);
    expect(maxOverlap(results)).toBe(2);
  });
});
