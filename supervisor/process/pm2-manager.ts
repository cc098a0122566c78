import { mkdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { SupervisorError } from '../shared/errors.ts';
import type { Logger } from '../shared/logger.ts';
import { silentLogger } from '../shared/logger.ts';

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
  /** CPU % and RSS bytes of the top process only (PM2 does not see children). */
  cpuPercent: number;
  rssBytes: number;
}

export interface ExitEvent {
  name: string;
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
  killTimeoutMs: number;
}

// The parts of PM2's programmatic API we use; its bundled types do not cover `custom`.
interface Pm2Api {
  connect(cb: (error: Error | null) => void): void;
  start(options: Record<string, unknown>, cb: (error: Error | null, procs?: unknown) => void): void;
  delete(name: string, cb: (error: Error | null) => void): void;
  list(cb: (error: Error | null, list: Pm2ProcessDescription[]) => void): void;
  launchBus(cb: (error: Error | null, bus: Pm2Bus) => void): void;
  killDaemon(cb: (error: Error | null) => void): void;
  disconnect(cb?: () => void): void;
  Client: { close(cb: () => void): void; client_sock?: AxonSocket; sub_sock?: AxonSocket };
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
  process?: { name?: string; exit_code?: number | null; pm_uptime?: number; status?: string };
  manually?: boolean;
}
interface Pm2ProcessDescription {
  name?: string;
  pid?: number;
  monit?: { memory?: number; cpu?: number };
  pm2_env?: { status?: ManagedProcess['status']; pm_uptime?: number; exit_code?: number };
}

const require = createRequire(import.meta.url);

/**
 * A private PM2 daemon under one PM2 home, in daemon mode (no-daemon mode replaces `console.*` and
 * exits the host process). PM2's own auto-restart is off: the supervisor applies its restart policy
 * on the exit events this class reports, so backoff and the crash-loop state follow our config.
 */
export class Pm2Manager {
  readonly #pm2Home: string;
  readonly #logger: Logger;
  #api: Pm2Api | undefined;
  #bus: Pm2Bus | undefined;
  readonly #exitListeners = new Set<(event: ExitEvent) => void>();

  constructor(options: { pm2Home: string; logger?: Logger }) {
    this.#pm2Home = options.pm2Home;
    this.#logger = options.logger ?? silentLogger;
  }

  get isConnected(): boolean {
    return this.#api !== undefined;
  }

