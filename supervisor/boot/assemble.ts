import { ensureToken } from '../client/token.ts';
import type { ControlEventName } from '../client/wire-types.ts';
import type { LoadedConfig } from '../config/load.ts';
import type { ControlEvent } from '../control/event-routes.ts';
import { isOwnerRequest, registerRoutes } from '../control/router.ts';
import { SupervisorCore } from '../core/supervisor.ts';
import { Gateway } from '../gateway/gateway.ts';
import { HttpServer } from '../http/server.ts';
import { staticFiles } from '../http/static-files.ts';
import { Forwarder } from '../limits/forwarder.ts';
import { ServerGuards } from '../limits/guards.ts';
import type { Pm2Manager } from '../process/pm2-manager.ts';
import { TypedEmitter } from '../shared/emitter.ts';
import type { HomePaths } from '../shared/home.ts';
import type { Logger } from '../shared/logger.ts';
import { VERSION } from '../shared/version.ts';
import { ClientKeys } from '../store/client-keys.ts';
import { openStore } from '../store/db.ts';
import { toReloadEventRow } from '../store/server-events.ts';
import { CONSOLE_DIR, CONSOLE_FILES } from './console-page.ts';
import { controlRouteGroups } from './control-context.ts';
import type { HomeClaim } from './home-claim.ts';
import { createObservability } from './observability.ts';
import { createReload, type ReloadPipeline, watchConfig } from './reload.ts';
import type { Shutdown } from './shutdown.ts';
import { statusRows } from './status.ts';

/** What `run.ts` has done before it loads this module, and what the parts built here need of it. */
export interface AssembleOptions {
  paths: HomePaths;
  env: NodeJS.ProcessEnv;
  loaded: LoadedConfig;
  startedAt: number;
  logger: Logger;
  shutdown: Shutdown;
  claim: HomeClaim;
  /** The home's private PM2, and its daemon's launch (begun by `run.ts`). */
  pm2: Pm2Manager;
  daemon: Promise<void>;
  /** Aborts when a stop is asked for while starting. */
  signal: AbortSignal;
  /** Resolves once the start has ended (the reload pipeline waits for it). */
  started: Promise<void>;
  /** The clean stop, as `POST /api/stop` asks for it. */
  requestStop: () => void;
}

/**
 * Builds the supervisor's parts, steps 3-10 of `run.ts`'s start, and registers each one's stop
 * step as it starts: database, core, limits and watchers, gateway, listener, the servers' start,
 * the config watcher. A module of its own, loaded by `run.ts` once the PM2 daemon's launch has
 * begun: these imports are most of the supervisor's code (~0.5 s of CPU to load), and the daemon
 * boots on another core meanwhile instead of after them.
 */
