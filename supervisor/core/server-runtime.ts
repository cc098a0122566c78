// Over 400 lines because it is one state machine (start, stop, restart, exit, daemon loss) over
// private state; what can stand alone (launch, process groups, restart policy) lives in process/.
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { type RestartConfig, type ServerConfig, type ServerKind, serverKind } from '../config/schema.ts';
import { isPackageRunner, watchInstall } from '../process/package-runner.ts';
import type { ExitEvent, Pm2Manager } from '../process/pm2-manager.ts';
import { terminateGroup } from '../process/process-group.ts';
import { decideRestart, initialRestartState, type RestartState } from '../process/restart-policy.ts';
import { launchCommand, makeFifos, writeEnvFile } from '../process/server-launch.ts';
import { logSize, stderrTail } from '../process/stderr-tail.ts';
import { errorMessage } from '../shared/errors.ts';
import { type HomePaths, serverLogFiles, startFilesFor } from '../shared/home.ts';
import type { Logger } from '../shared/logger.ts';
import type { ServerEvent, ServerState } from '../shared/server-state.ts';
import { Upstream, type UpstreamEndpoint } from '../upstream/upstream.ts';

/** How long a failed start waits for PM2 to report that the process exited. */
const EXIT_REPORT_MS = 1_000;

export type { ServerEvent, ServerState };

export interface ServerRuntimeDeps {
  pm2: Pm2Manager;
  paths: HomePaths;
  logger: Logger;
  restart: RestartConfig;
  /** Environment every server inherits (the allowlist of `process/server-env.ts`). */
  baseEnv: Record<string, string>;
  emit: (event: ServerEvent) => void;
}

/**
 * One configured server: its process under PM2 (PM2 runs the server itself, wired to the
 * supervisor by a FIFO pair per start, see `process/server-launch.ts`), its upstream client, and
 * the restart policy applied when it exits on its own. The process leads its own process group;
 * every stop and every exit ends the whole group, so nothing a server started outlives it.
 */
export class ServerRuntime {
  readonly name: string;
  readonly config: ServerConfig;
  readonly kind: ServerKind;
  readonly upstream: Upstream;
  readonly #deps: ServerRuntimeDeps;
  /** A configured server is `starting` until the core starts it (or stops it unstarted). */
  #state: ServerState = 'starting';
  #stateChangedAt = Date.now();
  /**
   * Whether the server answered `initialize` since it was last started by a person, a reload or
   * the supervisor's start: until then a failure is a failed first start (`errored` at once, with
   * its stderr), not a crash for the restart policy.
   */
  #hasBeenOnline = false;
  /** The size of the server's stderr log when its current process was launched. */
  #errLogOffset = 0;
  #restartState: RestartState = initialRestartState;
  #restartTimer: NodeJS.Timeout | undefined;
  #startedAt = 0;
  #totalRestarts = 0;
  #lastExit: { exitCode: number | null; signal: string | null; at: number } | undefined;
  #lastError: string | undefined;
  /** Aborts the current start (connect retries) when the server is stopped meanwhile. */
  #startAbort: AbortController | undefined;
  #isReplacing = false;
  /** The pid (and process group) of the current process; 0 when none runs. */
  #pid = 0;
  /** True while PM2 starts a process whose pid is not known yet. */
  #isLaunching = false;
  /** An exit that arrived while launching, before PM2 had told the pid: the new process's, maybe. */
  #earlyExit: ExitEvent | undefined;
  /** Pids of this server's processes already ended or handled: their exits change nothing. */
  readonly #endedPids = new Set<number>();
  /** Ending what is left of the last process's group; a start waits for it. */
  #reaping: Promise<unknown> = Promise.resolve();
  /** The per-start files of the current process (env file, FIFO pair). */
  #runFiles: string[] = [];
  #endpoint: UpstreamEndpoint | undefined;

