import type { ServerSnapshot } from '../alerts/rules.ts';
import type { ServerStatus } from '../client/wire-types.ts';
import type { SupervisorCore } from '../core/supervisor.ts';
import type { ServerGuards } from '../limits/guards.ts';
import type { ServerGaugeSnapshot } from '../metrics/prometheus.ts';
import type { MonitoredServer, MonitorSample } from '../monitor/monitor.ts';
import type { Pm2Manager } from '../process/pm2-manager.ts';
import type { LastMinuteStats } from '../store/live-window.ts';

/**
 * The views of each server that the status API, `/metrics`, the alert rules and the monitor
 * read: joins of the core's state, the guards' stats, the monitor's samples and the recorder's
 * live window. Nothing here is kept; every call reads the parts as they are now.
 */
export interface StatusSources {
  core: SupervisorCore;
  guards: ServerGuards;
  monitor: { latest(): MonitorSample | null };
}

/**
 * Status rows (`GET /api/status`): the core's row, with the CPU and RSS of the server's whole
 * process tree once the monitor has sampled it (PM2's figures cover only the top process), and
 * the breaker and queue of its guard once it has one. Fields keep the order clients have seen.
 */
export async function statusRows(sources: StatusSources): Promise<ServerStatus[]> {
  const rows = await sources.core.status();
  const processes = sources.monitor.latest()?.processes;
  return rows.map((row) => {
    const { lastError, lastExit, ...head } = row;
    const sample = row.pid > 0 ? processes?.find((p) => p.pid === row.pid) : undefined;
    const isSampled = sample !== undefined && sample.cpuPercent !== null && sample.rssBytes !== null;
    const status: ServerStatus = {
      ...head,
      cpuPercent: isSampled ? (sample.cpuPercent as number) : row.cpuPercent,
      rssBytes: isSampled ? (sample.rssBytes as number) : row.rssBytes,
    };
    const stats = sources.guards.stats(row.name);
    if (stats)
      Object.assign(status, { breaker: stats.breaker, queued: stats.queued, running: stats.running });
    if (lastError !== undefined) status.lastError = lastError;
    if (lastExit !== undefined) status.lastExit = lastExit;
    return status;
  });
}

/** Each server as the Prometheus gauges show it. */
export function gaugeSnapshots(sources: StatusSources): ServerGaugeSnapshot[] {
  const processes = sources.monitor.latest()?.processes;
  return [...sources.core.servers.values()].map((server) => {
    const stats = sources.guards.stats(server.name);
    const sample = processes?.find((p) => p.server === server.name);
    return {
      name: server.name,
      isUp: server.state === 'online',
      queueDepth: stats?.queued ?? 0,
      breaker: stats?.breaker ?? 'closed',
      cpuPercent: sample?.cpuPercent ?? null,
      rssBytes: sample?.rssBytes ?? null,
      restarts: server.restarts,
    };
  });
}

/** Each server as the alert rules see it at a monitor sample. */
export function alertSnapshots(
  sources: Omit<StatusSources, 'monitor'> & { lastMinute(server: string): LastMinuteStats },
): ServerSnapshot[] {
  return [...sources.core.servers.values()].map((server) => {
    const stats = sources.guards.stats(server.name);
    const lastMinute = sources.lastMinute(server.name);
    return {
      name: server.name,
      lastMinute: { count: lastMinute.count, errors: lastMinute.errors, p95Ms: lastMinute.p95Ms },
      state: server.state,
      breaker: stats?.breaker ?? 'closed',
      queueDepth: stats?.queued ?? 0,
      queueSize: stats?.queueSize ?? 0,
    };
  });
}

/** The servers the monitor samples: those PM2 runs, with their pid, restarts and uptime. */
export async function monitoredServers(core: SupervisorCore, pm2: Pm2Manager): Promise<MonitoredServer[]> {
  const processes = await pm2.list().catch(() => []);
  const pids = new Map(processes.map((p) => [p.name, p.pid]));
  const now = Date.now();
  return [...core.servers.values()]
    .filter((server) => server.isManaged)
    .map((server) => ({
      name: server.name,
      pid: pids.get(server.name) || null,
      restarts: server.restarts,
      uptimeMs: server.state === 'online' && server.startedAt > 0 ? now - server.startedAt : null,
    }));
}