export async function assembleSupervisor(
  options: AssembleOptions,
): Promise<{ core: SupervisorCore; http: HttpServer; reload: ReloadPipeline }> {
  const { paths, env, loaded, logger, shutdown } = options;
  const { config } = loaded;
  const settings = config.supervisor;
  // 2. The event bus of `GET /api/events`: server lifecycle, config reloads, alerts.
  const events = new TypedEmitter<ControlEvent>(logger);
  const publish = (type: ControlEventName, data: unknown) => events.emit({ type, data });

  // 3. The database (metrics, alerts, events, client keys).
  const store = openStore(paths.databaseFile, { logger });
  shutdown.add('database', () => store.close());
  const keys = new ClientKeys(store.db);

  // 4. The core: the servers of the config under the home's private PM2, whose daemon is being
  //    launched (run.ts; step 9 waits for it).
  const token = await ensureToken(paths.tokenFile);
  const core = new SupervisorCore({ paths, config, pm2: options.pm2, logger, daemon: options.daemon });
  core.onEvent((event) => publish('server', event));

  // 5. With `supervisor.cluster`: the Redis connection, key events and key sync (stopped after
  //    the guards). Then limits (one guard per server, shared through Redis when clustered; the
  //    global cap) and what watches: recorder, alerts, monitor, metrics, retention.
  // Redis (ioredis, ~5 MiB of RSS) is loaded only by a supervisor configured to use it.
  const cluster = settings.cluster
    ? (await import('./cluster.ts')).startCluster({ settings: settings.cluster, keys, logger, shutdown })
    : undefined;
  const guards = new ServerGuards({
    settings,
    logger,
    ...(cluster && { createGuard: cluster.createGuard }),
  });
  const observability = createObservability({
    store,
    core,
    pm2: options.pm2,
    guards,
    config,
    logger,
    publish,
    cluster,
  });
  shutdown.add('metrics and monitor', () => observability.stop());
  // Config reloads are history too: the timeline shows them.
  events.on((event) => {
    const row = event.type === 'config' ? toReloadEventRow(event.data) : undefined;
    if (row) observability.recorder.recordServerEvent(row);
  });
  shutdown.add('servers and PM2', () => core.stop());
  const forwarder = new Forwarder({
    guards,
    onRequest: observability.onRequest,
    // Read at each request: a reload that changes supervisor.capture applies to the next one.
    capture: () => core.config.supervisor.capture,
  });
  shutdown.add('limits', () => guards.dispose());
  // A removed (or changed) server's queue is answered and its guard and breaker forgotten.
  core.onServersChanged(({ removed }) => {
    for (const name of removed) void guards.remove(name);
  });
  const status = () => statusRows({ core, guards, monitor: observability.monitor });

  // 6. The MCP gateway: it knows every configured server from here on (not yet up: -32014).
  const gateway = new Gateway({
    core,
    settings,
    logger,
    forwarder,
    keys: settings.gateway.auth === 'keys' ? keys : undefined,
    ownerToken: token,
  });
  shutdown.add('gateway sessions', () => gateway.close());

  // 7. The listener: control API, health and metrics, gateway, dashboard.
  const configFile = loaded.file ?? paths.configFile;
  const reload = createReload({ core, file: configFile, env, logger, publish, started: options.started });
  const http = new HttpServer({
    host: settings.host,
    port: settings.port,
    logger,
    allowedOrigins: settings.gateway.allowedOrigins,
    maxConnections: settings.gateway.maxConnections,
    maxConnectionsPerAddress: settings.gateway.maxConnectionsPerAddress,
    headersTimeoutMs: settings.gateway.headersTimeoutMs,
    receiveTimeoutMs: settings.gateway.receiveTimeoutMs,
    isOwnerRequest: isOwnerRequest(token),
    allowedHosts: settings.gateway.allowedHosts,
  });
  observability.metrics.onRegistry(async (registry) => {
    const { registerConnectionMetrics } = await import('../metrics/connection-metrics.ts');
    registerConnectionMetrics(registry, () => http.connectionStats());
  });
  registerRoutes(http, {
    token,
    groups: controlRouteGroups({
      version: VERSION,
      startedAt: options.startedAt,
      configFile: loaded.file,
      env,
      paths,
      core,
      guards,
      store,
      keys,
      observability,
      monitorIntervalMs: settings.monitor.intervalMs,
      token,
      isHealthDetailsPublic: settings.gateway.publicHealthDetails,
      status,
      ...(cluster && { clusterStatus: cluster.status }),
      reload: (trigger) => reload.reload(trigger),
      onEvent: (listener) => events.on(listener),
      requestStop: options.requestStop,
    }),
  });
  http.route('/mcp', (req, res, url) => gateway.handle(req, res, url));
  http.route('/ui', staticFiles('/ui', CONSOLE_DIR, CONSOLE_FILES));
  options.signal.throwIfAborted();
  await http.listen();
  // Closing the listener first lets requests in flight finish (up to its grace period) while
  // no new ones arrive; then the sessions end and the queues are answered.
  shutdown.add('HTTP listener', () => http.close());

  // 8. The state file names the port: the CLI and the app reach the control API from now on.
  await options.claim.update({ host: settings.host, port: http.port });
  logger.info(
    { home: paths.root, url: http.origin, config: loaded.file ?? 'built-in default' },
    'supervisor listening',
  );
  if (!loaded.file) {
    logger.info(
      `no config at ${paths.configFile}; running the built-in default servers (everything, memory)`,
    );
  }

  // 9. The servers once PM2 runs (their start begins; it is not awaited). Watching begins once
  //    their start has ended: the monitor's first samples (a scan of the process table, PM2's
  //    process list), alert history and store maintenance would only take CPU from the servers'
  //    start, and have nothing to see before the servers run. The recorder (a timer that
  //    writes the servers' events) runs from now on.
  options.signal.throwIfAborted();
  observability.recorder.start();
  await core.start({ signal: options.signal });
  logger.info({ servers: [...core.servers.keys()] }, 'servers starting');
  void core.startSettled.then(() => {
    if (!shutdown.isStopping) observability.start();
  });

  // 10. Reload when the config file changes (and once now, for a change made while starting).
  shutdown.add('config watcher', watchConfig(configFile, reload.reload));
  await options.claim.update({ phase: 'running' });
  return { core, http, reload };
}
