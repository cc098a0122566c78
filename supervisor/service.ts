import { mkdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import chokidar from 'chokidar';
import { isEmptyDiff } from './config/diff.ts';
import { loadConfig, readConfigText } from './config/load.ts';
import { parseConfig } from './config/parse.ts';
import type { Config } from './config/schema.ts';
import { type ControlContext, registerControlApi } from './control/control-api.ts';
import { HttpServer } from './control/http-server.ts';
import { isProcessAlive, readState, removeState, writeState } from './control/state-file.ts';
import { staticFiles } from './control/static-files.ts';
import { ensureToken } from './control/token.ts';
import type { ServerEvent } from './core/server-runtime.ts';
import { SupervisorCore } from './core/supervisor.ts';
import { errorMessage, SupervisorError } from './errors.ts';
import { ClientKeys } from './gateway/client-keys.ts';
import { Forwarder } from './gateway/forward.ts';
import { Gateway } from './gateway/gateway.ts';
import type { HomePaths } from './home.ts';
import { createLogger, type Logger } from './logging.ts';
import { Observability } from './observability.ts';
import { Pm2Manager } from './process/pm2-manager.ts';
import { openStore } from './store/db.ts';

const require = createRequire(import.meta.url);
const RENDERER_DIR = fileURLToPath(new URL('../renderer', import.meta.url));
export const VERSION: string = (require('../package.json') as { version: string }).version;

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

type Disposer = { name: string; dispose: () => Promise<void> | void };

/**
 * Starts the whole supervisor for one home: config, log, private PM2, servers, HTTP listener
 * (control API, later the gateway and metrics), config watcher. Everything started is registered
 * as a disposer and stopped in reverse order, each step isolated, within a deadline.
 */
export async function runSupervisor(options: RunOptions): Promise<RunningSupervisor> {
  const { paths } = options;
  const env = options.env ?? process.env;
  const previous = await readState(paths.stateFile);
  if (previous && previous.pid !== process.pid && isProcessAlive(previous.pid)) {
    throw new SupervisorError(
      'ALREADY_RUNNING',
      `a supervisor (pid ${previous.pid}) is already running for home ${paths.root}; stop it with: mcp-supervisor stop --home ${paths.root}`,
    );
  }
  const loaded = await loadConfig({ paths, file: options.configFile, env });
  await mkdir(paths.root, { recursive: true, mode: 0o700 });
  const config = loaded.config;
  const settings = config.supervisor;
  const { logger, close: closeLogger } = createLogger({
    level: settings.log.level,
    format: settings.log.format,
    logDir: paths.logDir,
    toStdout: options.logToStdout,
  });
  const disposers: Disposer[] = [{ name: 'log', dispose: closeLogger }];
  const startedAt = Date.now();
  const eventListeners = new Set<(type: string, data: unknown) => void>();
  const publish = (type: string, data: unknown) => {
    for (const listener of eventListeners) listener(type, data);
  };

  let resolveStopped!: () => void;
  const stopped = new Promise<void>((resolve) => {
    resolveStopped = resolve;
  });
  let stopping: Promise<void> | undefined;
  const stop = (reason = 'requested'): Promise<void> => {
    stopping ??= (async () => {
      logger.info({ reason }, 'stopping');
      const deadline = setTimeout(() => {
        logger.error(`clean stop did not finish within ${options.stopDeadlineMs ?? 30_000} ms`);
        resolveStopped();
      }, options.stopDeadlineMs ?? 30_000);
      deadline.unref();
      for (const disposer of disposers.toReversed()) {
        try {
          await disposer.dispose();
        } catch (error) {
          // The log may already be closed; stderr is the last resort.
          process.stderr.write(`mcp-supervisor: stopping ${disposer.name} failed: ${errorMessage(error)}\n`);
        }
      }
      clearTimeout(deadline);
      resolveStopped();
    })();
    return stopping;
  };

  try {
    const token = await ensureToken(paths.tokenFile);
    const pm2 = new Pm2Manager({ pm2Home: paths.pm2Home, logger });
    const core = new SupervisorCore({ paths, config, pm2, logger });
    disposers.push({ name: 'servers and PM2', dispose: () => core.stop() });
    core.onEvent((event: ServerEvent) => publish('server', event));

    const store = openStore(paths.databaseFile, { logger });
    disposers.splice(1, 0, { name: 'database', dispose: () => store.close() });
    const keys = new ClientKeys(store.db);

    let observability: Observability | undefined;
    const forwarder = new Forwarder({ settings, onRecord: (record) => observability?.onRequest(record) });
    disposers.push({ name: 'limits', dispose: () => forwarder.dispose() });
    observability = new Observability({ store, core, forwarder, pm2, config, logger, publish });
    const obs = observability;
    core.onEvent((event) => obs.onServerEvent(event));
    disposers.splice(2, 0, { name: 'metrics and monitor', dispose: () => obs.stop() });
    core.setLimiterStats((server) => {
      const guard = forwarder.guards.get(server);
      if (!guard) return undefined;
      const stats = guard.stats();
      return { breaker: stats.breaker, queued: stats.queued, running: stats.running };
    });
    const gateway = new Gateway({
      core,
      settings,
      logger,
      forwarder,
      keys: settings.gateway.auth === 'keys' ? keys : undefined,
      ownerToken: token,
    });
    disposers.push({ name: 'gateway sessions', dispose: () => gateway.close() });

    const http = new HttpServer({
      host: settings.host,
      port: settings.port,
      logger,
      allowedOrigins: settings.gateway.allowedOrigins,
    });
    const applyReload = async () => {
      const file = loaded.file ?? paths.configFile;
      let next: Config;
      try {
        const text = await readConfigText(file);
        next = parseConfig(text, { source: file, env });
      } catch (error) {
        const message = errorMessage(error);
        logger.error({ file }, `config reload refused, nothing changed: ${message}`);
        publish('config', { ok: false, message, at: Date.now() });
        if (error instanceof SupervisorError) throw error;
        throw new SupervisorError('CONFIG_INVALID', `cannot read ${file}: ${message}`, { cause: error });
      }
      // The core holds the running config; it diffs once and does nothing when nothing changed.
      const applied = await core.applyConfig(next);
      if (isEmptyDiff(applied)) {
        logger.info('config unchanged; nothing to do');
        return applied;
      }
      logger.info(
        { added: applied.added, removed: applied.removed, changed: applied.changed },
        'config reloaded',
      );
      if (applied.supervisorChanged) {
        logger.warn('supervisor settings changed; port, host and log settings apply at the next start');
      }
      publish('config', { ok: true, diff: applied, at: Date.now() });
      return applied;
    };

    // One reload at a time: the file watcher, SIGHUP and the API may ask at once.
    let reloadChain: Promise<unknown> = Promise.resolve();
    const reload = () => {
      const next = reloadChain.then(applyReload, applyReload);
      reloadChain = next.catch(() => {});
      return next;
    };

    const context: ControlContext = {
      token,
      version: VERSION,
      startedAt,
      configFile: loaded.file,
      status: () => core.status(),
      serverAction: async (name, action) => {
        const server = core.server(name);
        if (action === 'start') await server.start();
        else if (action === 'stop') await server.stop();
        else await server.restart();
      },
      reload,
      validateConfig: (text) => parseConfig(text, { source: 'config', env }),
      logFiles: (name) => {
        const server = core.server(name);
        return { out: server.outLogFile, err: server.errLogFile };
      },
      onEvent: (listener) => {
        eventListeners.add(listener);
        return () => eventListeners.delete(listener);
      },
      requestStop: () => void stop('control API'),
      keys,
      extraRoutes: new Map(),
    };
    registerControlApi(http, context);
    observability.register(http, context);
    http.route('/health', (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ status: 'ok', uptimeMs: Date.now() - startedAt }));
    });
    http.route('/mcp', (req, res, url) => gateway.handle(req, res, url));
    http.route('/ui', staticFiles('/ui', RENDERER_DIR));
    await http.listen();
    // Closing the listener first lets requests in flight finish (up to its grace period) while
    // no new ones arrive; then the sessions end and the queues are answered.
    disposers.push({ name: 'HTTP listener', dispose: () => http.close() });
    await writeState(paths.stateFile, {
      pid: process.pid,
      host: settings.host,
      port: http.port,
      startedAt,
      version: VERSION,
    });
    disposers.push({ name: 'state file', dispose: () => removeState(paths.stateFile) });
    logger.info(
      { home: paths.root, url: http.origin, config: loaded.file ?? 'built-in default' },
      'supervisor listening',
    );
    if (!loaded.file) {
      logger.info(
        `no config at ${paths.configFile}; running the built-in default servers (everything, memory)`,
      );
    }

    observability.start();
    await core.start();
    logger.info({ servers: [...core.servers.keys()] }, 'servers started');

    const watchedFile = loaded.file ?? paths.configFile;
    const watcher = chokidar.watch(watchedFile, {
      ignoreInitial: true,
      awaitWriteFinish: { stabilityThreshold: 200 },
    });
    let reloadTimer: NodeJS.Timeout | undefined;
    watcher.on('all', () => {
      clearTimeout(reloadTimer);
      reloadTimer = setTimeout(() => {
        reload().catch(() => {
          // Logged and published by reload(); the running config stays as it was.
        });
      }, 100);
      reloadTimer.unref();
    });
    disposers.push({
      name: 'config watcher',
      dispose: async () => {
        clearTimeout(reloadTimer);
        await watcher.close();
      },
    });

    return { core, http, logger, stopped, stop, reload };
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
