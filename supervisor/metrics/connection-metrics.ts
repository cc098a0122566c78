import { Counter, Gauge, type Registry } from 'prom-client';
import { CONNECTION_REFUSALS, type ConnectionStats } from '../http/connection-gate.ts';

/**
 * The listener's connection figures on the Prometheus registry, read at scrape time: open and
 * reserve connections, idle ones closed to make room, and refusals by reason (a connection closed
 * at the limit, a non-owner request on a reserve connection, a request or its headers not sent in
 * time, a malformed request).
 */
export function registerConnectionMetrics(registry: Registry, stats: () => ConnectionStats): void {
  const registers = [registry];
  new Gauge({
    name: 'mcp_supervisor_http_connections',
    help: 'Open connections of the listener; kind="reserve" are kept for /health and the control API.',
    labelNames: ['kind'] as const,
    registers,
    collect() {
      const { open, reserved } = stats();
      this.set({ kind: 'all' }, open);
      this.set({ kind: 'reserve' }, reserved);
    },
  });
  new Counter({
    name: 'mcp_supervisor_http_connections_evicted_total',
    help: 'Idle connections closed to make room for new ones at the connection limit.',
    registers,
    collect() {
      this.reset();
      this.inc(stats().evicted);
    },
  });
  new Counter({
    name: 'mcp_supervisor_http_refusals_total',
    help: 'Connections and requests the listener refused, by reason (total, per_address, reserved, timeout, malformed).',
    labelNames: ['reason'] as const,
    registers,
    collect() {
      const { refused } = stats();
      this.reset();
      for (const reason of CONNECTION_REFUSALS) this.inc({ reason }, refused[reason]);
    },
  });
}
