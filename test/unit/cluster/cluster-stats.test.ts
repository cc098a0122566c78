import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import type { ClusterStatus } from '../../../supervisor/client/wire-types.ts';
import { registerClusterMetrics } from '../../../supervisor/cluster/cluster-stats.ts';
import { reconnectDelayMs } from '../../../supervisor/cluster/connection.ts';
import { parseHeartbeatReply, sameMembers } from '../../../supervisor/cluster/members.ts';

const status = (overrides: Partial<ClusterStatus> = {}): ClusterStatus => ({
  clusterId: 'prod',
  host: 'web-1',
  memberId: 'web-1:10:abc',
  redis: 'redis://redis:6379',
  state: 'connected',
  stateSince: 0,
  members: [],
  membersSeen: 3,
  onUnavailable: 'local',
  isFallbackActive: false,
  reconnects: 2,
  lastHeartbeatAt: 0,
  servers: {
    memory: {
      mode: 'clustered',
      limiterId: 'mcps:prod:server:memory',
      membersSeen: 3,
      localShare: { maxConcurrent: 1, queueSize: 10, requestTimeoutMs: 1, perClientConcurrent: 1 },
      sharedWaiting: 0,
      fallbackRequests: 4,
      movedRequests: 1,
      rebuilds: 0,
      reclaimedSlots: 0,
    },
  },
  ...overrides,
});

describe('cluster state for /metrics and status', () => {
  it('exposes the state, members, fallback and per-server counts, each with the host label', async () => {
    const registry = new Registry();
    let current: ClusterStatus | undefined = status();
    registerClusterMetrics(registry, 'web-1', () => current);
    const text = await registry.metrics();
    expect(text).toContain('mcp_supervisor_cluster_state{state="connected",host="web-1"} 1');
    expect(text).toContain('mcp_supervisor_cluster_state{state="down",host="web-1"} 0');
    expect(text).toContain('mcp_supervisor_cluster_members_seen{host="web-1"} 3');
    expect(text).toContain('mcp_supervisor_cluster_fallback_active{mode="local",host="web-1"} 0');
    expect(text).toContain('mcp_supervisor_cluster_fallback_requests{server="memory",host="web-1"} 4');
    current = status({ state: 'down', isFallbackActive: true });
    expect(await registry.metrics()).toContain(
      'mcp_supervisor_cluster_fallback_active{mode="local",host="web-1"} 1',
    );
    current = undefined;
    const without = await registry.metrics();
    expect(without).not.toContain('mcp_supervisor_cluster_state{');
    expect(without).not.toContain('mcp_supervisor_cluster_fallback_requests{');
  });

  it('parses heartbeat replies and compares member lists', () => {
    const reply = [1_000, 'a:1:x', '990', '{"host":"a","pid":1,"startedAt":5}', 'b:2:y', '980', 'garbage'];
    const parsed = parseHeartbeatReply(reply);
    expect(parsed.nowMs).toBe(1_000);
    expect(parsed.members).toEqual([
      { id: 'a:1:x', host: 'a', pid: 1, startedAt: 5, lastSeenAt: 990 },
      { id: 'b:2:y', host: 'b', pid: 0, startedAt: 0, lastSeenAt: 980 },
    ]);
    expect(sameMembers(parsed.members, [...parsed.members])).toBe(true);
    expect(sameMembers(parsed.members, parsed.members.slice(1))).toBe(false);
  });

  it('backs off reconnects exponentially with jitter, up to the cap', () => {
    expect(reconnectDelayMs(1, 5_000, () => 1)).toBe(100);
    expect(reconnectDelayMs(4, 5_000, () => 1)).toBe(800);
    expect(reconnectDelayMs(30, 5_000, () => 1)).toBe(5_000);
    expect(reconnectDelayMs(30, 5_000, () => 0)).toBe(2_500);
  });
});
