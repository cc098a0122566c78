import { Gauge, type Registry } from 'prom-client';
import type { ClusteredGuardStats } from './clustered-guard.ts';
import type { ClusterConnectionStats, ClusterState } from './connection.ts';

/** Cluster state for `status` and `/metrics`: the connection's view plus each server's guard. */
export type ClusterStatus = ClusterConnectionStats & {
  servers: Record<string, ClusteredGuardStats>;
};

/** Cheap synchronous reader, called on each scrape or status request. */
export type ClusterStatusSource = () => ClusterStatus | undefined;

export function clusterStatus(
  connection: { stats(): ClusterConnectionStats },
  guards: ReadonlyMap<string, { clusterStats(): ClusteredGuardStats }>,
): ClusterStatus {
  const servers: Record<string, ClusteredGuardStats> = {};
  for (const [name, guard] of guards) servers[name] = guard.clusterStats();
  return { ...connection.stats(), servers };
}

/**
 * The alert condition while Redis is unavailable: fires when the state is not `connected` and
 * resolves when it is (the alert engine applies its cooldown). `local` is a warning (limits hold
 * per host, by share), `refuse` is critical (requests to shared-limit servers are refused).
 */
export function clusterAlertCondition(
  status: Pick<ClusterConnectionStats, 'clusterId' | 'state' | 'onUnavailable' | 'membersSeen' | 'lastError'>,
): { key: string; severity: 'warning' | 'critical'; message: string } | undefined {
  if (status.state === 'connected') return undefined;
  const what =
    status.onUnavailable === 'local'
      ? `each supervisor enforces its share of the limits alone (1/${status.membersSeen})`
      : 'requests to servers with shared limits are refused';
  return {
    key: `cluster:${status.clusterId}:redis`,
    severity: status.onUnavailable === 'local' ? 'warning' : 'critical',
    message: `cluster ${status.clusterId}: Redis is ${status.state}${status.lastError ? ` (${status.lastError})` : ''}; ${what}`,
  };
}

const STATES: readonly ClusterState[] = ['connected', 'degraded', 'down'];

/**
 * Adds the cluster gauges to a supervisor's registry, and the `host` label to every metric of it
 * (prom-client default labels), so one Prometheus scraping every member tells them apart:
 *
 * - `mcp_supervisor_cluster_state{state}` 1 for the current state, 0 for the others;
 * - `mcp_supervisor_cluster_members_seen`;
 * - `mcp_supervisor_cluster_fallback_active{mode}` 1 while limits are local or refused;
 * - `mcp_supervisor_cluster_reconnects`;
 * - `mcp_supervisor_cluster_fallback_requests{server}`, `…_moved_requests{server}`,
 *   `…_reclaimed_slots{server}`.
 *
 * Register them only when a cluster is configured: with `source` returning undefined the labelled
 * gauges are empty, but prom-client still shows the unlabelled ones (members, reconnects) as 0.
 */
export function registerClusterMetrics(registry: Registry, host: string, source: ClusterStatusSource): void {
  registry.setDefaultLabels({ host });
  const registers = [registry];
  new Gauge({
    name: 'mcp_supervisor_cluster_state',
    help: 'State of the cluster connection (1 for the current state).',
    labelNames: ['state'] as const,
    registers,
    collect() {
      this.reset();
      const status = source();
      if (!status) return;
      for (const state of STATES) this.set({ state }, status.state === state ? 1 : 0);
    },
  });
  new Gauge({
    name: 'mcp_supervisor_cluster_members_seen',
    help: 'Supervisors of the cluster seen in the last heartbeat (this one included).',
    registers,
    collect() {
      this.reset();
      const status = source();
      if (status) this.set(status.membersSeen);
    },
  });
  new Gauge({
    name: 'mcp_supervisor_cluster_fallback_active',
    help: 'Whether limits are enforced locally or requests refused because Redis is unavailable.',
    labelNames: ['mode'] as const,
    registers,
    collect() {
      this.reset();
      const status = source();
      if (status) this.set({ mode: status.onUnavailable }, status.isFallbackActive ? 1 : 0);
    },
  });
  new Gauge({
    name: 'mcp_supervisor_cluster_reconnects',
    help: 'Reconnections to Redis since the supervisor started.',
    registers,
    collect() {
      this.reset();
      const status = source();
      if (status) this.set(status.reconnects);
    },
  });
  const perServer = (name: string, help: string, value: (stats: ClusteredGuardStats) => number) =>
    new Gauge({
      name,
      help,
      labelNames: ['server'] as const,
      registers,
      collect() {
        this.reset();
        const status = source();
        if (!status) return;
        for (const [server, stats] of Object.entries(status.servers)) this.set({ server }, value(stats));
      },
    });
  perServer(
    'mcp_supervisor_cluster_fallback_requests',
    'Requests limited locally or refused because Redis was unavailable.',
    (stats) => stats.fallbackRequests,
  );
  perServer(
    'mcp_supervisor_cluster_reclaimed_slots',
    'Shared slots this supervisor held in Redis for no request after an outage, and freed.',
    (stats) => stats.reclaimedSlots,
  );
  perServer(
    'mcp_supervisor_cluster_moved_requests',
    'Requests that waited for a shared slot when Redis went away and were moved to the fallback.',
    (stats) => stats.movedRequests,
  );
}
