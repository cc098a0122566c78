import { mkdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { SupervisorError } from '../shared/errors.ts';
import { LIFELINE_SOCKET_NAME } from '../shared/home.ts';
import type { Logger } from '../shared/logger.ts';
import { silentLogger } from '../shared/logger.ts';
import { LIFELINE_ENV } from './daemon-hook.ts';
import { retireDaemon } from './daemon-retire.ts';
import { type DaemonLink, Lifeline } from './lifeline.ts';
import { preparePlainScript } from './plain-script.ts';
import {
  closeClient,
  type ExitEvent,
  exitEventOf,
  type ManagedProcess,
  managedProcessOf,
  type Pm2Api,
  type Pm2Bus,
  Pm2Calls,
  type Pm2ProcessDescription,
  pm2AppOptions,
  type StartProcessOptions,
  startedPid,
  stopReconnecting,
} from './pm2-api.ts';

export type { ExitEvent, ManagedProcess, StartProcessOptions } from './pm2-api.ts';

export interface ConnectOptions {
  /** The home's run dir (mode 0700): the lifeline socket and the daemon hook's script go there. */
  runDir: string;
}

/** How long each PM2 call may take before it fails with `TIMEOUT`: nothing waits forever. */
export interface Pm2Timeouts {
  /** Connecting, which may launch the daemon. */
  connectMs: number;
  /** start, delete and list calls, over and above a process's kill timeout. */
  callMs: number;
}

const DEFAULT_TIMEOUTS: Pm2Timeouts = { connectMs: 30_000, callMs: 15_000 };
/** How long a daemon being killed gets to exit before it is SIGKILLed. */
const DAEMON_EXIT_MS = 10_000;
/**
 * Node options of the daemon (PM2 passes `PM2_NODE_OPTIONS` to the `node` it spawns for it, not to
 * its children): its young generation grew to 8 MiB of new space that it never gives back, for the
 * few RPC messages it handles; 1 MiB semi-spaces measured 4-5 MiB less daemon RSS with 10 servers.
 */
const DAEMON_NODE_OPTIONS = '--max-semi-space-size=1';

const HOOK_SOURCE = fileURLToPath(
  new URL(`./daemon-hook${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url),
);

/** A client connected to a daemon we launched, and that daemon's lifeline. */
interface Connection {
  api: Pm2Api;
  bus: Pm2Bus;
  link: DaemonLink;
  /**
   * Every name a start was asked for on this daemon and not deleted since. The daemon is always
   * one we launched (an earlier run's is emptied and killed first), so it knows no other.
   */
  names: Set<string>;
}

const require = createRequire(import.meta.url);

/**
 * A private PM2 daemon under one PM2 home, in daemon mode (no-daemon mode replaces `console.*` and
 * exits the host process). PM2's own auto-restart is off: the supervisor applies its restart policy
 * on the exit events this class reports, so backoff and the crash-loop state follow our config.
 *
 * The daemon is always one this class launched, with the hook of `daemon-hook.ts` and a lifeline to
 * this process: it dies with the supervisor, and its death is noticed at once ({@link onDaemonLost});
 * the next {@link start} then launches a new one. Every call has a timeout.
 */
export class Pm2Manager {
  readonly #pm2Home: string;
  readonly #logger: Logger;
  readonly #timeouts: Pm2Timeouts;
  #runDir: string | undefined;
  #lifeline: Lifeline | undefined;
  #hookScript: Promise<string> | undefined;
  #connection: Connection | undefined;
  #connecting: Promise<string[]> | undefined;
  /** Set by `kill()`: no daemon is launched any more. */
  #isClosed = false;
  readonly #calls: Pm2Calls;
  readonly #exitListeners = new Set<(event: ExitEvent) => void>();
  readonly #lostListeners = new Set<(info: { pid: number }) => void>();

  constructor(options: { pm2Home: string; logger?: Logger; timeouts?: Partial<Pm2Timeouts> }) {
    this.#pm2Home = options.pm2Home;
    this.#logger = options.logger ?? silentLogger;
    this.#timeouts = { ...DEFAULT_TIMEOUTS, ...options.timeouts };
    this.#calls = new Pm2Calls({ pm2Home: options.pm2Home });
    for (const [key, value] of Object.entries(this.#timeouts)) {
      if (!Number.isInteger(value) || value < 1)
        throw new RangeError(`timeouts.${key} must be a positive integer, got ${value}`);
    }
  }

  get isConnected(): boolean {
    return this.#connection !== undefined;
  }

  /** The pid of the daemon, while connected. */
  get daemonPid(): number | undefined {
    return this.#connection?.link.pid;
  }

  /**
   * Connects to the daemon of this PM2 home, launching it. A daemon that already runs there was
   * left by an earlier run whose supervisor died: its processes are stopped and it is killed
   * first, so the daemon is always ours. Concurrent calls share one attempt.
   *
   * @returns the names of the processes an earlier run had left.
   */
  connect(options?: ConnectOptions): Promise<string[]> {
    if (options) {
      this.#runDir = options.runDir;
      this.#lifeline ??= new Lifeline({ socketPath: path.join(options.runDir, LIFELINE_SOCKET_NAME) });
    }
    if (this.#connection) return Promise.resolve([]);
    if (this.#isClosed)
      return Promise.reject(new SupervisorError('PROCESS_MANAGER', 'the PM2 daemon was stopped'));
    this.#connecting ??= this.#connect().finally(() => {
      this.#connecting = undefined;
    });
    return this.#connecting;
  }

  /**
   * Resolves once the daemon that {@link connect} is launching has made contact on its lifeline
   * (its process runs and boots PM2, which takes it ~0.5 s more), or once the connect settled,
   * whichever is first; at once when no connect is under way. Never rejects. What the caller does
   * next runs while the daemon boots: a busy event loop would otherwise hold back the daemon's
   * launch itself (PM2's client spawns it from a timer callback, ~0.1 s after connect()).
   */
  daemonContact(): Promise<void> {
    const connecting = this.#connecting?.then(
      () => {},
      () => {},
    );
    if (!connecting) return Promise.resolve();
    return this.#lifeline ? Promise.race([this.#lifeline.firstContact, connecting]) : connecting;
  }

  /** Calls `listener` whenever a managed process exits (crash or stop). Returns an unsubscribe. */
  onExit(listener: (event: ExitEvent) => void): () => void {
    this.#exitListeners.add(listener);
    return () => this.#exitListeners.delete(listener);
  }

  /**
   * Calls `listener` when the daemon died on its own (killed, crashed). Its processes were not
   * stopped by it and no exit of theirs will be reported: the listener owns them now.
   */
  onDaemonLost(listener: (info: { pid: number }) => void): () => void {
    this.#lostListeners.add(listener);
    return () => this.#lostListeners.delete(listener);
  }

  /** Starts a process, launching a new daemon if the last one died. Resolves with its pid. */
  async start(options: StartProcessOptions): Promise<{ pid: number }> {
    await this.connect();
    // Before the call: a start that fails half-way may still have left the name in PM2.
    this.#connection?.names.add(options.name);
    const procs = await this.#call<unknown>(`start ${options.name}`, this.#timeouts.callMs, (api, cb) =>
      api.start(pm2AppOptions(options), cb),
    );
    return { pid: startedPid(procs) };
  }

  /**
   * Stops and forgets a process; PM2 signals its tree, then SIGKILLs after its kill timeout. Done
   * at once when no daemon runs (a dead daemon's processes are the caller's to stop).
   */
  async delete(name: string, options: { killTimeoutMs?: number } = {}): Promise<void> {
    const connection = this.#connection;
    // A name this daemon never started is nothing to delete: no call. Each call has PM2 list
    // every process with its CPU and memory first (pidusage), which a start of 10 servers (each
    // deleting its name before it starts) paid 10 times over.
    if (!connection?.names.has(name)) return;
    try {
      await this.#call<void>(
        `stop ${name}`,
        this.#timeouts.callMs + (options.killTimeoutMs ?? 0),
        (api, cb) => api.delete(name, (error) => cb(error)),
      );
      connection.names.delete(name);
    } catch (error) {
      // Deleting something PM2 does not know is what we wanted anyway, and so is a daemon gone.
      if (/not found/i.test(String((error as Error).message))) {
        connection.names.delete(name);
        return;
      }
      if (!this.#connection) return;
      throw error;
    }
  }

  /** The daemon's processes; none while no daemon is connected (never waits for one). */
  async list(): Promise<ManagedProcess[]> {
    if (!this.#connection) return [];
    const list = await this.#call<Pm2ProcessDescription[]>(
      'list processes',
      this.#timeouts.callMs,
      (api, cb) => api.list(cb),
    );
    return list.map(managedProcessOf);
  }

  /**
   * Stops every process, kills the daemon, waits until it has exited, and closes PM2's client
   * sockets (without that last step the host process never exits). No daemon is launched after.
   */
  async kill(): Promise<void> {
    this.#isClosed = true;
    await this.#connecting?.catch(() => {});
    const connection = this.#connection;
    this.#connection = undefined;
    try {
      if (connection) {
        const { api } = connection;
        stopReconnecting(api);
        await this.#calls
          .call<void>('kill the PM2 daemon', this.#timeouts.callMs, (cb) =>
            api.killDaemon((error) => cb(error)),
          )
          .catch((error: unknown) => this.#logger.warn({ err: error }, 'PM2 did not confirm its exit'));
        await this.#awaitExit(connection.link);
      }
    } finally {
      if (connection) closeConnection(connection);
      await this.#lifeline?.close();
    }
  }

  async #connect(): Promise<string[]> {
    const runDir = this.#runDir;
    if (runDir === undefined) throw new Error('Pm2Manager.connect() needs the run dir the first time');
    await mkdir(this.#pm2Home, { recursive: true, mode: 0o700 });
    this.#lifeline ??= new Lifeline({ socketPath: path.join(runDir, LIFELINE_SOCKET_NAME) });
    await this.#lifeline.listen();
    this.#hookScript ??= preparePlainScript(HOOK_SOURCE, path.join(runDir, 'daemon-hook'));
    const hookScript = await this.#hookScript;

    let { api, isNew } = await this.#launch(hookScript);
    let leftovers: string[] = [];
    if (!isNew) {
      // A daemon of an earlier run: without our lifeline it would outlive us; empty it and kill it.
      leftovers = await retireDaemon(api, {
        pm2Home: this.#pm2Home,
        calls: this.#calls,
        callMs: this.#timeouts.callMs,
        exitMs: DAEMON_EXIT_MS,
      });
      ({ api, isNew } = await this.#launch(hookScript));
      if (!isNew) {
        closeClient(api);
        throw new SupervisorError(
          'PROCESS_MANAGER',
          `a PM2 daemon for ${this.#pm2Home} keeps running after it was killed; stop it with: PM2_HOME=${this.#pm2Home} npx pm2 kill`,
        );
      }
    }
    let link: DaemonLink;
    let bus: Pm2Bus;
    try {
      link = await this.#lifeline.nextDaemon(this.#timeouts.connectMs);
      bus = await this.#calls.call<Pm2Bus>('subscribe to PM2 events', this.#timeouts.callMs, (cb) =>
        api.launchBus(cb),
      );
    } catch (error) {
      closeClient(api);
      throw error;
    }
    bus.on('process:event', (packet) => {
      const event = exitEventOf(packet);
      if (event) for (const listener of this.#exitListeners) listener(event);
    });
    const connection: Connection = { api, bus, link, names: new Set() };
    this.#connection = connection;
    void link.closed.then(() => this.#onLinkClosed(connection));
    this.#logger.debug({ pm2Home: this.#pm2Home, pid: link.pid }, 'connected to the private PM2 daemon');
    return leftovers;
  }

  /**
   * Connects a new PM2 client, which launches the daemon when none answers. The daemon inherits
   * this process's environment at that moment, so the hook and the lifeline are named there for
   * the launch only; PM2's own stop signal is made SIGTERM.
   */
  async #launch(hookScript: string): Promise<{ api: Pm2Api; isNew: boolean }> {
    // PM2 reads these when it is loaded and passes process.env on to the daemon it spawns, where
    // they override its own options: they must name this home before anything of PM2 runs.
    process.env.PM2_HOME = this.#pm2Home;
    process.env.PM2_DISABLE_VERSION_CHECK = 'true';
    process.env.PM2_PROGRAMMATIC = 'true';
    process.env.PM2_DISCRETE_MODE = 'true';
    process.env.PM2_NO_INTERACTION = 'true';
    const pm2 = require('pm2') as { custom: new (options: Record<string, unknown>) => Pm2Api };
    const api = new pm2.custom({ pm2_home: this.#pm2Home, daemon_mode: true });
    const launchEnv: Record<string, string> = {
      NODE_OPTIONS: [process.env.NODE_OPTIONS, `--import=${pathToFileURL(hookScript).href}`]
        .filter(Boolean)
        .join(' '),
      [LIFELINE_ENV]: this.#lifeline!.socketPath,
      PM2_KILL_SIGNAL: 'SIGTERM',
      PM2_NODE_OPTIONS: [process.env.PM2_NODE_OPTIONS, DAEMON_NODE_OPTIONS].filter(Boolean).join(' '),
    };
    const saved = Object.fromEntries(Object.keys(launchEnv).map((name) => [name, process.env[name]]));
    Object.assign(process.env, launchEnv);
    try {
      const meta = await this.#calls.call<{ new_pm2_instance?: boolean } | undefined>(
        'connect to the PM2 daemon',
        this.#timeouts.connectMs,
        (cb) => api.connect(cb),
      );
      return { api, isNew: meta?.new_pm2_instance === true };
    } catch (error) {
      closeClient(api);
      throw error;
    } finally {
      for (const [name, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    }
  }

  /** Waits for a killed daemon's lifeline to close; SIGKILLs it when it does not in time. */
  async #awaitExit(link: DaemonLink): Promise<void> {
    const timer = delay(DAEMON_EXIT_MS, 'timeout' as const, { ref: false });
    if ((await Promise.race([link.closed, timer])) !== 'timeout') return;
    // The lifeline is still open, so the pid is still the daemon's: no risk of a reused pid.
    this.#logger.warn(
      { pid: link.pid },
      `the PM2 daemon did not exit within ${DAEMON_EXIT_MS} ms; killed it`,
    );
    try {
      process.kill(link.pid, 'SIGKILL');
    } catch {
      // It exited meanwhile.
    }
    await Promise.race([link.closed, delay(1_000, undefined, { ref: false })]);
  }

  #onLinkClosed(connection: Connection): void {
    if (this.#connection !== connection) return;
    this.#connection = undefined;
    closeConnection(connection);
    const { link } = connection;
    const error = new SupervisorError('PROCESS_MANAGER', `the PM2 daemon (pid ${link.pid}) died`);
    this.#calls.failAll(error);
    this.#logger.error({ pid: link.pid }, 'the PM2 daemon died; its servers are stopped and started again');
    for (const listener of this.#lostListeners) listener({ pid: link.pid });
  }

  /** One call on the current client; fails at once when none is connected. */
  #call<T>(
    what: string,
    timeoutMs: number,
    run: (api: Pm2Api, cb: (error: Error | null, value?: T) => void) => void,
  ): Promise<T> {
    const api = this.#connection?.api;
    if (!api) {
      return Promise.reject(
        new SupervisorError('PROCESS_MANAGER', `PM2 could not ${what}: the PM2 daemon is not running`),
      );
    }
    return this.#calls.call(what, timeoutMs, (cb) => run(api, cb));
  }
}

function closeConnection(connection: Connection): void {
  try {
    connection.bus.close();
  } catch {
    // The bus socket is already gone with the daemon.
  }
  closeClient(connection.api);
}