  constructor(name: string, config: ServerConfig, deps: ServerRuntimeDeps) {
    this.name = name;
    this.config = config;
    this.kind = serverKind(config);
    this.#deps = deps;
    this.upstream = new Upstream({ name, logger: deps.logger });
    this.upstream.on('state', (state) => {
      // The upstream can drop while the process lives (e.g. a remote server going away).
      if (state === 'unavailable' && this.#state === 'online') {
        this.#setState(this.kind === 'remote' ? 'unavailable' : 'starting', 'state');
        if (this.kind === 'remote') this.#scheduleRemoteReconnect();
      }
    });
  }

  get state(): ServerState {
    return this.#state;
  }
  /** When the server entered its current state (epoch ms). */
  get stateChangedAt(): number {
    return this.#stateChangedAt;
  }
  get startedAt(): number {
    return this.#startedAt;
  }
  get restarts(): number {
    return this.#totalRestarts;
  }
  get lastExit() {
    return this.#lastExit;
  }
  get lastError(): string | undefined {
    return this.#lastError;
  }
  get isManaged(): boolean {
    return this.kind !== 'remote';
  }
  /** The pid of the server's process as started; 0 when none runs. */
  get pid(): number {
    return this.#pid;
  }
  get outLogFile(): string {
    return serverLogFiles(this.#deps.paths, this.name).out;
  }
  get errLogFile(): string {
    return serverLogFiles(this.#deps.paths, this.name).err;
  }

  /**
   * Starts the process (if the server has a command) and connects its upstream client, within
   * `startTimeoutMs` for the whole of it (installing included). A start by a person, a reload or
   * the supervisor's own start (`resetRestarts`) is a first start: if it fails — the process exits,
   * or it does not answer in time — the server is `errored` with the reason and its last stderr
   * lines, and is not restarted (a command that fails once fails again; a restart would kill a
   * download in progress). Once it has been online, exits follow the restart policy.
   */
  async start(options: { resetRestarts?: boolean } = {}): Promise<void> {
    this.#clearRestartTimer();
    if (options.resetRestarts !== false) {
      this.#restartState = initialRestartState;
      this.#hasBeenOnline = false;
    }
    this.#startAbort?.abort();
    const abort = new AbortController();
    this.#startAbort = abort;
    const deadline = Date.now() + this.config.startTimeoutMs;
    this.#lastError = undefined;
    this.#setState('starting', 'start');
    // Until the process runs, a failure is PM2's or ours, not the server's: the restart policy.
    let isLaunched = !this.isManaged;
    try {
      await this.#reaping;
      if (this.isManaged) {
        const pid = await this.#launch();
        isLaunched = true;
        // Stopped while PM2 was starting it: what was started goes too.
        if (abort.signal.aborted) {
          if (this.#pid === pid) this.#pid = 0;
          this.#markEnded(pid);
          await this.#terminate(pid);
          return;
        }
        // It exited before PM2 had told its pid (a busy event loop reads both at once).
        const early = this.#earlyExit;
        this.#earlyExit = undefined;
        if (early?.pid === pid) {
          this.handleExit(early);
          return;
        }
        if (isPackageRunner(this.config.command, this.config.args)) this.#watchInstall(pid, abort);
      }
      this.#startedAt = Date.now();
      await this.upstream.connect(this.#endpointOf(), {
        timeoutMs: Math.max(1, deadline - Date.now()),
        signal: abort.signal,
      });
      if (abort.signal.aborted) return;
      // The server is running, so its shell has read the env file: its secrets need not stay.
      await this.#removeRunFiles();
      this.#hasBeenOnline = true;
      this.#setState('online', 'online');
    } catch (error) {
      // A server that exits at once closes its pipe before PM2 reports the exit: give the exit
      // its turn, so it is handled as the exit it is (first-start failure, restart policy).
      if (this.isManaged && !abort.signal.aborted) await abortedWithin(abort.signal, EXIT_REPORT_MS);
      if (abort.signal.aborted) return;
      this.#lastError = errorMessage(error);
      this.#deps.logger.error({ server: this.name, err: error }, 'server failed to start');
      if (this.kind === 'remote') {
        this.#setState('unavailable', 'error', this.#lastError);
        this.#scheduleRemoteReconnect();
      } else if (this.#state === 'starting' || this.#state === 'installing') {
        const wasInstalling = this.#state === 'installing';
        if (!this.#hasBeenOnline && isLaunched) {
          // It runs but did not speak MCP in time: waiting again would only repeat this.
          await this.#stopProcess().catch(() => {});
          const reason =
            Date.now() < deadline
              ? this.#lastError
              : `no answer to initialize within startTimeoutMs ${this.config.startTimeoutMs} ms` +
                (wasInstalling ? ' while its package runner was still installing it' : '');
          await this.#failFirstStart(reason, abort);
        } else {
          // A restart that does not speak MCP: like a crash, so backoff and the crash loop apply.
          this.#setState('unavailable', 'error', this.#lastError);
          await this.#stopProcess().catch(() => {});
          // Stopped (or started again) while its process was being ended: no restart of its own.
          if (abort.signal.aborted) throw error;
          this.#onUnexpectedExit({ name: this.name, pid: 0, exitCode: null, signal: null, uptimeMs: 0 });
        }
      }
      throw error;
    }
  }

  /** Stops the process tree and the upstream client; the server stays down until started. */
  async stop(): Promise<void> {
    this.#clearRestartTimer();
    this.#startAbort?.abort();
    if (this.#state === 'stopped') return;
    this.#setState('stopping', 'state');
    try {
      // The server's input ends first: many servers exit on that alone.
      await this.upstream.close();
      if (this.isManaged) await this.#stopProcess();
    } finally {
      await this.#removeRunFiles();
      this.#setState('stopped', 'stop');
    }
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  /**
   * Called by the supervisor for every PM2 exit event of this server's process. What is left of
   * its process group (a grandchild of `npx`, a shell's child) is ended before it starts again.
   */
  handleExit(event: ExitEvent, reason?: string): void {
    this.#lastExit = { exitCode: event.exitCode, signal: event.signal, at: Date.now() };
    if (event.pid !== 0 && event.pid !== this.#pid) {
      // A process being launched may exit before PM2 has told its pid; start() looks at it then.
      if (this.#isLaunching && !this.#endedPids.has(event.pid)) this.#earlyExit = event;
      // Otherwise it is an earlier process of this server, ended or handled already.
      return;
    }
    if (this.#state === 'stopping' || this.#state === 'stopped' || this.#isReplacing) return;
    const exit: ServerEvent = {
      server: this.name,
      kind: 'exit',
      state: this.#state,
      at: Date.now(),
      exitCode: event.exitCode,
      signal: event.signal,
    };
    if (reason !== undefined) exit.message = reason;
    this.#deps.emit(exit);
    const startAbort = this.#startAbort;
    startAbort?.abort();
    void this.upstream.close();
    const pid = event.pid || this.#pid;
    this.#pid = 0;
    if (pid > 0) {
      this.#markEnded(pid);
      this.#reaping = this.#terminate(pid);
    }
    // A daemon's death is not the server's failure: that one is restarted whatever it was doing.
    if (!this.#hasBeenOnline && reason === undefined && startAbort) {
      const how = event.signal ? `killed by ${event.signal}` : `exit code ${event.exitCode}`;
      void this.#failFirstStart(`${how} before it answered initialize`, startAbort);
      return;
    }
    this.#onUnexpectedExit(event);
  }

  /**
   * Called when the PM2 daemon died: it reports no exit of this server's process, which now runs
   * on unwatched. It is ended like a crashed one and started again under a new daemon.
   */
  handleDaemonLost(): void {
    if (!this.isManaged || this.#pid === 0) return;
    const uptimeMs = this.#startedAt > 0 ? Date.now() - this.#startedAt : 0;
    this.handleExit(
      { name: this.name, pid: this.#pid, exitCode: null, signal: null, uptimeMs },
      'the PM2 daemon died',
    );
  }

  #onUnexpectedExit(event: ExitEvent): void {
    this.#clearRestartTimer();
    // A server being stopped is not restarted, whatever exit or failure arrives meanwhile.
    if (this.#state === 'stopping' || this.#state === 'stopped') return;
    const decision = decideRestart(this.#restartState, event.uptimeMs, this.#deps.restart);
    this.#restartState = decision.state;
    if (decision.action === 'crash_loop') {
      this.#lastError = `crash loop: ${decision.state.unstableRuns} runs shorter than ${this.#deps.restart.minUptimeMs} ms`;
      this.#deps.logger.error({ server: this.name }, `${this.#lastError}; it stays down until started again`);
      this.#setState('errored', 'crash_loop', this.#lastError);
      return;
    }
    this.#setState('restarting', 'restart', undefined, decision.delayMs);
    this.#restartTimer = setTimeout(() => {
      this.#restartTimer = undefined;
      if (this.#state !== 'restarting') return;
      this.#totalRestarts++;
      this.start({ resetRestarts: false }).catch(() => {
        // Logged by start(); a failed start has already scheduled the next attempt.
      });
    }, decision.delayMs);
    this.#restartTimer.unref();
  }

  /**
   * Ends a failed first start: `errored`, with `reason` and the server's last stderr lines of this
   * run, unless it was started or stopped again meanwhile (`startAbort` is no longer the current).
   */
  async #failFirstStart(reason: string, startAbort: AbortController): Promise<void> {
    this.#clearRestartTimer();
    const tail = await stderrTail(this.errLogFile, this.#errLogOffset);
    if (this.#startAbort !== startAbort || this.#state === 'stopping' || this.#state === 'stopped') return;
    this.#lastError = tail ? `${reason}: ${tail}` : reason;
    this.#deps.logger.error(
      { server: this.name },
      `server ${this.name} failed to start: ${this.#lastError}; it stays down until started again`,
    );
    this.#setState('errored', 'error', this.#lastError);
  }

  /** `installing` while the package runner of process `pid` has not started the server. */
  #watchInstall(pid: number, startAbort: AbortController): void {
    this.#setState('installing', 'state');
    const isCurrent = () => this.#startAbort === startAbort && !startAbort.signal.aborted;
    void watchInstall(pid, {
      isWatching: () => isCurrent() && this.#state === 'installing',
      onServerStarted: () => this.#setState('starting', 'state'),
    });
  }

  #scheduleRemoteReconnect(): void {
    this.#clearRestartTimer();
    this.#restartTimer = setTimeout(() => {
      this.#restartTimer = undefined;
      if (this.#state === 'unavailable' || this.#state === 'starting') this.start().catch(() => {});
    }, 5_000);
    this.#restartTimer.unref();
  }

  /**
   * Writes this start's env file and FIFO pair, and has PM2 run the server. Resolves with its pid.
   */
  async #launch(): Promise<number> {
    const { paths, baseEnv, pm2, restart } = this.#deps;
    const env = { ...baseEnv, ...this.config.env };
    // A relative cwd in the config is relative to the home.
    const cwd = this.config.cwd ? path.resolve(paths.root, this.config.cwd) : paths.root;
    await this.#removeRunFiles();
    const { envFile, stdinPath, stdoutPath } = startFilesFor(paths, this.name);
    const fifos = this.kind === 'stdio' ? { stdinPath, stdoutPath } : undefined;
    this.#runFiles = [envFile, ...(fifos ? [fifos.stdinPath, fifos.stdoutPath] : [])];
    this.#endpoint =
      fifos !== undefined
        ? { kind: 'fifo', ...fifos }
        : { kind: 'http', url: this.config.url ?? '', headers: this.config.headers };
    // The env file holds the server's env (tokens): written atomically, readable by our user only.
    await writeEnvFile(envFile, env, { server: `server "${this.name}"` });
    this.#errLogOffset = await logSize(this.errLogFile);
    if (fifos) await makeFifos([fifos.stdinPath, fifos.stdoutPath]);
    // A process of an earlier run of this server may still be known to PM2; its exit is expected.
    this.#isReplacing = true;
    try {
      await pm2.delete(this.name, { killTimeoutMs: restart.killTimeoutMs });
    } finally {
      this.#isReplacing = false;
    }
    const launch = launchCommand({
      name: this.name,
      command: this.config.command ?? '',
      args: this.config.args,
      cwd,
      envFile,
      fifos,
    });
    this.#earlyExit = undefined;
    this.#isLaunching = true;
    let pid: number;
    try {
      ({ pid } = await pm2.start({
        name: this.name,
        command: launch.script,
        args: launch.args,
        cwd: paths.runDir,
        // The launcher replaces this with the env file's; PM2 itself needs no more.
        env: { PATH: baseEnv.PATH ?? '', HOME: baseEnv.HOME ?? '' },
        outLogFile: this.outLogFile,
        errLogFile: this.errLogFile,
        killTimeoutMs: restart.killTimeoutMs,
      }));
    } finally {
      this.#isLaunching = false;
    }
    this.#pid = pid;
    return pid;
  }

  /** Ends the current process's whole group (SIGTERM, then SIGKILL) and removes it from PM2. */
  async #stopProcess(): Promise<void> {
    const pid = this.#pid;
    this.#pid = 0;
    await this.#reaping;
    if (pid > 0) {
      this.#markEnded(pid);
      await this.#terminate(pid);
    }
    await this.#deps.pm2.delete(this.name, { killTimeoutMs: this.#deps.restart.killTimeoutMs });
  }

  /** SIGTERM to the process group `pid` leads, SIGKILL after `killTimeoutMs`; never rejects. */
  #terminate(pid: number): Promise<boolean> {
    const { killTimeoutMs } = this.#deps.restart;
    return terminateGroup(pid, {
      killTimeoutMs,
      onKill: () =>
        this.#deps.logger.warn(
          { server: this.name, pid },
          `server ${this.name} did not exit ${killTimeoutMs} ms after SIGTERM; killed it`,
        ),
    });
  }

  /** Remembers a pid whose exit is expected (or handled); the last few are enough. */
  #markEnded(pid: number): void {
    this.#endedPids.add(pid);
    if (this.#endedPids.size > 16) this.#endedPids.delete(this.#endedPids.values().next().value!);
  }

  #endpointOf(): UpstreamEndpoint {
    if (this.#endpoint) return this.#endpoint;
    return { kind: 'http', url: this.config.url ?? '', headers: this.config.headers };
  }

  async #removeRunFiles(): Promise<void> {
    const files = this.#runFiles;
    this.#runFiles = [];
    await Promise.all(files.map((file) => rm(file, { force: true })));
  }

  #clearRestartTimer(): void {
    if (this.#restartTimer) clearTimeout(this.#restartTimer);
    this.#restartTimer = undefined;
  }

  #setState(state: ServerState, kind: ServerEvent['kind'], message?: string, delayMs?: number): void {
    if (state !== this.#state) this.#stateChangedAt = Date.now();
    this.#state = state;
    const event: ServerEvent = { server: this.name, kind, state, at: Date.now() };
    if (message !== undefined) event.message = message;
    if (delayMs !== undefined) event.delayMs = delayMs;
    this.#deps.logger.info(
      { server: this.name, state, event: kind, delayMs },
      `server ${this.name}: ${state}`,
    );
    this.#deps.emit(event);
  }
}

/** Resolves when `signal` aborts or after `ms`, whichever is first. */
function abortedWithin(signal: AbortSignal, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    timer.unref();
    signal.addEventListener('abort', done, { once: true });
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
  });
}
