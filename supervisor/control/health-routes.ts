import type { ServerStatus } from '../client/wire-types.ts';
import type { MonitorSample } from '../monitor/monitor.ts';
import type { RecorderStats } from '../store/recorder.ts';
import type { RouteGroup } from './router.ts';

export interface HealthRoutesDeps {
  startedAt: number;
  status(): Promise<ServerStatus[]>;
  /** Throws when the database does not answer. */
  pingStore(): void;
  recorderStats(): RecorderStats;
  monitor: {
    stats(): { ticks: number; skippedTicks: number; failedTicks: number; lastTickMs: number };
    latest(): MonitorSample | null;
  };
  /** The monitor's period: a sample older than three of them means the monitor is stuck. */
  monitorIntervalMs: number;
  firingAlertCount(): number;
}

/**
 * `GET /health` (liveness) and `GET /health/detailed` (each server, the store and the monitor;
 * 503 when any is unhealthy), public like `/metrics`.
 */
export function createHealthRoutes(deps: HealthRoutesDeps): RouteGroup {
  return {
    public: [
      {
        prefix: '/health',
        handler: (_req, res) => {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ status: 'ok', uptimeMs: Date.now() - deps.startedAt }));
        },
      },
      {
        prefix: '/health/detailed',
        handler: async (_req, res) => {
          const body = await healthDetails(deps);
          res.writeHead(body.status === 'ok' ? 200 : 503, { 'content-type': 'application/json' });
          res.end(JSON.stringify(body));
        },
      },
    ],
  };
}

/** Each server, the store and the monitor; `status` is `unhealthy` when any of them is. */
async function healthDetails(deps: HealthRoutesDeps) {
  const servers = (await deps.status()).map((s) => ({
    name: s.name,
    state: s.state,
    health: s.health,
    breaker: s.breaker ?? 'closed',
    isHealthy: s.state === 'online' && s.health !== 'failing' && s.breaker !== 'open',
  }));
  let isStoreOk = true;
  let storeError: string | undefined;
  try {
    deps.pingStore();
  } catch (error) {
    isStoreOk = false;
    storeError = (error as Error).message;
  }
  const recorder = deps.recorderStats();
  const monitor = deps.monitor.stats();
  const lastSample = deps.monitor.latest();
  const isMonitorOk =
    lastSample === null ? monitor.ticks === 0 : Date.now() - lastSample.host.ts < 3 * deps.monitorIntervalMs;
  const isHealthy = isStoreOk && isMonitorOk && servers.every((s) => s.isHealthy);
  return {
    status: isHealthy ? 'ok' : 'unhealthy',
    servers,
    store: { ok: isStoreOk, ...(storeError ? { error: storeError } : {}), ...recorder },
    monitor: { ok: isMonitorOk, ...monitor, host: lastSample?.host ?? null },
    alerts: { firing: deps.firingAlertCount() },
  };
}
