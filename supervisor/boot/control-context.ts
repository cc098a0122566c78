import type { ClusterStatus, ServerStatus } from '../client/wire-types.ts';
import { parseConfig } from '../config/parse.ts';
import { createAlertRoutes } from '../control/alert-routes.ts';
import { createClientRoutes } from '../control/client-routes.ts';
import { createConfigEditor } from '../control/config-editor.ts';
import { createConfigRoutes } from '../control/config-routes.ts';
import { type ControlEvent, createEventRoutes } from '../control/event-routes.ts';
import { createHealthRoutes } from '../control/health-routes.ts';
import { createKeyRoutes } from '../control/key-routes.ts';
import { createMetricsRoutes } from '../control/metrics-routes.ts';
import { createOverviewRoutes } from '../control/overview-routes.ts';
import { createRequestRoutes } from '../control/request-routes.ts';
import type { RouteGroup } from '../control/router.ts';
import { createServerRoutes } from '../control/server-routes.ts';
import { createSupervisorLogRoutes } from '../control/supervisor-log-routes.ts';
import { createSupervisorRoutes } from '../control/supervisor-routes.ts';
import { createTimelineRoutes } from '../control/timeline-routes.ts';
import type { SupervisorCore } from '../core/supervisor.ts';
import type { ServerGuards } from '../limits/guards.ts';
import type { HomePaths } from '../shared/home.ts';
import type { ClientKeys } from '../store/client-keys.ts';
import type { Store } from '../store/db.ts';
import { createRequestLog } from '../store/request-log.ts';
import { createTimeline } from '../store/timeline.ts';
import type { Observability } from './observability.ts';
import type { ReloadTrigger } from './reload.ts';

/** The running parts the control API reads and acts on. */
export interface ControlContext {
  version: string;
  startedAt: number;
  configFile: string | undefined;
  env: NodeJS.ProcessEnv;
  paths: HomePaths;
  core: SupervisorCore;
  guards: ServerGuards;
  store: Store;
  keys: ClientKeys;
  observability: Observability;
  monitorIntervalMs: number;
  /** The control API's bearer token. */
  token: string;
  /** `gateway.publicHealthDetails`. */
  isHealthDetailsPublic: boolean;
  status(): Promise<ServerStatus[]>;
  /** With `supervisor.cluster`: the cluster's part of `GET /api/status`. */
  clusterStatus?: () => ClusterStatus;
  /** The reload pipeline (`boot/reload.ts`), for `POST /api/reload`. */
  reload(trigger: ReloadTrigger): Promise<unknown>;
  onEvent(listener: (event: ControlEvent) => void): () => void;
  requestStop(): void;
}

/**
 * Every route group of the control API (and the public health and metrics routes), each
 * factory given just what its routes use. A new group is a factory in `control/` and a line
 * here (see `control/router.ts`).
 */
export function controlRouteGroups(context: ControlContext): RouteGroup[] {
  const { core, observability } = context;
  const flush = () => observability.recorder.flush();
  const validateConfig = (text: string) => parseConfig(text, { source: 'config', env: context.env });
  return [
    createServerRoutes({
      version: context.version,
      startedAt: context.startedAt,
      configFile: context.configFile,
      status: context.status,
      clusterStatus: context.clusterStatus,
      serverAction: async (name, action) => {
        const server = core.server(name);
        if (action === 'start') await server.start();
        else if (action === 'stop') await server.stop();
        else await server.restart();
      },
      logFiles: (name) => {
        const server = core.server(name);
        return { out: server.outLogFile, err: server.errLogFile };
      },
    }),
    createSupervisorRoutes({
      reload: context.reload,
      validateConfig,
      requestStop: context.requestStop,
    }),
    createEventRoutes({ onEvent: context.onEvent, queries: observability.queries }),
    createKeyRoutes({ keys: context.keys }),
    createMetricsRoutes({
      serverNames: () => [...core.servers.keys()],
      recorder: observability.recorder,
      monitor: observability.monitor,
      queries: observability.queries,
      prometheus: observability.metrics,
    }),
    createAlertRoutes({ alerts: observability.alerts, queries: observability.queries }),
    createHealthRoutes({
      startedAt: context.startedAt,
      status: context.status,
      pingStore: () => context.store.db.prepare('SELECT 1').get(),
      recorderStats: () => observability.recorder.stats(),
      monitor: observability.monitor,
      monitorIntervalMs: context.monitorIntervalMs,
      firingAlertCount: () => observability.alerts.firing().length,
      token: context.token,
      isDetailsPublic: context.isHealthDetailsPublic,
    }),
    createOverviewRoutes({
      servers: () => core.servers,
      settings: () => core.config.supervisor,
      lastMinute: (server) => observability.recorder.lastMinuteStats(server),
      limiter: (server) => context.guards.stats(server),
      queries: observability.queries,
    }),
    createRequestRoutes({ requestLog: createRequestLog(context.store), flush }),
    createTimelineRoutes({ timeline: createTimeline(context.store), flush }),
    createConfigRoutes({
      editor: createConfigEditor({
        paths: context.paths,
        configFile: context.configFile,
        env: context.env,
        running: () => core.config,
        reload: () => context.reload('console'),
      }),
    }),
    createSupervisorLogRoutes({ logDir: context.paths.logDir }),
    createClientRoutes({
      paths: context.paths,
      configFile: context.configFile,
      env: context.env,
      keys: context.keys,
      status: context.status,
      validateConfig,
      reload: () => context.reload('console'),
    }),
  ];
}
