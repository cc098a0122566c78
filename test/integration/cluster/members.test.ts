import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../../helpers/paths.ts';
import type { MemberSpec } from './fixtures/member.ts';
import { useClusterRedis } from './members.ts';

const cluster = useClusterRedis({ beforeAll, afterEach, afterAll });

function spec(overrides: Partial<MemberSpec> = {}): MemberSpec {
  return {
    cluster: {
      redis: cluster.redis.url,
      id: cluster.clusterId('members'),
      timeoutMs: 300,
      heartbeatMs: 300,
    },
    server: 'echo',
    limits: { maxConcurrent: 2, queueSize: 100, requestTimeoutMs: 10_000 },
    perClientConcurrent: 10,
    ...overrides,
  };
}

describe('cluster members in their own processes', () => {
  it('a member SIGKILLed while holding every shared slot gives them back by the end of its leases', async () => {
    // perClientConcurrent 1 < maxConcurrent 2: the shared client-key slots are leased too.
    const memberSpec = spec({ leaseMs: 2_000, perClientConcurrent: 1 });
    const [doomed, survivor] = await cluster.start(2, memberSpec);
    if (!doomed || !survivor) throw new Error('members did not start');
    await doomed.hold(2, 'client-a');
    await waitFor(async () => ((await doomed.stats()).guard.running === 2 ? true : undefined), {
      what: 'both slots held',
      timeoutMs: 5_000,
    });
    const killedAt = Date.now();
    await doomed.kill();
    // The survivor's request, with a client key the dead member held a slot of, waits for a server
    // and a client slot the dead member held, and gets them once their leases end.
    const [outcome] = await survivor.load({
      count: 1,
      concurrency: 1,
      taskMs: 0,
      durationMs: 1_000,
      clientKey: 'client-a-0',
      pauseAfterRefusalMs: 0,
      hangMs: 15_000,
    });
    expect(outcome?.outcome).toBe('ok');
    const waitedMs = (outcome?.startedAt ?? 0) - killedAt;
    // Not before the lease (the slots were really held), and not much after it: lease 2 s, plus
    // up to one Bottleneck heartbeat (300 ms) to wake the waiting job, plus slack for a loaded machine.
    expect(waitedMs).toBeGreaterThanOrEqual(1_000);
    expect(waitedMs).toBeLessThan(8_000);
  });

  it('a key revocation published on one member reaches the others within a second', async () => {
    const memberSpec = spec();
    const [publisher, ...others] = await cluster.start(3, memberSpec);
    if (!publisher) throw new Error('members did not start');
    const publishedAt = await publisher.revoke('key-123');
    for (const member of others) {
      const event = await waitFor(() => member.keyEvents.find((e) => e.event.record.id === 'key-123'), {
        what: 'the revocation event',
        timeoutMs: 2_000,
        intervalMs: 10,
      });
      expect(event.event.type).toBe('revoked');
      expect(event.at - publishedAt).toBeLessThan(1_000);
    }
    // The publisher does not get its own event back.
    expect(publisher.keyEvents).toEqual([]);
  });
});
