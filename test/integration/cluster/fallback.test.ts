import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { sleep, waitFor } from '../../helpers/paths.ts';
import type { LoadCommand, MemberSpec } from './fixtures/member.ts';
import { type MemberProcess, useClusterRedis } from './members.ts';

// Redis wedged (SIGSTOP: the socket stays open, nothing is answered) in the middle of a load,
// with two members in their own processes. Redis killed outright is in supervisors-faults.test.ts,
// with real supervisors.

const cluster = useClusterRedis({ beforeAll, afterEach, afterAll });

function spec(onUnavailable: 'local' | 'refuse'): MemberSpec {
  return {
    cluster: {
      redis: cluster.redis.url,
      id: cluster.clusterId('fallback'),
      timeoutMs: 300,
      heartbeatMs: 300,
      onUnavailable,
    },
    server: 'echo',
    limits: { maxConcurrent: 4, queueSize: 1_000, requestTimeoutMs: 10_000 },
    perClientConcurrent: 50,
  };
}

const load: LoadCommand = {
  count: 100_000,
  concurrency: 6,
  taskMs: 20,
  durationMs: 5_000,
  clientKey: 'client-a',
  pauseAfterRefusalMs: 20,
  hangMs: 5_000,
};

/** Polls every member's stats until each one's cluster mode is `mode`. */
async function waitForMode(all: MemberProcess[], mode: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const stats = await Promise.all(all.map((member) => member.stats()));
    if (stats.every((s) => s.cluster.mode === mode)) return;
    if (Date.now() > deadline)
      throw new Error(`modes ${stats.map((s) => s.cluster.mode)} after ${timeoutMs} ms`);
    await sleep(50);
  }
}

describe('Redis down or slow in the middle of a load', () => {
  it('a wedged Redis (SIGSTOP): unavailable within the bound, no request hangs, no shared slot lost', async () => {
    // Once hung: requests moved off a wedged Redis had held this host's slots until their
    // Bottleneck jobs left the queue, and new ones waited behind them.
    const memberSpec = spec('local');
    const members = await cluster.start(2, memberSpec);
    const running = Promise.all(members.map((member) => member.load({ ...load, durationMs: 4_000 })));
    await sleep(1_000);
    cluster.redis.pause();
    try {
      await waitForMode(members, 'local', 3_000);
      await sleep(1_000);
    } finally {
      cluster.redis.resume();
    }
    await waitForMode(members, 'clustered', 8_000);
    const results = (await running).flat();
    expect(results.filter((r) => r.outcome === 'hang' || r.outcome === 'error')).toEqual([]);
    expect(results.some((r) => r.mode === 'local' && r.outcome === 'ok')).toBe(true);
    // Registrations the woken Redis ran after their callers had timed out, and frees that
    // failed, are reclaimed: idle, the cluster holds no slot, long before the leases (35 s) end.
    // Without reclaim.ts, 1 to 3 of the 4 slots stayed taken here.
    const settingsKey = `b_mcps:${String(memberSpec.cluster.id)}:server:echo_settings`;
    const idleRunning = await waitFor(
      () => (cluster.redis.cli(['HGET', settingsKey, 'running']).trim() === '0' ? true : undefined),
      { what: 'no shared slot held once idle', timeoutMs: 10_000, intervalMs: 100 },
    );
    expect(idleRunning).toBe(true);
  });
});
