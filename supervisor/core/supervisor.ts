import type { ServerStatus } from '../client/wire-types.ts';
import { type ConfigDiff, diffConfigs, isEmptyDiff } from '../config/diff.ts';
import type { Config } from '../config/schema.ts';
import type { ManagedProcess, Pm2Manager } from '../process/pm2-manager.ts';
import { serverBaseEnv } from '../process/server-env.ts';
import { errorMessage, SupervisorError } from '../shared/errors.ts';
import type { HomePaths } from '../shared/home.ts';
import type { Logger } from '../shared/logger.ts';
import { untilAborted } from '../shared/timers.ts';
import { launchDaemon } from './daemon-launch.ts';
import { HealthChecker } from './health.ts';
import { type ServerEvent, ServerRuntime } from './server-runtime.ts';

/**
 * The longest the start window lasts (see {@link SupervisorCore.startSettled}): a server that
 * installs for minutes must not hold back, for as long, what waits for the others.
 */
const START_WINDOW_MAX_MS = 20_000;

/** What a reload applied: the diff, and the state each added or changed server is in now. */
export interface AppliedConfig extends ConfigDiff {
  /** `name → state` of the added and changed servers once their start has begun. */
  states: Record<string, string>;
}

/**
 * The headless core: owns the server runtimes of one config under one private PM2 daemon.
 * `create → start() → stop()`; the constructor does no IO. The configured servers exist from
 * construction on (state `starting`), so the gateway and the status know them before PM2 runs.
 */
export class SupervisorCore {
  readonly paths: HomePaths;
  readonly #pm2: Pm2Manager;
  readonly #logger: Logger;
  readonly #servers = new Map<string, ServerRuntime>();
  readonly #listeners = new Set<(event: ServerEvent) => void>();
  readonly #serverListeners = new Set<(change: { added: ServerRuntime[]; removed: string[] }) => void>();
  #config: Config;
  #isStopping = false;
  /** The home prepared and the PM2 daemon launched (see {@link launchDaemon}); set once. */
  #daemon: Promise<void> | undefined;
  readonly #health: HealthChecker;
  readonly #startSettled: Promise<void>;
  #settleStart!: () => void;

