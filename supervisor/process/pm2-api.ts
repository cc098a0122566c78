/**
 * The parts of PM2's programmatic API the manager uses, typed, and the pure translations between
 * them and ours. PM2's bundled types do not cover `custom`.
 */
import path from 'node:path';
import { SupervisorError } from '../shared/errors.ts';
import { EXIT_INFO_KEY } from './daemon-hook.ts';

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

// The parts of PM2's programmatic API we use; its bundled types do not cover `custom`.
export interface Pm2Api {
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
  /** Set by `close()`; a socket that closes while it is set does not reconnect. */
  closing?: boolean;
}
export interface Pm2Bus {
  on(event: string, listener: (packet: Pm2BusPacket) => void): void;
  close(): void;
}
export interface Pm2BusPacket {
  event?: string;
  process?: {
    name?: string;
    exit_code?: number | null;
    pm_uptime?: number;
    [EXIT_INFO_KEY]?: { pid?: number; signal?: string | null };
  };
}
export interface Pm2ProcessDescription {
  name?: string;
  pid?: number;
  monit?: { memory?: number; cpu?: number };
  pm2_env?: { status?: ManagedProcess['status']; pm_uptime?: number };
}

/** PM2's app options for one of our processes: fork mode, no restarts of its own. Pure. */
export function pm2AppOptions(options: StartProcessOptions): Record<string, unknown> {
  return {
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
  };
}

/** The pid of the first process in PM2's answer to `start`; 0 when it names none. Pure. */
export function startedPid(procs: unknown): number {
  const [first] = Array.isArray(procs) ? (procs as { process?: { pid?: number }; pid?: number }[]) : [];
  return first?.process?.pid ?? first?.pid ?? 0;
}

export function managedProcessOf(p: Pm2ProcessDescription): ManagedProcess {
  return {
    name: p.name ?? '',
    pid: p.pid ?? 0,
    status: p.pm2_env?.status ?? 'stopped',
    startedAt: p.pm2_env?.pm_uptime ?? 0,
    cpuPercent: p.monit?.cpu ?? 0,
    rssBytes: p.monit?.memory ?? 0,
  };
}

/**
 * The exit a bus packet reports, or undefined for any other packet. The pid and signal come from
 * the daemon hook: PM2 itself reports a process killed by a signal as code 0. Pure.
 */
export function exitEventOf(packet: Pm2BusPacket, now = Date.now()): ExitEvent | undefined {
  if (packet.event !== 'exit' || !packet.process?.name) return undefined;
  const { name, exit_code: exitCode, pm_uptime: startedAt } = packet.process;
  const info = packet.process[EXIT_INFO_KEY];
  const signal = typeof info?.signal === 'string' ? info.signal : null;
  return {
    name,
    pid: typeof info?.pid === 'number' ? info.pid : 0,
    exitCode: signal === null && typeof exitCode === 'number' ? exitCode : null,
    signal,
    uptimeMs: startedAt ? now - startedAt : 0,
  };
}

/** PM2 callback calls with a timeout each; those in flight all fail at once when the daemon dies. */
export class Pm2Calls {
  readonly #logFile: string;
  readonly #pending = new Set<(error: Error) => void>();

  constructor(options: { pm2Home: string }) {
    this.#logFile = path.join(options.pm2Home, 'pm2.log');
  }

  /**
   * Runs one call; rejects with `TIMEOUT` after `timeoutMs` and with `PROCESS_MANAGER` when PM2
   * answers an error (`what` completes "PM2 could not …").
   */
  call<T>(
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
              `PM2 did not ${what} within ${timeoutMs} ms; see ${this.#logFile}`,
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

  /** Fails every call in flight with `error`. */
  failAll(error: Error): void {
    for (const fail of [...this.#pending]) fail(error);
  }
}

/** The client's RPC and bus sockets, those it has (PM2 sets a disconnected one to null). */
function clientSockets(api: Pm2Api): AxonSocket[] {
  return [api.Client.client_sock, api.Client.sub_sock].filter((socket): socket is AxonSocket =>
    Boolean(socket),
  );
}

/**
 * Before the daemon is killed: its exit closes the RPC and bus sockets, and a socket not closed
 * on purpose first arms a reconnect timer (100 ms, ref'd) that holds the process that long.
 * Marked as closing (what their own `close()` sets first), they just close.
 */
export function stopReconnecting(api: Pm2Api): void {
  for (const socket of clientSockets(api)) socket.closing = true;
}

/**
 * Closes a client's sockets for good. When the daemon closes its RPC socket before its SIGQUIT
 * reaches us (a race in `killDaemon`), or dies, PM2's `disconnectRPC` sees the socket already
 * disconnected and returns without closing it, and axon then retries the connection forever: a
 * timer that keeps the supervisor from ever exiting. Closing an already closed axon socket is a
 * no-op, so this is safe after a clean disconnect too.
 */
export function closeClient(api: Pm2Api): void {
  for (const socket of clientSockets(api)) {
    try {
      socket.close();
    } catch {
      // Nothing left to close.
    }
  }
}