  /** Connects to the daemon of this PM2 home, starting it if none runs. */
  async connect(): Promise<void> {
    if (this.#api) return;
    await mkdir(this.#pm2Home, { recursive: true, mode: 0o700 });
    // PM2 reads these when it is loaded and passes process.env on to the daemon it spawns, where
    // they override its own options: they must name this home before anything of PM2 runs.
    process.env.PM2_HOME = this.#pm2Home;
    process.env.PM2_DISABLE_VERSION_CHECK = 'true';
    process.env.PM2_PROGRAMMATIC = 'true';
    process.env.PM2_DISCRETE_MODE = 'true';
    process.env.PM2_NO_INTERACTION = 'true';
    const pm2 = require('pm2') as { custom: new (options: Record<string, unknown>) => Pm2Api };
    const api = new pm2.custom({ pm2_home: this.#pm2Home, daemon_mode: true });
    await callback<void>((cb) => api.connect((error) => cb(error)), 'connect to the PM2 daemon');
    this.#api = api;
    const bus = await callback<Pm2Bus>((cb) => api.launchBus(cb), 'subscribe to PM2 events');
    this.#bus = bus;
    bus.on('process:event', (packet) => {
      if (packet.event !== 'exit' || !packet.process?.name) return;
      const exitCode = packet.process.exit_code;
      const event: ExitEvent = {
        name: packet.process.name,
        exitCode: typeof exitCode === 'number' ? exitCode : null,
        signal: typeof exitCode === 'string' ? exitCode : null,
        uptimeMs: packet.process.pm_uptime ? Date.now() - packet.process.pm_uptime : 0,
      };
      for (const listener of this.#exitListeners) listener(event);
    });
    this.#logger.debug({ pm2Home: this.#pm2Home }, 'connected to the private PM2 daemon');
  }

  /** Calls `listener` whenever a managed process exits (crash or stop). Returns an unsubscribe. */
  onExit(listener: (event: ExitEvent) => void): () => void {
    this.#exitListeners.add(listener);
    return () => this.#exitListeners.delete(listener);
  }

  async start(options: StartProcessOptions): Promise<void> {
    const api = this.#requireApi();
    await callback<unknown>(
      (cb) =>
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
      `start ${options.name}`,
    );
  }

  /** Stops and forgets a process; PM2 signals the whole tree, then SIGKILLs after the kill timeout. */
  async delete(name: string): Promise<void> {
    const api = this.#requireApi();
    try {
      await callback<void>((cb) => api.delete(name, (error) => cb(error)), `stop ${name}`);
    } catch (error) {
      // Deleting something PM2 does not know is what we wanted anyway.
      if (!/not found/i.test(String((error as Error).message))) throw error;
    }
  }

  async list(): Promise<ManagedProcess[]> {
    const api = this.#requireApi();
    const list = await callback<Pm2ProcessDescription[]>((cb) => api.list(cb), 'list processes');
    return list.map((p) => ({
      name: p.name ?? '',
      pid: p.pid ?? 0,
      status: p.pm2_env?.status ?? 'stopped',
      startedAt: p.pm2_env?.pm_uptime ?? 0,
      cpuPercent: p.monit?.cpu ?? 0,
      rssBytes: p.monit?.memory ?? 0,
    }));
  }

  /** Deletes every process the daemon knows (what a crashed previous run left behind). */
  async deleteAll(): Promise<string[]> {
    const names = (await this.list()).map((p) => p.name);
    for (const name of new Set(names)) await this.delete(name);
    return names;
  }

  /**
   * Stops every process, kills the daemon and closes PM2's client sockets (without that last step
   * the host process never exits).
   */
  async kill(): Promise<void> {
    const api = this.#api;
    if (!api) return;
    this.#api = undefined;
    try {
      await callback<void>((cb) => api.killDaemon((error) => cb(error)), 'kill the PM2 daemon');
    } finally {
      try {
        this.#bus?.close();
      } catch {
        // The bus socket is already gone with the daemon.
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 1_000);
        timer.unref();
        api.disconnect(() => {
          clearTimeout(timer);
          resolve();
        });
      });
      closeClientSockets(api);
    }
  }

  /** Closes the client sockets but leaves the daemon and its processes running. */
  async disconnect(): Promise<void> {
    const api = this.#api;
    if (!api) return;
    this.#api = undefined;
    this.#bus?.close();
    await new Promise<void>((resolve) => api.disconnect(() => resolve()));
    closeClientSockets(api);
  }

  #requireApi(): Pm2Api {
    if (!this.#api) throw new SupervisorError('PROCESS_MANAGER', 'the PM2 daemon is not connected');
    return this.#api;
  }
}

/**
 * Closes PM2's two client sockets for good. When the daemon closes its RPC socket before its
 * SIGQUIT reaches us (a race in `killDaemon`), PM2's `disconnectRPC` sees the socket already
 * disconnected and returns without closing it, and axon then retries the connection forever: a
 * timer that keeps the supervisor from ever exiting. Closing an already closed axon socket is a
 * no-op, so this is safe after a clean disconnect too.
 */
function closeClientSockets(api: Pm2Api): void {
  for (const socket of [api.Client.client_sock, api.Client.sub_sock]) {
    try {
      socket?.close();
    } catch {
      // Nothing left to close.
    }
  }
}

function callback<T>(run: (cb: (error: Error | null, value?: T) => void) => void, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    run((error, value) => {
      if (error) {
        const message = error instanceof Error ? error.message : String(error);
        reject(new SupervisorError('PROCESS_MANAGER', `PM2 could not ${what}: ${message}`, { cause: error }));
      } else resolve(value as T);
    });
  });
}
