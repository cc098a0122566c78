/**
 * Faults under load with three real supervisors on one real Redis (s1 and s3 fall back to their
 * local share, s2 refuses): a supervisor SIGKILLed while holding shared slots gives them back
 * when their leases end; Redis killed mid-load sends each member its configured way at once, the
 * cluster alert fires (in /api/alerts), no call hangs, and when Redis is back the limits are
 * shared again and the alert resolves.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sleep, waitFor } from '../../helpers/paths.ts';
import { maxOverlap } from './overlap.ts';
import { type CallOutcome, callWork, loadAll, type Member, useSupervisorCluster } from './supervisors.ts';

const clusterId = `faults-${process.pid}`;
const specs = [
  { name: 's1', onUnavailable: 'local' as const },
  { name: 's2', onUnavailable: 'refuse' as const },
  { name: 's3', onUnavailable: 'local' as const },
];
const cluster = useSupervisorCluster(
  { beforeAll, afterAll },
  {
    clusterId,
    servers: {
      // A started call gets 2 s (the request channel's timeout), so its shared slots are leased
      // for max(2 × 2 s, 2 s + 5 s) = 7 s: what a dead supervisor's slots are held for at most.
      held: { maxConcurrent: 2, queueSize: 100, requestTimeoutMs: 2_000 },
      busy: { maxConcurrent: 4, queueSize: 1_000, requestTimeoutMs: 10_000 },
    },
    members: specs,
  },
);
const s1 = () => cluster.member('s1');
const s2 = () => cluster.member('s2');
const s3 = () => cluster.member('s3');

const ALERT_KEY = `cluster_unavailable:${clusterId}`;

/** Polls `member`'s status until its cluster connection is in one of `states`. */
function waitForState(member: Member, states: string[], timeoutMs = 10_000) {
  let last = '';
  return waitFor(
    async () => {
      last = (await member.cluster()).state;
      return states.includes(last) ? last : undefined;
    },
    {
      what: `${member.name}'s cluster ${states.join(' or ')}`,
      timeoutMs,
      intervalMs: 50,
      describeLast: () => last,
    },
  );
}

const overlapOf = (outcomes: CallOutcome[], member: string) =>
  maxOverlap(outcomes.filter((outcome) => outcome.member === member));

