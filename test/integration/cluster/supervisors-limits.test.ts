/**
 * Three real supervisors (own homes, own PM2, own copy of the fixture server) on one real Redis,
 * called by real MCP clients through `/mcp/<server>`: the combined concurrency and the combined
 * accepted rate stay within one server's limits, with two members and with three; a key
 * created on one works on the others, and once revoked there it is refused by the others within a
 * second; status and /metrics show the cluster.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../helpers/cli.ts';
import { sleep, waitFor } from '../../helpers/paths.ts';
import { rawInitialize, rawPost } from '../gateway/helpers.ts';
import { maxOverlap } from './overlap.ts';
import { loadAll, type Member, useSupervisorCluster } from './supervisors.ts';

const clusterId = `limits-${process.pid}`;
const cluster = useSupervisorCluster(
  { beforeAll, afterAll },
  {
    clusterId,
    servers: {
      conc: { maxConcurrent: 4, queueSize: 1_000, requestTimeoutMs: 20_000 },
      // 60/min: one token per second; burst 3. Low enough that the callers ask far more than it
      // allows even on a loaded machine (a call takes 20-30 ms through a clustered gateway when
      // idle, up to a second under CI load: 300/min let a loaded run ask less than the limit).
      // One server per test: each starts with a full bucket.
      rate2: { requestsPerMinute: 60, burst: 3 },
      rate3: { requestsPerMinute: 60, burst: 3 },
    },
    timeoutMs: 2_000,
    members: [{ name: 's1' }, { name: 's2' }, { name: 's3' }],
  },
);

// Calls long enough (400 ms) that a freed slot is taken again well within one call, on a loaded
// machine too: with 150 ms calls, a loaded run could miss the cap without anything being wrong.
const slowLoad = {
  count: 12,
  callers: 6,
  ms: 400,
  durationMs: 20_000,
  pauseAfterRefusalMs: 20,
  hangMs: 15_000,
};

describe('limits shared by real supervisors through one Redis', () => {
  it.each([2, 3])('%i supervisors: combined concurrency never exceeds maxConcurrent', async (count) => {
    const members = cluster.members.slice(0, count);
    // Each member offers 6 callers at once against a cluster-wide cap of 4.
    const results = await loadAll(members, 'conc', slowLoad);
    expect(results.filter((r) => r.outcome !== 'ok')).toEqual([]);
    expect(results).toHaveLength(12 * count);
    expect(maxOverlap(results)).toBeLessThanOrEqual(4);
    // The cap was reached: it held under pressure, not for want of load.
    expect(maxOverlap(results)).toBe(4);
    for (const member of members) {
      const stats = (await member.cluster()).servers.conc;
      expect(stats).toMatchObject({ mode: 'clustered', fallbackRequests: 0, movedRequests: 0 });
    }
    // Every shared slot came back to Redis (none left for its lease to return).
    const limiterId = (await members[0]?.cluster())?.servers.conc?.limiterId;
    await waitFor(
      () =>
        cluster.redis.cli(['HGET', `b_${limiterId}_settings`, 'running']).trim() === '0' ? true : undefined,
      {
        what: 'the shared server limiter to run nothing',
        timeoutMs: 2_000,
        describeLast: () => cluster.redis.cli(['HGET', `b_${limiterId}_settings`, 'running']),
      },
    );
  });

  it.each([2, 3])(
    '%i supervisors: combined accepted rate never exceeds requestsPerMinute + burst',
    async (count) => {
      const members = cluster.members.slice(0, count);
      const results = await loadAll(members, `rate${count}`, {
        count: 1_000,
        callers: 3,
        ms: 0,
        durationMs: 4_000,
        pauseAfterRefusalMs: 20,
        hangMs: 10_000,
      });
      expect(results.filter((r) => r.outcome === 'error' || r.outcome === 'hang')).toEqual([]);
      const refused = results.filter((r) => r.outcome === 'refused');
      const accepted = results.filter((r) => r.outcome === 'ok').map((r) => r.startedAt ?? 0);
      const spanMs = Math.max(...accepted) - Math.min(...accepted);
      // The bucket starts full (3) and gains one token per second of the span.
      const allowed = 3 + Math.floor(spanMs / 1_000) + 1;
      const counts = `${accepted.length} accepted, ${refused.length} refused, ${allowed} allowed`;
      // The callers asked for more than that: the limit, not the load, decided.
      expect(refused.length, counts).toBeGreaterThan(allowed);
      expect(accepted.length, counts).toBeLessThanOrEqual(allowed);
      expect(new Set(refused.map((r) => r.reason))).toEqual(new Set(['rate_limited']));
      for (const r of refused) expect(r.retryAfterMs).toBeGreaterThan(0);
      // …and together they got close to it: one shared bucket that does not starve them (one
      // bucket per host would have allowed `count` times as many). Which member wins a token is a
      // race: with a few tokens a second, one member may win none, so that is not asserted.
      expect(accepted.length, counts).toBeGreaterThanOrEqual(Math.floor(allowed * 0.7));
      for (const member of members) {
        expect((await member.cluster()).servers[`rate${count}`]?.fallbackRequests).toBe(0);
      }
    },
  );

  it('a key created on one supervisor works on the others; revoked there, they refuse it within a second', async () => {
    const [s1, s2, s3] = ['s1', 's2', 's3'].map((name) => cluster.member(name)) as [Member, Member, Member];
    const created = await s1.supervisor.client.request<{ token: string; key: { id: string } }>(
      'POST',
      '/api/keys',
      { body: JSON.stringify({ name: 'ci-bot' }) },
    );
    const bearer = { authorization: `Bearer ${created.token}` };
    // Replicated (signed with the cluster's keySecret): a session on each of the others, whose
    // verification is now in their 5-minute caches.
    const sessions = new Map<Member, string>();
    for (const member of [s2, s3]) {
      const url = new URL(`http://127.0.0.1:${member.supervisor.port}/mcp/conc`);
      const session = await waitFor(() => rawInitialize(url, bearer).catch(() => undefined), {
        what: `the key created on s1 to work on ${member.name}`,
        timeoutMs: 5_000,
        intervalMs: 50,
      });
      sessions.set(member, session);
    }
    const list = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' });
    const statusOn = async (member: Member) => {
      const url = new URL(`http://127.0.0.1:${member.supervisor.port}/mcp/conc`);
      return (await rawPost(url, list, { ...bearer, 'mcp-session-id': sessions.get(member) ?? '' })).status;
    };
    for (const member of [s2, s3]) expect(await statusOn(member)).toBe(200);

    const askedAt = Date.now();
    await s1.supervisor.client.request('POST', `/api/keys/${created.key.id}/revoke`);
    // Revoked on s1 from here: what is measured is how long the others take to hear of it (the
    // POST itself can take hundreds of ms on a loaded machine).
    const revokedAt = Date.now();
    for (const member of [s2, s3]) {
      let refusedAt: number | undefined;
      while (Date.now() - revokedAt < 3_000) {
        if ((await statusOn(member)) === 401) {
          refusedAt = Date.now();
          break;
        }
        await sleep(20);
      }
      expect(refusedAt, `${member.name} still accepted the revoked key after 3 s`).toBeDefined();
      expect((refusedAt ?? 0) - revokedAt, `POST took ${revokedAt - askedAt} ms`).toBeLessThan(1_000);
    }
    // Revoked in their own SQLite too, not only out of their caches.
    const keys = await s2.supervisor.client.request<{ keys: { id: string; revokedAt: number | null }[] }>(
      'GET',
      '/api/keys',
    );
    expect(keys.keys.find((key) => key.id === created.key.id)?.revokedAt).toBeTypeOf('number');
  });

  it('status and /metrics show the cluster: connected, the members, the host label', async () => {
    const s1 = cluster.member('s1');
    const status = await s1.cluster();
    expect(status).toMatchObject({
      clusterId,
      host: 's1',
      state: 'connected',
      membersSeen: 3,
      isFallbackActive: false,
      onUnavailable: 'local',
    });
    expect(status.members.map((m) => m.host).sort()).toEqual(['s1', 's2', 's3']);
    expect(status.redis).toMatch(/^redis:\/\/127\.0\.0\.1:\d+\/?$/);
    const metrics = await (await fetch(`http://127.0.0.1:${s1.supervisor.port}/metrics`)).text();
    expect(metrics).toContain('mcp_supervisor_cluster_state{state="connected",host="s1"} 1');
    expect(metrics).toContain('mcp_supervisor_cluster_members_seen{host="s1"} 3');
    expect(metrics).toContain('mcp_supervisor_cluster_fallback_active{mode="local",host="s1"} 0');
    // Every series of this supervisor carries its host label, so one Prometheus scrapes them all.
    expect(metrics).toMatch(/mcp_supervisor_server_up\{server="conc",host="s1"\} 1/);
    const printed = await runCli(['status'], { home: s1.home.path });
    expect(printed.stdout).toMatch(
      new RegExp(`cluster ${clusterId} \\(redis://127\\.0\\.0\\.1:\\d+/?\\) as s1: connected`),
    );
  });
});
