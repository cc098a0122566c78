import { mkdir, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { SupervisorError } from '../errors.ts';
import { LIFELINE_SOCKET_NAME } from '../home.ts';
import type { Logger } from '../logging.ts';
import { silentLogger } from '../logging.ts';
import { EXIT_INFO_KEY, LIFELINE_ENV } from './daemon-hook.ts';
import { type DaemonLink, Lifeline } from './lifeline.ts';
import { preparePlainScript } from './plain-script.ts';
import { terminateGroup } from './process-group.ts';

/** What PM2 reports about one process. */
export interface ManagedProcess {
  name: string;
  /** 0 when not running. */
  pid: number;
  status:
    | 'online'
    | 'stopping'
    | 'stopped'
    | 'launching'
    | 'errored'
    | 'one-launch-status'
    | 'waiting restart';
  /** Epoch ms of the last start. */
  startedAt: number;
  /** CPU % and RSS bytes of the process PM2 started (the server itself, not its children). */
  cpuPercent: number;
  rssBytes: number;
}

export interface ExitEvent {
  name: string;
  /** The pid that exited (0 when unknown); it led its own process group. */
  pid: number;
  /** null when the process was killed by a signal. */
  exitCode: number | null;
  signal: string | null;
  /** How long the process ran, ms. */
  uptimeMs: number;
}

export interface StartProcessOptions {
  name: string;
  command: string;
  args: string[];
  cwd: string;
  /** The whole environment of the process; nothing of the supervisor's is added by PM2. */
  env: Record<string, string>;
  outLogFile: string;
  errLogFile: string;
  /** How long PM2 waits between its own SIGTERM and SIGKILL when it stops the process. */
  killTimeoutMs: number;
}

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

const HOOK_SOURCE = fileURLToPath(
  new URL(`./daemon-hook${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url),
);

// The parts of PM2's programmatic API we use; its bundled types do not cover `custom`.
interface Pm2Api {
  connect(cb: (error: Error | null, meta?: { new_pm2_instance?: boolean }) => void): void;
  start(options: Record<string, unknown>, cb: (error: Error | null, procs?: unknown) => void): void;
  delete(name: string, cb: (error: Error | null) => void): void;
  list(cb: (error: Error | null, list: Pm2ProcessDescription[]) => void): void;
  launchBus(cb: (error: Error | null, bus: Pm2Bus) => void): void;
  killDaemon(cb: (error: Error | null) => void): void;
  disconnect(cb?: () => void): void;
  Client: { client_sock?: AxonSocket; sub_sock?: AxonSocket };
}
interface AxonSocket {
  close(): void;
}
interface Pm2Bus {
  on(event: string, listener: (packet: Pm2BusPacket) => void): void;
  close(): void;
}
interface Pm2BusPacket {
  event?: string;
  process?: {
    name?: string;
    exit_code?: number | null;
    pm_uptime?: number;
    [EXIT_INFO_KEY]?: { pid?: number; signal?: string | null };
  };
}
interface Pm2ProcessDescription {
  name?: string;
  pid?: number;
  monit?: { memory?: number; cpu?: number };
  pm2_env?: { status?: ManagedProcess['status']; pm_uptime?: number };
}

/** A client connected to a daemon we launched, and that daemon's lifeline. */
interface Connection {
  api: Pm2Api;
  bus: Pm2Bus;
  link: DaemonLink;
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
  /** Fails the calls in flight when the daemon dies under them. */
  readonly #pending = new Set<(error: Error) => void>();
  readonly #exitListeners = new Set<(event: ExitEvent) => void>();
  readonly #lostListeners = new Set<(info: { pid: number }) => void>();

  constructor(options: { pm2Home: string; logger?: Logger; timeouts?: Partial<Pm2Timeouts> }) {
    this.#pm2Home = options.pm2Home;
    this.#logger = options.logger ?? silentLogger;
    this.#timeouts = { ...DEFAULT_TIMEOUTS, ...options.timeouts };
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
    if (options) this.#runDir = options.runDir;
    if (this.#connection) return Promise.resolve([]);
    if (this.#isClosed)
      return Promise.reject(new SupervisorError('PROCESS_MANAGER', 'the PM2 daemon was stopped'));
    this.#connecting ??= this.#connect().finally(() => {
      this.#connecting = undefined;
    });
    return this.#connecting;
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
    const procs = await this.#call<unknown>(`start ${options.name}`, this.#timeouts.callMs, (api, cb) =>
      api.start(
        {
          name: options.name,
          script: options.command,
          args: options.args,
          interpreter: 'none',
          exec_mode: 'fork',
          cwd: options.cwd,
          // An empty filter drops every variable of the caller: the process gets `env` only.
          filter_env: [''],
          env: options.env,
          autorestart: false,
          treekill: true,
          kill_timeout: options.killTimeoutMs,
          out_file: options.outLogFile,
          error_file: options.errLogFile,
          merge_logs: true,
          time: true,
          vizion: false,
          pmx: false,
          automation: false,
        },
        cb,
      ),
    );
    const [first] = Array.isArray(procs) ? (procs as { process?: { pid?: number }; pid?: number }[]) : [];
    return { pid: first?.process?.pid ?? first?.pid ?? 0 };
  }

  /**
   * Stops and forgets a process; PM2 signals its tree, then SIGKILLs after its kill timeout. Done
   * at once when no daemon runs (a dead daemon's processes are the caller's to stop).
   */
  async delete(name: string, options: { killTimeoutMs?: number } = {}): Promise<void> {
    if (!this.#connection) return;
    try {
      await this.#call<void>(
        `stop ${name}`,
        this.#timeouts.callMs + (options.killTimeoutMs ?? 0),
        (api, cb) => api.delete(name, (error) => cb(error)),
      );
    } catch (error) {
      // Deleting something PM2 does not know is what we wanted anyway, and so is a daemon gone.
      if (/not found/i.test(String((error as Error).message)) || !this.#connection) return;
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
    return list.map((p) => ({
      name: p.name ?? '',
      pid: p.pid ?? 0,
      status: p.pm2_env?.status ?? 'stopped',
      startedAt: p.pm2_env?.pm_uptime ?? 0,
      cpuPercent: p.monit?.cpu ?? 0,
      rssBytes: p.monit?.memory ?? 0,
    }));
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
        await this.#callOn<void>('kill the PM2 daemon', this.#timeouts.callMs, (cb) =>
          api.killDaemon((error) => cb(error)),
        ).catch((error: unknown) => this.#logger.warn({ err: error }, 'PM2 did not confirm its exit'));
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
      leftovers = await this.#retire(api);
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
      bus = await this.#callOn<Pm2Bus>('subscribe to PM2 events', this.#timeouts.callMs, (cb) =>
        api.launchBus(cb),
      );
    } catch (error) {
      closeClient(api);
      throw error;
    }
    bus.on('process:event', (packet) => this.#onProcessEvent(packet));
    const connection: Connection = { api, bus, link };
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
    };
    const saved = Object.fromEntries(Object.keys(launchEnv).map((name) => [name, process.env[name]]));
    Object.assign(process.env, launchEnv);
    try {
      const meta = await this.#callOn<{ new_pm2_instance?: boolean } | undefined>(
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

  /** Stops the processes of a daemon we did not launch, kills it and waits for it to exit. */
  async #retire(api: Pm2Api): Promise<string[]> {
    const daemonPid = await this.#readDaemonPid();
    let names: string[] = [];
    try {
      const list = await this.#callOn<Pm2ProcessDescription[]>(
        'list processes',
        this.#timeouts.callMs,
        (cb) => api.list(cb),
      );
      names = [...new Set(list.map((p) => p.name ?? ''))];
      await Promise.all(
        list.map((p) => (p.pid ? terminateGroup(p.pid, { killTimeoutMs: 5_000 }) : undefined)),
      );
      await this.#callOn<void>('kill the PM2 daemon', this.#timeouts.callMs, (cb) =>
        api.killDaemon((error) => cb(error)),
      );
    } finally {
      closeClient(api);
    }
    if (daemonPid !== undefined) {
      const deadline = Date.now() + DAEMON_EXIT_MS;
      while (isAlive(daemonPid) && Date.now() < deadline) await delay(50);
    }
    return names;
  }

  async #readDaemonPid(): Promise<number | undefined> {
    const text = await readFile(path.join(this.#pm2Home, 'pm2.pid'), 'utf8').catch(() => '');
    const pid = Number(text.trim());
    return Number.isInteger(pid) && pid > 1 ? pid : undefined;
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
    for (const fail of [...this.#pending]) fail(error);
    this.#logger.error({ pid: link.pid }, 'the PM2 daemon died; its servers are stopped and started again');
    for (const listener of this.#lostListeners) listener({ pid: link.pid });
  }

  #onProcessEvent(packet: Pm2BusPacket): void {
    if (packet.event !== 'exit' || !packet.process?.name) return;
    const { name, exit_code: exitCode, pm_uptime: startedAt } = packet.process;
    const info = packet.process[EXIT_INFO_KEY];
    const signal = typeof info?.signal === 'string' ? info.signal : null;
    const event: ExitEvent = {
      name,
      pid: typeof info?.pid === 'number' ? info.pid : 0,
      // PM2 reports a process killed by a signal as code 0.
      exitCode: signal === null && typeof exitCode === 'number' ? exitCode : null,
      signal,
      uptimeMs: startedAt ? Date.now() - startedAt : 0,
    };
    for (const listener of this.#exitListeners) listener(event);
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
    return this.#callOn(what, timeoutMs, (cb) => run(api, cb));
  }

  /** One PM2 callback call with a timeout, failed early when the daemon dies meanwhile. */
  #callOn<T>(
    what: string,
    timeoutMs: number,
    run: (cb: (error: Error | null, value?: T) => void) => void,
  ): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      let isSettled = false;
      const settle = (error: Error | undefined, value?: T) => {
        if (isSettled) return;
        isSettled = true;
        clearTimeout(timer);
        this.#pending.delete(fail);
        if (error) reject(error);
        else resolve(value as T);
      };
      const fail = (error: Error) => settle(error);
      const timer = setTimeout(
        () =>
          settle(
            new SupervisorError(
              'TIMEOUT',
              `PM2 did not ${what} within ${timeoutMs} ms; see ${path.join(this.#pm2Home, 'pm2.log')}`,
            ),
          ),
        timeoutMs,
      );
      timer.unref();
      this.#pending.add(fail);
      run((error, value) => {
        if (!error) return settle(undefined, value);
        const message = error instanceof Error ? error.message : String(error);
        settle(new SupervisorError('PROCESS_MANAGER', `PM2 could not ${what}: ${message}`, { cause: error }));
      });
    });
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

/**
 * Closes a client's sockets for good. When the daemon closes its RPC socket before its SIGQUIT
 * reaches us (a race in `killDaemon`), or dies, PM2's `disconnectRPC` sees the socket already
 * disconnected and returns without closing it, and axon then retries the connection forever: a
 * timer that keeps the supervisor from ever exiting. Closing an already closed axon socket is a
 * no-op, so this is safe after a clean disconnect too.
 */
function closeClient(api: Pm2Api): void {
  for (const socket of [api.Client.client_sock, api.Client.sub_sock]) {
    try {
      socket?.close();
    } catch {
      // Nothing left to close.
    }
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
