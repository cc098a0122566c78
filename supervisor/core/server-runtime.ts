import { rm } from 'node:fs/promises';
import path from 'node:path';
import { type RestartConfig, type ServerConfig, type ServerKind, serverKind } from '../config/schema.ts';
import { writeBridgeSpec } from '../process/bridge-spec.ts';
import type { ExitEvent, Pm2Manager } from '../process/pm2-manager.ts';
import { decideRestart, initialRestartState, type RestartState } from '../process/restart-policy.ts';
import { errorMessage } from '../shared/errors.ts';
import { type HomePaths, socketPathFor } from '../shared/home.ts';
import type { Logger } from '../shared/logger.ts';
import { Upstream } from '../upstream/upstream.ts';

export type ServerState =
  | 'starting'
  | 'online'
  | 'restarting'
  | 'errored'
  | 'unavailable'
  | 'stopping'
  | 'stopped';

/** A lifecycle event of one server, for the log, the event stream and the store. */
export interface ServerEvent {
  server: string;
  kind: 'start' | 'online' | 'exit' | 'restart' | 'crash_loop' | 'stop' | 'error' | 'state';
  state: ServerState;
  at: number;
  exitCode?: number | null;
  signal?: string | null;
  delayMs?: number;
  message?: string;
}

export interface ServerRuntimeDeps {
  pm2: Pm2Manager;
  paths: HomePaths;
  logger: Logger;
  restart: RestartConfig;
  bridgeScript: string;
  /** Environment every server inherits: PATH and HOME only, plus what its config sets. */
  baseEnv: Record<string, string>;
  emit: (event: ServerEvent) => void;
}

/**
 * One configured server: its process under PM2 (through the stdio bridge), its upstream client,
 * and the restart policy applied when it exits on its own.
 */
export class ServerRuntime {
  readonly name: string;
  readonly config: ServerConfig;
  readonly kind: ServerKind;
  readonly upstream: Upstream;
  readonly #deps: ServerRuntimeDeps;
  #state: ServerState = 'stopped';
  #restartState: RestartState = initialRestartState;
  #restartTimer: NodeJS.Timeout | undefined;
  #startedAt = 0;
  #totalRestarts = 0;
  #lastExit: { exitCode: number | null; signal: string | null; at: number } | undefined;
  #lastError: string | undefined;
  /** Aborts the current start (connect retries) when the server is stopped meanwhile. */
  #startAbort: AbortController | undefined;
  #isReplacing = false;

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
  get socketPath(): string {
    return socketPathFor(this.#deps.paths, this.name);
  }
  get outLogFile(): string {
    return path.join(this.#deps.paths.serverLogDir, `${this.name}.out.log`);
  }
  get errLogFile(): string {
    return path.join(this.#deps.paths.serverLogDir, `${this.name}.err.log`);
  }

  /** Starts the process (if the server has a command) and connects its upstream client. */
  async start(options: { resetRestarts?: boolean } = {}): Promise<void> {
    this.#clearRestartTimer();
    if (options.resetRestarts !== false) this.#restartState = initialRestartState;
    this.#startAbort?.abort();
    const abort = new AbortController();
    this.#startAbort = abort;
    this.#lastError = undefined;
    this.#setState('starting', 'start');
    try {
      if (this.isManaged) await this.#launch();
      this.#startedAt = Date.now();
      await this.upstream.connect(this.#endpoint(), {
        timeoutMs: this.config.startTimeoutMs,
        signal: abort.signal,
      });
      if (abort.signal.aborted) return;
      this.#setState('online', 'online');
    } catch (error) {
      if (abort.signal.aborted) return;
      this.#lastError = errorMessage(error);
      this.#deps.logger.error({ server: this.name, err: error }, 'server failed to start');
      if (this.kind === 'remote') {
        this.#setState('unavailable', 'error', this.#lastError);
        this.#scheduleRemoteReconnect();
      } else if (this.#state === 'starting') {
        // The process runs but does not speak MCP: treat it like a crash so backoff applies.
        this.#setState('unavailable', 'error', this.#lastError);
        await this.#deps.pm2.delete(this.name).catch(() => {});
        this.#onUnexpectedExit({ name: this.name, exitCode: null, signal: null, uptimeMs: 0 });
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
      await this.upstream.close();
      if (this.isManaged) await this.#deps.pm2.delete(this.name);
    } finally {
      await this.#removeRunFiles();
      this.#setState('stopped', 'stop');
    }
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  /** Called by the supervisor for every PM2 exit event of this server's process. */
  handleExit(event: ExitEvent): void {
    this.#lastExit = { exitCode: event.exitCode, signal: event.signal, at: Date.now() };
    if (this.#state === 'stopping' || this.#state === 'stopped' || this.#isReplacing) return;
    this.#deps.emit({
      server: this.name,
      kind: 'exit',
      state: this.#state,
      at: Date.now(),
      exitCode: event.exitCode,
      signal: event.signal,
    });
    this.#startAbort?.abort();
    void this.upstream.close();
    this.#onUnexpectedExit(event);
  }

  #onUnexpectedExit(event: ExitEvent): void {
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

  #scheduleRemoteReconnect(): void {
    this.#clearRestartTimer();
    this.#restartTimer = setTimeout(() => {
      this.#restartTimer = undefined;
      if (this.#state === 'unavailable' || this.#state === 'starting') this.start().catch(() => {});
    }, 5_000);
    this.#restartTimer.unref();
  }

  async #launch(): Promise<void> {
    const { paths, baseEnv, pm2, bridgeScript, restart } = this.#deps;
    const env = { ...baseEnv, ...this.config.env };
    const isStdio = this.kind === 'stdio';
    // A relative cwd in the config is relative to the home, resolved once here for both PM2 and the bridge.
    const cwd = this.config.cwd ? path.resolve(paths.root, this.config.cwd) : paths.root;
    const spec = {
      name: this.name,
      command: this.config.command ?? '',
      args: this.config.args,
      cwd,
      env,
      socketPath: isStdio ? this.socketPath : undefined,
      killTimeoutMs: restart.killTimeoutMs,
    };
    const specFile = this.#specFile();
    // The spec holds the server's env (tokens): written atomically, readable by our user only.
    await writeBridgeSpec(specFile, spec);
    // A process of an earlier run of this server may still be known to PM2; its exit is expected.
    this.#isReplacing = true;
    try {
      await pm2.delete(this.name);
    } finally {
      this.#isReplacing = false;
    }
    await pm2.start({
      name: this.name,
      command: process.execPath,
      args: [bridgeScript, specFile],
      cwd,
      env: { PATH: baseEnv.PATH ?? '', HOME: baseEnv.HOME ?? '' },
      outLogFile: this.outLogFile,
      errLogFile: this.errLogFile,
      // The bridge escalates to SIGKILL on its own after killTimeoutMs; PM2 waits a little longer.
      killTimeoutMs: restart.killTimeoutMs + 2_000,
    });
  }

  #endpoint() {
    if (this.kind === 'stdio') return { kind: 'socket' as const, path: this.socketPath };
    return { kind: 'http' as const, url: this.config.url ?? '', headers: this.config.headers };
  }

  #specFile(): string {
    return this.socketPath.replace(/\.sock$/, '.json');
  }

  async #removeRunFiles(): Promise<void> {
    await rm(this.#specFile(), { force: true });
    await rm(this.socketPath, { force: true });
  }

  #clearRestartTimer(): void {
    if (this.#restartTimer) clearTimeout(this.#restartTimer);
    this.#restartTimer = undefined;
  }

  #setState(state: ServerState, kind: ServerEvent['kind'], message?: string, delayMs?: number): void {
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
