import type { ServerStatus } from '../client/wire-types.ts';
import { bearerToken, isTokenValid } from '../http/bearer.ts';
import { sendJson } from '../http/respond.ts';
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
  /** The control token: `/health/detailed` needs it unless its details are public. */
  token: string;
  /** `gateway.publicHealthDetails`: answer `/health/detailed` without a token. */
  isDetailsPublic: boolean;
}

/**
 * `GET /health` (liveness, public: it says nothing but "ok" and the uptime) and
 * `GET /health/detailed` (each server, the store and the monitor; 503 when any is unhealthy),
 * which names the servers and their states and so needs the control token, unless
 * `gateway.publicHealthDetails` opens it (for a monitor that cannot send one).
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
        handler: async (req, res) => {
          if (!deps.isDetailsPublic && !isTokenValid(bearerToken(req.headers.authorization), deps.token)) {
            return sendJson(res, 401, {
              error: {
                code: 'UNAUTHORIZED',
                message:
                  '/health/detailed needs the control token (the control-token file in the home); /health needs none, or set supervisor.gateway.publicHealthDetails',
              },
            });
          }
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
