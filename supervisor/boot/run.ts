import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { isProcessAlive, readState, removeState, writeState } from '../client/state-file.ts';
import { ensureToken } from '../client/token.ts';
import type { ControlEventName } from '../client/wire-types.ts';
import { loadConfig } from '../config/load.ts';
import type { ControlEvent } from '../control/event-routes.ts';
import { registerRoutes } from '../control/router.ts';
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
import { startCluster } from './cluster.ts';
import { controlRouteGroups } from './control-context.ts';
import { createObservability } from './observability.ts';
import { createReload, watchConfig } from './reload.ts';
import { Shutdown } from './shutdown.ts';
import { statusRows } from './status.ts';

const RENDERER_DIR = fileURLToPath(new URL('../../renderer', import.meta.url));

export interface RunOptions {
  paths: HomePaths;
  /** An explicit config file; default: the home's config.json, else the built-in default. */
  configFile?: string;
  /** Echo the log to stdout (foreground `start`). */
  logToStdout: boolean;
  env?: NodeJS.ProcessEnv;
  /** Deadline for the whole clean stop, after which the process is told to exit anyway. */
  stopDeadlineMs?: number;
}

export interface RunningSupervisor {
  readonly core: SupervisorCore;
  readonly http: HttpServer;
  readonly logger: Logger;
  /** Resolves when the supervisor has stopped (by `stop()`, the API or a signal). */
  readonly stopped: Promise<void>;
  stop(reason?: string): Promise<void>;
  reload(): Promise<unknown>;
}

/**
 * Starts the whole supervisor for one home. This is the composition root: it builds every part
 * in order, wires them, and registers each one's stop step as it starts (so the clean stop
 * undoes them in reverse: config watcher, state file, listener, gateway sessions, limits,
 * servers and PM2, metrics and monitor, cluster key events and connection, database, log). It
 * implements nothing itself.
 */
export async function runSupervisor(options: RunOptions): Promise<RunningSupervisor> {
  const { paths } = options;
  const env = options.env ?? process.env;
  await refuseSecondInstance(paths);
  const loaded = await loadConfig({ paths, file: options.configFile, env });
  await mkdir(paths.root, { recursive: true, mode: 0o700 });
  const { config } = loaded;
  const settings = config.supervisor;

  // 1. The log, and the stop steps (the log is the last thing stopped).
  const { logger, close: closeLogger } = createLogger({
    level: settings.log.level,
    format: settings.log.format,
    logDir: paths.logDir,
    toStdout: options.logToStdout,
  });
  const shutdown = new Shutdown({ logger, deadlineMs: options.stopDeadlineMs ?? 30_000 });
  shutdown.add('log', closeLogger);
  const stop = (reason = 'requested') => shutdown.stop(reason);
  const startedAt = Date.now();
  // 2. The event bus of `GET /api/events`: server lifecycle, config reloads, alerts.
  const events = new TypedEmitter<ControlEvent>(logger);
  const publish = (type: ControlEventName, data: unknown) => events.emit({ type, data });

  try {
    // 3. The database (metrics, alerts, events, client keys).
    const store = openStore(paths.databaseFile, { logger });
    shutdown.add('database', () => store.close());
    const keys = new ClientKeys(store.db);

    // 4. The core: the servers of the config under the home's private PM2 (no IO until start).
    const token = await ensureToken(paths.tokenFile);
    const pm2 = new Pm2Manager({ pm2Home: paths.pm2Home, logger });
    const core = new SupervisorCore({ paths, config, pm2, logger });
    core.onEvent((event) => publish('server', event));

    // 5. With `supervisor.cluster`: the Redis connection, key events and key sync (stopped after
    //    the guards). Then limits (one guard per server, shared through Redis when clustered; the
    //    global cap) and what watches: recorder, alerts, monitor, metrics, retention.
    const cluster = settings.cluster
      ? startCluster({ settings: settings.cluster, keys, logger, shutdown })
      : undefined;
    const guards = new ServerGuards({ settings, createGuard: cluster?.createGuard });
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
    shutdown.add('servers and PM2', () => core.stop());
    const forwarder = new Forwarder({ guards, onRequest: observability.onRequest });
    shutdown.add('limits', () => guards.dispose());
    // A removed (or changed) server's queue is answered and its guard and breaker forgotten.
    core.onServersChanged(({ removed }) => {
      for (const name of removed) void guards.remove(name);
    });
    const status = () => statusRows({ core, guards, monitor: observability.monitor });

    // 6. The MCP gateway.
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
    const reload = createReload({ core, file: loaded.file ?? paths.configFile, env, logger, publish });
    const http = new HttpServer({
      host: settings.host,
      port: settings.port,
      logger,
      allowedOrigins: settings.gateway.allowedOrigins,
      allowedHosts: settings.gateway.allowedHosts,
    });
    registerRoutes(http, {
      token,
      groups: controlRouteGroups({
        version: VERSION,
        startedAt,
        configFile: loaded.file,
        env,
        core,
        store,
        keys,
        observability,
        monitorIntervalMs: settings.monitor.intervalMs,
        status,
        clusterStatus: cluster?.status,
        reload,
        onEvent: (listener) => events.on(listener),
        requestStop: () => void stop('control API'),
      }),
    });
    http.route('/mcp', (req, res, url) => gateway.handle(req, res, url));
    http.route('/ui', staticFiles('/ui', RENDERER_DIR));
    await http.listen();
    // Closing the listener first lets requests in flight finish (up to its grace period) while
    // no new ones arrive; then the sessions end and the queues are answered.
    shutdown.add('HTTP listener', () => http.close());

    // 8. The state file the CLI and the app find the supervisor by.
    await writeState(paths.stateFile, {
      pid: process.pid,
      host: settings.host,
      port: http.port,
      startedAt,
      version: VERSION,
    });
    shutdown.add('state file', () => removeState(paths.stateFile));
    logger.info(
      { home: paths.root, url: http.origin, config: loaded.file ?? 'built-in default' },
      'supervisor listening',
    );
    if (!loaded.file) {
      logger.info(
        `no config at ${paths.configFile}; running the built-in default servers (everything, memory)`,
      );
    }

    // 9. Start watching, then start the servers.
    observability.start();
    await core.start();
    logger.info({ servers: [...core.servers.keys()] }, 'servers started');

    // 10. Reload when the config file changes.
    shutdown.add('config watcher', watchConfig(loaded.file ?? paths.configFile, reload));

    return { core, http, logger, stopped: shutdown.stopped, stop, reload };
  } catch (error) {
    // An expected failure (config, port in use, PM2…) is one line that says what to do; a stack
    // trace is kept for what is a bug.
    if (error instanceof SupervisorError)
      logger.error({ code: error.code }, `supervisor failed to start: ${error.message}`);
    else logger.error({ err: error }, 'supervisor failed to start');
    await stop('start failed');
    throw error;
  }
}

/** One supervisor per home: a live pid in the state file means one runs already. */
async function refuseSecondInstance(paths: HomePaths): Promise<void> {
  const previous = await readState(paths.stateFile);
  if (previous && previous.pid !== process.pid && isProcessAlive(previous.pid)) {
    throw new SupervisorError(
      'ALREADY_RUNNING',
      `a supervisor (pid ${previous.pid}) is already running for home ${paths.root}; stop it with: mcp-supervisor stop --home ${paths.root}`,
    );
  }
}
