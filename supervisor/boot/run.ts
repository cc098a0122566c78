import { ensureToken } from '../client/token.ts';
import type { ControlEventName } from '../client/wire-types.ts';
import { loadConfig } from '../config/load.ts';
import type { ControlEvent } from '../control/event-routes.ts';
import { isOwnerRequest, registerRoutes } from '../control/router.ts';
import { SupervisorCore } from '../core/supervisor.ts';
import { Gateway } from '../gateway/gateway.ts';
import { HttpServer } from '../http/server.ts';
import { staticFiles } from '../http/static-files.ts';
import { Forwarder } from '../limits/forwarder.ts';
import { ServerGuards } from '../limits/guards.ts';
import { Pm2Manager } from '../process/pm2-manager.ts';
import { TypedEmitter } from '../shared/emitter.ts';
import { SupervisorError } from '../shared/errors.ts';
import type { HomePaths } from '../shared/home.ts';
import { createLogger, type Logger } from '../shared/logger.ts';
import { VERSION } from '../shared/version.ts';
import { ClientKeys } from '../store/client-keys.ts';
import { openStore } from '../store/db.ts';
import { toReloadEventRow } from '../store/server-events.ts';
import { CONSOLE_DIR, CONSOLE_FILES } from './console-page.ts';
import { controlRouteGroups } from './control-context.ts';
import { type ClaimHandoff, claimHome } from './home-claim.ts';
import { createObservability } from './observability.ts';
import { createReload, type ReloadOutcome, type ReloadTrigger, watchConfig } from './reload.ts';
import { Shutdown } from './shutdown.ts';
import { statusRows } from './status.ts';

export interface RunOptions {
  paths: HomePaths;
  /** An explicit config file; default: the home's config.json, else the built-in default. */
  configFile?: string;
  /** Echo the log to stdout (foreground `start`). */
  logToStdout: boolean;
  env?: NodeJS.ProcessEnv;
  /** Deadline for the whole clean stop, after which `stopped` resolves anyway. */
  stopDeadlineMs?: number;
  /** Aborting it stops the supervisor, at any instant of its start as after it (SIGINT, SIGTERM). */
  signal?: AbortSignal;
  /** The `start -d` that holds the home for this supervisor until it claims it. */
  handoff?: ClaimHandoff;
}

export interface RunningSupervisor {
  readonly core: SupervisorCore;
  readonly http: HttpServer;
  readonly logger: Logger;
  /** Resolves when the supervisor has stopped (by `stop()`, the API or the signal). */
  readonly stopped: Promise<void>;
  stop(reason?: string): Promise<void>;
  /** The one reload pipeline (see `reload.ts`); SIGHUP is trigger `signal`. */
  reload(trigger?: ReloadTrigger): Promise<ReloadOutcome>;
}

/**
 * Starts the whole supervisor for one home. This is the composition root: it builds every part
 * in order, wires them, and registers each one's stop step as it starts (so the clean stop
 * undoes them in reverse: config watcher, listener, gateway sessions, limits, servers and PM2,
 * metrics and monitor, cluster key events and connection, database, log, and last the home's
 * claim). It implements nothing itself.
 *
 * The home is claimed first (one start per home, see `home-claim.ts`); from then on a stop — the
 * signal, `POST /api/stop`, or `stop()` — ends the start wherever it is (what is starting is
 * aborted, what was built is stopped by the same steps as always) and the start rejects with an
 * `AbortError`. Resolves once the control API listens, PM2 runs and every server's start has
 * begun; the servers' own states say when each is online. Rejects with the failure (after undoing
 * what it did) when the start fails.
 */
