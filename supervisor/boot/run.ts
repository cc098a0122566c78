import { loadConfig } from '../config/load.ts';
import { launchDaemon } from '../core/daemon-launch.ts';
import type { SupervisorCore } from '../core/supervisor.ts';
import type { HttpServer } from '../http/server.ts';
import { Pm2Manager } from '../process/pm2-manager.ts';
import { SupervisorError } from '../shared/errors.ts';
import type { HomePaths } from '../shared/home.ts';
import { createLogger, type Logger } from '../shared/logger.ts';
import { untilAborted } from '../shared/timers.ts';
import { VERSION } from '../shared/version.ts';
import { type ClaimHandoff, claimHome } from './home-claim.ts';
import type { ReloadOutcome, ReloadTrigger } from './reload.ts';
import { Shutdown } from './shutdown.ts';

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
 * Starts the whole supervisor for one home. This is the composition root: it claims the home,
 * reads the config, opens the log, launches the PM2 daemon, then has `assemble.ts` (loaded only
 * now: most of the supervisor's code) build every other part in order; each part registers its
 * stop step as it starts (so the clean stop undoes them in reverse: config watcher, listener,
 * gateway sessions, limits, servers and PM2, metrics and monitor, cluster key events and
 * connection, database, the PM2 daemon if still there, log, and last the home's claim). It
 * implements nothing itself.
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

  // 3. The PM2 daemon, launched before the rest of the supervisor is even loaded: it boots (a
  //    process of its own, ~0.5 s) on another core while this one loads and builds the rest. Its
  //    stop step is here, so a stop before the servers' start kills it too (once they started,
  //    the core's own stop has, and this is a no-op).
  const pm2 = new Pm2Manager({ pm2Home: paths.pm2Home, logger });
  shutdown.add('PM2 daemon', () => pm2.kill());
  const { ready: daemon, contact } = launchDaemon({ paths, pm2, logger });
  daemon.catch(() => {
    // Reported by core.start(), which waits for it.
  });

  const build = async () => {
    // Until the daemon's process runs: loading the rest blocks the event loop that launches it.
    await untilAborted(contact, startAbort.signal);
    const { assembleSupervisor } = await import('./assemble.ts');
    startAbort.signal.throwIfAborted();
    return assembleSupervisor({
      paths,
      env,
      loaded,
      startedAt,
      logger,
      shutdown,
      claim,
      pm2,
      daemon,
      signal: startAbort.signal,
      started,
      requestStop: () => void stop('control API'),
    });
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