  constructor(options: {
    paths: HomePaths;
    config: Config;
    pm2: Pm2Manager;
    logger: Logger;
    /** The daemon's launch (`daemon-launch.ts`) when the caller began it; else start() begins it. */
    daemon?: Promise<void>;
  }) {
    this.paths = options.paths;
    this.#config = options.config;
    this.#pm2 = options.pm2;
    this.#logger = options.logger;
    this.#daemon = options.daemon;
    this.#pm2.onExit((event) => this.#servers.get(event.name)?.handleExit(event));
    // The daemon died under us: each server ends what it had running and starts again, which
    // launches a new daemon.
    this.#pm2.onDaemonLost(() => {
      if (this.#isStopping) return;
      for (const server of this.#servers.values()) server.handleDaemonLost();
    });
    this.#health = new HealthChecker({
      servers: () => this.#servers.values(),
      logger: options.logger,
      intervalMs: options.config.supervisor.monitor.healthCheckIntervalMs,
    });
    for (const [name, config] of Object.entries(this.#config.mcpServers)) {
      if (!config.disabled) this.#servers.set(name, this.#createRuntime(name, config));
    }
    this.#startSettled = new Promise((resolve) => {
      this.#settleStart = resolve;
    });
  }

  /**
   * The start window: resolves once the start of every server that {@link start} began has ended
   * (online, or failed), at most {@link START_WINDOW_MAX_MS} after it began, and at once when the
   * start fails or the core stops. Never rejects. On a machine with few cores the servers' own
   * start is CPU-bound: what the supervisor does meanwhile delays them, so what a start does not
   * need (tool probes, the monitor's first samples, store maintenance) waits for this.
   */
  get startSettled(): Promise<void> {
    return this.#startSettled;
  }

  get health(): HealthChecker {
    return this.#health;
  }

  get config(): Config {
    return this.#config;
  }

  /** Every lifecycle event of every server. */
  onEvent(listener: (event: ServerEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Servers added or removed by a reload (the gateway re-aggregates on this). */
  onServersChanged(listener: (change: { added: ServerRuntime[]; removed: string[] }) => void): () => void {
    this.#serverListeners.add(listener);
    return () => this.#serverListeners.delete(listener);
  }

  get servers(): ReadonlyMap<string, ServerRuntime> {
    return this.#servers;
  }

  server(name: string): ServerRuntime {
    const server = this.#servers.get(name);
    if (!server) {
      const known = [...this.#servers.keys()].join(', ') || 'none';
      throw new SupervisorError('UNKNOWN_SERVER', `no server named "${name}" (configured: ${known})`);
    }
    return server;
  }

  /**
   * The home prepared and this home's private PM2 daemon launched (`daemon-launch.ts`): begun by
   * {@link start}, or earlier by the caller (the `daemon` option) so that the daemon comes up while
   * the rest of the supervisor is built; called again, it returns the same promise. Rejects when
   * PM2 cannot be launched. A launch in flight is never abandoned: {@link stop} (and
   * `Pm2Manager.kill`) waits for it and kills what it launched.
   */
  launchDaemon(): Promise<void> {
    this.#daemon ??= launchDaemon({ paths: this.paths, pm2: this.#pm2, logger: this.#logger }).ready;
    return this.#daemon;
  }

  /**
   * Launches the PM2 daemon ({@link launchDaemon}) unless that is under way, then begins the start
   * of every enabled server, in parallel, and resolves: it does not wait for them to be online
   * (each one's state says how it goes, and a failed start does not fail the supervisor). Rejects
   * when PM2 cannot be launched, and with the signal's reason as soon as `signal` aborts (what was
   * launched is ended by {@link stop}).
   */
  async start(options: { signal?: AbortSignal } = {}): Promise<void> {
    const signal = options.signal ?? new AbortController().signal;
    try {
      signal.throwIfAborted();
      await untilAborted(this.launchDaemon(), signal);
      signal.throwIfAborted();
    } catch (error) {
      this.#settleStart();
      throw error;
    }
    const starts = [...this.#servers.values()].map((server) =>
      server.start().catch(() => {
        // Logged, and shown in its state, by the runtime.
      }),
    );
    const cap = setTimeout(this.#settleStart, START_WINDOW_MAX_MS);
    cap.unref();
    void Promise.all(starts).then(() => {
      clearTimeout(cap);
      this.#settleStart();
    });
    this.#health.start();
  }

  /**
   * Applies a new config: unchanged servers keep running, added ones start, changed ones restart,
   * removed or disabled ones stop. The caller has already validated `next`. An unchanged config
   * is a no-op: nothing stops, nothing is announced. Resolves once the change is applied — the
   * removed servers stopped and the new ones' start begun — not when those are online (a first
   * `npx` install may take minutes): their states are in the answer and in the events.
   */
  async applyConfig(next: Config): Promise<AppliedConfig> {
    if (this.#isStopping)
      throw new SupervisorError('NOT_RUNNING', 'the supervisor is stopping; nothing was reloaded');
    const diff = diffConfigs(this.#config, next);
    if (isEmptyDiff(diff)) return { ...diff, states: {} };
    this.#config = next;
    const removed = [...diff.removed, ...diff.changed];
    await Promise.allSettled(
      removed.map(async (name) => {
        await this.#servers.get(name)?.stop();
        this.#servers.delete(name);
      }),
    );
    const added: ServerRuntime[] = [];
    for (const name of [...diff.added, ...diff.changed]) {
      const config = next.mcpServers[name];
      if (!config) continue;
      const runtime = this.#createRuntime(name, config);
      this.#servers.set(name, runtime);
      added.push(runtime);
    }
    for (const listener of this.#serverListeners) listener({ added, removed });
    for (const server of added) {
      server.start().catch(() => {
        // Logged, and shown in its state, by the runtime.
      });
    }
    const states: Record<string, string> = {};
    for (const name of [...diff.added, ...diff.changed, ...diff.removed]) {
      const state = this.#servers.get(name)?.state ?? 'stopped';
      if (this.#servers.has(name)) states[name] = state;
      this.#emit({ server: name, kind: 'state', state, at: Date.now(), message: 'reload' });
    }
    return { ...diff, states };
  }

  /**
   * One row per server from the core's own knowledge (state, PM2's pid, CPU and RSS of the top
   * process, health); `boot/status.ts` adds the limiter's and the whole process tree's figures.
   */
  async status(): Promise<ServerStatus[]> {
    let processes: ManagedProcess[] = [];
    try {
      // Before start() has connected, there is nothing to list yet.
      if (this.#pm2.isConnected) processes = await this.#pm2.list();
    } catch (error) {
      this.#logger.warn({ err: error }, 'could not list PM2 processes');
    }
    const byName = new Map(processes.map((p) => [p.name, p]));
    const now = Date.now();
    return [...this.#servers.values()].map((server) => {
      const proc = byName.get(server.name);
      // While a dead daemon is being replaced PM2 lists nothing; the server still knows its pid.
      const pid = proc?.pid || server.pid;
      const health = this.#health.health(server.name);
      const status: ServerStatus = {
        name: server.name,
        kind: server.kind,
        state: server.state,
        stateChangedAt: server.stateChangedAt,
        pid,
        uptimeMs: server.state === 'online' && server.startedAt > 0 ? now - server.startedAt : 0,
        restarts: server.restarts,
        cpuPercent: proc?.cpuPercent ?? 0,
        rssBytes: proc?.rssBytes ?? 0,
        toolCount: server.upstream.tools.length,
        upstream: server.upstream.state,
        health: health.status,
      };
      if (health.lastPingMs !== undefined) status.lastPingMs = Math.round(health.lastPingMs * 100) / 100;
      if (server.lastError) status.lastError = server.lastError;
      if (server.lastExit) status.lastExit = server.lastExit;
      return status;
    });
  }

  /**
   * Stops every server and the private PM2 daemon. Each step runs even if an earlier one failed.
   */
  async stop(): Promise<void> {
    if (this.#isStopping) return;
    this.#isStopping = true;
    this.#settleStart();
    this.#health.stop();
    try {
      // Each server's stop marks it stopping (so its exit is not a crash), ends its input, then
      // stops its whole process group (SIGTERM, SIGKILL after killTimeoutMs) and deletes it.
      await Promise.allSettled([...this.#servers.values()].map((server) => server.stop()));
    } finally {
      try {
        await this.#pm2.kill();
      } catch (error) {
        this.#logger.error({ err: error }, `could not kill the PM2 daemon: ${errorMessage(error)}`);
      }
    }
  }

  #createRuntime(name: string, config: Config['mcpServers'][string]): ServerRuntime {
    return new ServerRuntime(name, config, {
      pm2: this.#pm2,
      paths: this.paths,
      logger: this.#logger,
      restart: this.#config.supervisor.restart,
      baseEnv: serverBaseEnv({ settings: this.#config.supervisor.env, server: config }),
      emit: (event) => this.#emit(event),
    });
  }

  #emit(event: ServerEvent): void {
    for (const listener of this.#listeners) {
      try {
        listener(event);
      } catch (error) {
        this.#logger.error({ err: error }, 'server event listener failed');
      }
    }
  }
}