describe('faults in a cluster of real supervisors', () => {
  it('a supervisor SIGKILLed while holding every shared slot does not keep them past their leases', async () => {
    const doomed = await s3().connect('held');
    for (let i = 0; i < 2; i++) void callWork('s3', doomed, 60_000, 60_000);
    await waitFor(
      async () => {
        const row = (await s3().supervisor.status()).servers.find((s) => s.name === 'held');
        return row?.running === 2 ? true : undefined;
      },
      { what: 's3 running both calls', timeoutMs: 5_000, intervalMs: 20 },
    );
    const killedAt = Date.now();
    s3().supervisor.child.kill('SIGKILL');
    await s3().supervisor.exited;

    // s1's two calls need both slots the dead supervisor held: they wait for its leases.
    const client = await s1().connect('held');
    const outcomes = await Promise.all([0, 1].map(() => callWork('s1', client, 0, 20_000)));
    expect(outcomes.map((o) => o.outcome)).toEqual(['ok', 'ok']);
    const waitedMs = Math.max(...outcomes.map((o) => (o.startedAt ?? 0) - killedAt));
    // Not at once (the slots were really held), and not forever: the leases (7 s from when the
    // calls started, less than 2 s before the kill) plus Bottleneck's heartbeat and slack.
    expect(waitedMs).toBeGreaterThanOrEqual(3_000);
    expect(waitedMs).toBeLessThan(12_000);
    // The others stop counting it within 3 heartbeats.
    await waitFor(async () => ((await s1().cluster()).membersSeen === 2 ? true : undefined), {
      what: 's1 to see 2 members',
      timeoutMs: 5_000,
    });

    // What the crash left (its PM2 daemon, its servers) goes with the next start on its home.
    await cluster.restart(s3(), specs[2] as (typeof specs)[number]);
    for (const member of [s1(), s2(), s3()]) {
      await waitFor(async () => ((await member.cluster()).membersSeen === 3 ? true : undefined), {
        what: `${member.name} to see s3 again`,
        timeoutMs: 10_000,
      });
    }
  });

  it('Redis killed mid-load: local share or refusal as configured, the alert fires, nothing hangs, all back after', async () => {
    const members = [s1(), s2(), s3()];
    // The load lasts until 2 s after every member reconnected (bounded by 40 s): how long the
    // outage sequence takes depends on the machine's load, so no fixed duration fits it.
    const endLoad = new AbortController();
    const running = loadAll(members, 'busy', {
      count: 10_000,
      callers: 4,
      ms: 50,
      durationMs: 40_000,
      signal: endLoad.signal,
      pauseAfterRefusalMs: 50,
      hangMs: 6_000,
    });
    await sleep(1_500);
    const killedAt = Date.now();
    await cluster.redis.kill();
    for (const member of members) await waitForState(member, ['down', 'degraded']);
    // The alert, warning where limits hold by share, critical where requests are refused.
    const firing = new Map<string, string>();
    for (const member of members) {
      const alert = await waitFor(async () => (await member.alerts()).find((a) => a.key === ALERT_KEY), {
        what: `${member.name}'s cluster alert`,
        timeoutMs: 5_000,
        intervalMs: 100,
      });
      firing.set(member.name, alert.severity);
    }
    expect(Object.fromEntries(firing)).toEqual({ s1: 'warning', s2: 'critical', s3: 'warning' });
    const during = await Promise.all(members.map((member) => member.cluster()));
    expect(during.map((status) => status.isFallbackActive)).toEqual([true, true, true]);
    await sleep(1_500);
    const restartedAt = Date.now();
    await cluster.redis.restart();
    for (const member of members) await waitForState(member, ['connected']);
    const reconnectedAt = Date.now();
    for (const member of members) {
      await waitFor(
        async () => ((await member.alerts()).some((a) => a.key === ALERT_KEY) ? undefined : true),
        { what: `${member.name}'s cluster alert resolved`, timeoutMs: 5_000, intervalMs: 100 },
      );
      const history = await member.alerts(true);
      expect(history.find((a) => a.key === ALERT_KEY)?.resolvedAt).toBeGreaterThan(restartedAt);
    }
    await sleep(2_000);
    endLoad.abort();
    const outcomes = await running;

    // Never a hang, never an error: each call had an answer or a documented refusal in time.
    expect(outcomes.filter((o) => o.outcome === 'hang' || o.outcome === 'error')).toEqual([]);
    expect(Math.max(...outcomes.map((o) => o.settledAt - o.issuedAt))).toBeLessThan(6_000);
    // Issued once Redis was surely gone, answered before it came back.
    const inOutage = outcomes.filter((o) => o.issuedAt > killedAt + 500 && o.settledAt < restartedAt);
    const byMember = (name: string) => inOutage.filter((o) => o.member === name);
    for (const name of ['s1', 's3']) {
      expect(byMember(name).length).toBeGreaterThan(0);
      expect(byMember(name).every((o) => o.outcome === 'ok')).toBe(true);
      // Each enforces its share of maxConcurrent 4 among the 3 members it last saw.
      expect(overlapOf(inOutage, name)).toBeLessThanOrEqual(1);
    }
    expect(maxOverlap(inOutage)).toBeLessThanOrEqual(4);
    expect(byMember('s2').length).toBeGreaterThan(0);
    for (const o of byMember('s2')) {
      expect(o).toMatchObject({ outcome: 'refused', reason: 'server_unavailable' });
      expect(o.retryAfterMs).toBeGreaterThan(0);
    }
    // Shared again: every call after the reconnect went through, within the shared cap.
    const after = outcomes.filter((o) => o.issuedAt > reconnectedAt + 500);
    expect(after.length).toBeGreaterThan(0);
    expect(after.filter((o) => o.outcome !== 'ok')).toEqual([]);
    expect(maxOverlap(after)).toBeLessThanOrEqual(4);
    for (const member of members) {
      const busy = (await member.cluster()).servers.busy;
      expect(busy?.mode).toBe('clustered');
      expect(busy?.fallbackRequests).toBeGreaterThan(0);
    }
  });
});
