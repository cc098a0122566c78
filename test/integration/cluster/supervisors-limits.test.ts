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
import { type RedisServer, startRedis } from '../../helpers/redis.ts';
import { rawInitialize, rawPost } from '../gateway/helpers.ts';
import { maxOverlap } from './overlap.ts';
import { loadAll, type Member, supervisorCluster } from './supervisors.ts';

let redis: RedisServer;
const clusterId = `limits-${process.pid}`;
const cluster = supervisorCluster({
  redis: () => redis,
  clusterId,
  servers: {
    conc: { maxConcurrent: 4, queueSize: 1_000, requestTimeoutMs: 20_000 },
    // 300/min: one token per 200 ms; burst 5. Low enough that the callers (a call takes 20-30
    // ms through a clustered gateway here) ask far more than it allows. One server per test: each
    // starts with a full bucket.
    rate2: { requestsPerMinute: 300, burst: 5 },
    rate3: { requestsPerMinute: 300, burst: 5 },
  },
  timeoutMs: 2_000,
});
let all: Member[] = [];

beforeAll(async () => {
  redis = await startRedis();
  all = await cluster.start([{ name: 's1' }, { name: 's2' }, { name: 's3' }]);
}, 180_000);

afterAll(async () => {
  try {
    await cluster.stopAll();
  } finally {
    await redis?.stop();
  }
}, 180_000);

const slowLoad = {
  count: 24,
  callers: 6,
  ms: 150,
  durationMs: 20_000,
  pauseAfterRefusalMs: 20,
  hangMs: 15_000,
};

describe('limits shared by real supervisors through one Redis', () => {
  it.each([2, 3])('%i supervisors: combined concurrency never exceeds maxConcurrent', async (count) => {
    const members = all.slice(0, count);
    // Each member offers 6 callers at once against a cluster-wide cap of 4.
    const results = await loadAll(members, 'conc', slowLoad);
    expect(results.filter((r) => r.outcome !== 'ok')).toEqual([]);
    expect(results).toHaveLength(24 * count);
    expect(maxOverlap(results)).toBeLessThanOrEqual(4);
    // The cap was reached: it held under pressure, not for want of load.
    expect(maxOverlap(results)).toBe(4);
    for (const member of members) {
      const stats = (await member.cluster()).servers.conc;
      expect(stats).toMatchObject({ mode: 'clustered', fallbackRequests: 0, movedRequests: 0 });
    }
  });

  it.each([2, 3])(
    '%i supervisors: combined accepted rate never exceeds requestsPerMinute + burst',
    async (count) => {
      const members = all.slice(0, count);
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
      expect(new Set(refused.map((r) => r.reason))).toEqual(new Set(['rate_limited']));
      for (const r of refused) expect(r.retryAfterMs).toBeGreaterThan(0);
      const accepted = results.filter((r) => r.outcome === 'ok').map((r) => r.startedAt ?? 0);
      const spanMs = Math.max(...accepted) - Math.min(...accepted);
      // The bucket starts full (5) and gains one token per 200 ms of the span.
      const allowed = 5 + Math.floor(spanMs / 200) + 1;
      // The callers asked for more than that: the limit, not the load, decided.
      expect(refused.length).toBeGreaterThan(allowed);
      expect(accepted.length).toBeLessThanOrEqual(allowed);
      // …and together they got close to it (the shared bucket is not starving them), every member
      // getting some: one bucket, not one per host (which would allow `count` times as many).
      expect(accepted.length).toBeGreaterThanOrEqual(Math.floor(allowed * 0.7));
      for (const member of members) {
        expect(results.some((r) => r.member === member.name && r.outcome === 'ok')).toBe(true);
        expect((await member.cluster()).servers[`rate${count}`]?.fallbackRequests).toBe(0);
      }
    },
  );

  it('a key created on one supervisor works on the others; revoked there, they refuse it within a second', async () => {
    const [s1, s2, s3] = all as [Member, Member, Member];
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

    const revokedAt = Date.now();
    await s1.supervisor.client.request('POST', `/api/keys/${created.key.id}/revoke`);
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
      expect((refusedAt ?? 0) - revokedAt).toBeLessThan(1_000);
    }
    // Revoked in their own SQLite too, not only out of their caches.
    const keys = await s2.supervisor.client.request<{ keys: { id: string; revokedAt: number | null }[] }>(
      'GET',
      '/api/keys',
    );
    expect(keys.keys.find((key) => key.id === created.key.id)?.revokedAt).toBeTypeOf('number');
  });

  it('status and /metrics show the cluster: connected, the members, the host label', async () => {
    const [s1] = all as [Member];
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