export async function runSupervisor(options: RunOptions): Promise<RunningSupervisor> {
  const { paths } = options;
  const env = options.env ?? process.env;
  const startedAt = Date.now();
  // 0. The home, before anything of it is touched: one start per home, told apart by a lock.
  const claim = await claimHome(paths, {
    startedAt,
    version: VERSION,
    ...(options.handoff ? { handoff: options.handoff } : {}),
  });
  const startAbort = new AbortController();
  const abortStart = (reason: string) => {
    if (!startAbort.signal.aborted)
      startAbort.abort(
        new DOMException(`the supervisor was stopped while starting (${reason})`, 'AbortError'),
      );
  };
  const onSignal = () => abortStart(String(options.signal?.reason?.message ?? options.signal?.reason));
  if (options.signal?.aborted) onSignal();
  options.signal?.addEventListener('abort', onSignal, { once: true });

  let loaded: Awaited<ReturnType<typeof loadConfig>>;
  try {
    loaded = await loadConfig({ paths, file: options.configFile, env });
    startAbort.signal.throwIfAborted();
  } catch (error) {
    options.signal?.removeEventListener('abort', onSignal);
    await claim.release();
    throw error;
  }
  const { config } = loaded;
  const settings = config.supervisor;

  // 1. The log, and the stop steps (the home's claim goes last, the log just before it).
  const { logger, close: closeLogger } = await createLogger({
    level: settings.log.level,
    format: settings.log.format,
    logDir: paths.logDir,
    toStdout: options.logToStdout,
  });
  const shutdown = new Shutdown({ logger, deadlineMs: options.stopDeadlineMs ?? 30_000 });
  shutdown.add('home claim', () => claim.release());
  shutdown.add('log', closeLogger);
  // 2. The event bus of `GET /api/events`: server lifecycle, config reloads, alerts.
  const events = new TypedEmitter<ControlEvent>(logger);
  const publish = (type: ControlEventName, data: unknown) => events.emit({ type, data });

  let building: Promise<unknown> = Promise.resolve();
  // A stop during the start aborts it and waits until it has given up, so every part it built
  // has registered its stop step before the steps run.
  const stop = async (reason = 'requested') => {
    abortStart(reason);
    await building.catch(() => {});
    await claim.update({ phase: 'stopping' }).catch(() => {});
    await shutdown.stop(reason);
  };
  options.signal?.addEventListener('abort', () => void stop(String(options.signal?.reason)), { once: true });
  let markStarted!: () => void;
  const started = new Promise<void>((resolve) => {
    markStarted = resolve;
  });

  const build = async () => {
    const signal = startAbort.signal;
    // 3. The database (metrics, alerts, events, client keys).
    const store = openStore(paths.databaseFile, { logger });
    shutdown.add('database', () => store.close());
    const keys = new ClientKeys(store.db);

    // 4. The core: the servers of the config under the home's private PM2 (no IO until start).
    const token = await ensureToken(paths.tokenFile);
    const pm2 = new Pm2Manager({ pm2Home: paths.pm2Home, logger });
    const core = new SupervisorCore({ paths, config, pm2, logger });
    core.onEvent((event) => publish('server', event));
    // The PM2 daemon boots (a process of its own) while the rest is built and the listener opens;
    // step 9 waits for it. Its stop step is here, so a stop before step 9 kills it too (after
    // step 9 the core's own stop has, and this is a no-op).
    shutdown.add('PM2 daemon', () => pm2.kill());
    core.launchDaemon().catch(() => {
      // Reported by core.start(), which waits for it.
    });

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
      pm2,
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
    const reload = createReload({ core, file: configFile, env, logger, publish, started });
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
        startedAt,
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
        requestStop: () => void stop('control API'),
      }),
    });
    http.route('/mcp', (req, res, url) => gateway.handle(req, res, url));
    http.route('/ui', staticFiles('/ui', CONSOLE_DIR, CONSOLE_FILES));
    signal.throwIfAborted();
    await http.listen();
    // Closing the listener first lets requests in flight finish (up to its grace period) while
    // no new ones arrive; then the sessions end and the queues are answered.
    shutdown.add('HTTP listener', () => http.close());

    // 8. The state file names the port: the CLI and the app reach the control API from now on.
    await claim.update({ host: settings.host, port: http.port });
    logger.info(
      { home: paths.root, url: http.origin, config: loaded.file ?? 'built-in default' },
      'supervisor listening',
    );
    if (!loaded.file) {
      logger.info(
        `no config at ${paths.configFile}; running the built-in default servers (everything, memory)`,
      );
    }

    // 9. Start watching, then the servers once PM2 runs (their start begins; it is not awaited).
    signal.throwIfAborted();
    observability.start();
    await core.start({ signal });
    logger.info({ servers: [...core.servers.keys()] }, 'servers starting');

    // 10. Reload when the config file changes (and once now, for a change made while starting).
    shutdown.add('config watcher', watchConfig(configFile, reload.reload));
    await claim.update({ phase: 'running' });
    return { core, http, reload };
  };

  const built = build();
  building = built;
  try {
    const parts = await built;
    return {
      core: parts.core,
      http: parts.http,
      logger,
      stopped: shutdown.stopped,
      stop,
      reload: (trigger = 'api') => parts.reload.reload(trigger),
    };
  } catch (error) {
    const wasStopped = startAbort.signal.aborted;
    // Asked to stop while starting is no failure. An expected failure (config, port in use,
    // PM2…) is one line that says what to do; a stack trace is kept for what is a bug.
    if (!wasStopped && error instanceof SupervisorError)
      logger.error({ code: error.code }, `supervisor failed to start: ${error.message}`);
    else if (!wasStopped) logger.error({ err: error }, 'supervisor failed to start');
    await shutdown.stop(wasStopped ? 'stopped while starting' : 'start failed');
    throw wasStopped ? startAbort.signal.reason : error;
  } finally {
    markStarted();
  }
}
