import { Gauge, type Registry } from 'prom-client';
import type { ClusterStatus } from '../client/wire-types.ts';
import type { ClusterState } from './connection.ts';

/** Cheap synchronous reader of the cluster's status, called on each scrape. */
export type ClusterStatusSource = () => ClusterStatus | undefined;

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
  /** A gauge filled at each scrape from the status: `values` gives its labelled samples. */
  const gauge = (
    name: string,
    help: string,
    labelNames: readonly string[],
    values: (status: ClusterStatus) => [Record<string, string>, number][],
  ) =>
    new Gauge({
      name,
      help,
      labelNames,
      registers: [registry],
      collect() {
        this.reset();
        const status = source();
        if (!status) return;
        for (const [labels, value] of values(status)) this.set(labels, value);
      },
    });
  gauge(
    'mcp_supervisor_cluster_state',
    'State of the cluster connection (1 for the current state).',
    ['state'],
    (s) => STATES.map((state) => [{ state }, s.state === state ? 1 : 0]),
  );
  gauge(
    'mcp_supervisor_cluster_members_seen',
    'Supervisors of the cluster seen in the last heartbeat (this one included).',
    [],
    (s) => [[{}, s.membersSeen]],
  );
  gauge(
    'mcp_supervisor_cluster_fallback_active',
    'Whether limits are enforced locally or requests refused because Redis is unavailable.',
    ['mode'],
    (s) => [[{ mode: s.onUnavailable }, s.isFallbackActive ? 1 : 0]],
  );
  gauge(
    'mcp_supervisor_cluster_reconnects',
    'Reconnections to Redis since the supervisor started.',
    [],
    (s) => [[{}, s.reconnects]],
  );
  const perServer = (
    name: string,
    help: string,
    value: (stats: ClusterStatus['servers'][string]) => number,
  ) =>
    gauge(name, help, ['server'], (s) =>
      Object.entries(s.servers).map(([server, stats]) => [{ server }, value(stats)]),
    );
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
