/**
 * The supervisor the app shows: attached to one that already runs for the home (started by the
 * CLI), or started by the app in an Electron utility process, watched until it dies, and stopped
 * cleanly (with a deadline) when the app quits. Its state is a `SupervisorView` with the reason a
 * user can act on when it is down.
 */
import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { app, utilityProcess } from 'electron';
import { ControlClient } from '../supervisor/client/control-client.ts';
import { isProcessAlive, readState } from '../supervisor/client/state-file.ts';
import { readToken } from '../supervisor/client/token.ts';
import { errorMessage } from '../supervisor/shared/errors.ts';
import type { HomePaths } from '../supervisor/shared/home.ts';
import { type AppLog, silentLog } from './app-log.ts';
import type { ConnectionInfo } from './ipc-contract.ts';
import { describeSupervisorExit, LineTail } from './supervisor-exit.ts';
import type { SupervisorView } from './supervisor-view.ts';

/** What the app needs of a child it forked: Electron's `UtilityProcess` has exactly this. */
export interface ChildProcessLike {
  readonly pid: number | undefined;
  readonly stderr: NodeJS.ReadableStream | null;
  once(event: 'exit', listener: (code: number | null) => void): unknown;
  kill(): boolean;
}

export interface ForkOptions {
  env: NodeJS.ProcessEnv;
  /** stdin and stdout ignored (the supervisor logs to its own rotated files), stderr piped. */
  stdio: ['ignore', 'ignore', 'pipe'];
  serviceName: string;
}

export type Fork = (modulePath: string, args: string[], options: ForkOptions) => ChildProcessLike;

export interface SupervisorProcessOptions {
  paths: HomePaths;
  /**
   * The `--home` the user chose (`MCP_SUPERVISOR_HOME`), passed to the CLI. Without one the CLI
   * resolves the platform's folders itself, config folder included; passing the data folder as
   * `--home` would make it look for the config in the wrong place.
   */
  explicitHome?: string;
  /** The script the utility process runs (`supervisor-entry.js`). */
  entryFile: string;
  fork: Fork;
  /** The environment to start it with (the login shell's PATH merged in). */
  env: () => Promise<NodeJS.ProcessEnv>;
  /** How long a start may take before the app gives up on it. Default 120 s. */
  readyTimeoutMs?: number;
  /** How long quit waits for the clean stop. Default 30 s. */
  stopTimeoutMs?: number;
  /** Timeout of one probe of the control API. Default 3 s. */
  probeTimeoutMs?: number;
  /** Poll interval while waiting for a start. Default 200 ms. */
  pollMs?: number;
  log?: AppLog;
}

interface OwnedChild {
  child: ChildProcessLike;
  stderr: LineTail;
  exited: Promise<number | null>;
  /** Answered the control API (and has not exited since). */
  isRunning: boolean;
  hasExited: boolean;
}

/**
 * Lifecycle: `start()` attaches or forks (never two supervisors for one home); `recheck()` after a
 * failed status request turns a vanished supervisor into `down`; `stop()` on quit stops the one it
 * started and waits for it (`POST /api/stop`, then kill at the deadline). Listeners get every view.
 */
export class SupervisorProcess {
  readonly #options: Required<Omit<SupervisorProcessOptions, 'explicitHome'>> & { explicitHome?: string };
  readonly #listeners = new Set<(view: SupervisorView) => void>();
  #view: SupervisorView = { phase: 'starting' };
  #client: ControlClient | undefined;
  #owned: OwnedChild | undefined;
  #starting: Promise<SupervisorView> | undefined;
  #isStopping = false;

  constructor(options: SupervisorProcessOptions) {
    for (const name of ['readyTimeoutMs', 'stopTimeoutMs', 'probeTimeoutMs', 'pollMs'] as const) {
      const value = options[name];
      if (value !== undefined && (!Number.isFinite(value) || value <= 0)) {
        throw new RangeError(`${name} must be a positive number of milliseconds, got ${value}`);
      }
    }
    this.#options = {
      readyTimeoutMs: 120_000,
      stopTimeoutMs: 30_000,
      probeTimeoutMs: 3_000,
      pollMs: 200,
      log: silentLog,
      ...options,
    };
  }

  get view(): SupervisorView {
    return this.#view;
  }

  /** The control client of the running supervisor; undefined unless `running`. */
  get client(): ControlClient | undefined {
    return this.#view.phase === 'running' ? this.#client : undefined;
  }

  /** The running supervisor's origin (`http://127.0.0.1:7420`); undefined unless `running`. */
  get origin(): string | undefined {
    return this.#view.phase === 'running' ? this.#view.origin : undefined;
  }

  /** Why no supervisor answers now, for messages: the down reason, or what it is doing. */
  get unavailableReason(): string {
    const view = this.#view;
    return view.phase === 'down' ? view.reason : `it is ${view.phase}`;
  }

  /** What the console needs to call the control API; undefined unless `running` with a token. */
  async connection(): Promise<ConnectionInfo | undefined> {
    const origin = this.origin;
    const token = origin === undefined ? undefined : await readToken(this.#options.paths.tokenFile);
    return origin !== undefined && token ? { baseUrl: origin, token } : undefined;
  }

  /** Where the output of a supervisor the app starts goes (the CLI's `start -d` uses it too). */
  get outputFile(): string {
    return path.join(this.#options.paths.logDir, 'detached.out');
  }

  onChange(listener: (view: SupervisorView) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Attaches to the home's running supervisor, else starts one. Concurrent calls share one attempt. */
  start(): Promise<SupervisorView> {
    if (this.#isStopping) return Promise.resolve(this.#view);
    this.#starting ??= this.#start().finally(() => {
      this.#starting = undefined;
    });
    return this.#starting;
  }

  /**
   * Called when a request to a `running` supervisor failed: if its process is gone (stopped from
   * the CLI, or crashed without the app owning it) the view becomes `down`.
   */
  async recheck(): Promise<SupervisorView> {
    if (this.#view.phase !== 'running' || this.#owned?.isRunning) return this.#view;
    const state = await readState(this.#options.paths.stateFile);
    if (!state || !isProcessAlive(state.pid)) {
      this.#set({
        phase: 'down',
        reason: `the supervisor for ${this.#options.paths.root} has stopped`,
        isFailure: false,
        canStart: true,
      });
    }
    return this.#view;
  }

  /**
   * Stops the supervisor this app started, waiting for its clean stop up to the deadline (then it
   * is killed). One the app only attached to keeps running: it belongs to whoever started it.
   */
  async stop(): Promise<void> {
    this.#isStopping = true;
    const owned = this.#owned;
    if (!owned || owned.hasExited) return;
    this.#set({ phase: 'stopping' });
    const deadline = AbortSignal.timeout(this.#options.stopTimeoutMs);
    if (owned.isRunning && this.#client) {
      try {
        await this.#client.request('POST', '/api/stop', { signal: deadline });
      } catch (error) {
        this.#options.log.warn(`the stop request failed (${errorMessage(error)}); sending SIGTERM`);
        owned.child.kill();
      }
    } else {
      // Still starting: SIGTERM is the CLI's clean stop too.
      owned.child.kill();
    }
    const timedOut = new Promise<'timeout'>((resolve) => {
      if (deadline.aborted) resolve('timeout');
      deadline.addEventListener('abort', () => resolve('timeout'), { once: true });
    });
    if ((await Promise.race([owned.exited, timedOut])) === 'timeout') {
      this.#options.log.warn(
        `the supervisor did not stop within ${this.#options.stopTimeoutMs} ms; killing it`,
      );
      owned.child.kill();
      await Promise.race([owned.exited, sleep(5_000)]);
    }
  }

  async #start(): Promise<SupervisorView> {
    const { paths } = this.#options;
    const state = await readState(paths.stateFile);
    if (state && isProcessAlive(state.pid)) {
      const client = new ControlClient(paths);
      try {
        await client.request('GET', '/api/status', {
          signal: AbortSignal.timeout(this.#options.probeTimeoutMs),
        });
        return this.#running(client, state.pid, state.host, state.port);
      } catch (error) {
        return this.#set({
          phase: 'down',
          reason: `a supervisor (pid ${state.pid}) runs for ${paths.root} but does not answer: ${errorMessage(error)}`,
          isFailure: true,
          // A second one would refuse to start while that process holds the home.
          canStart: false,
        });
      }
    }
    return this.#fork();
  }

  async #fork(): Promise<SupervisorView> {
    const { paths, explicitHome } = this.#options;
    this.#set({ phase: 'starting' });
    const args = ['start', ...(explicitHome ? ['--home', explicitHome] : [])];
    let owned: OwnedChild;
    try {
      await mkdir(paths.logDir, { recursive: true, mode: 0o700 });
      const env = await this.#options.env();
      const child = this.#options.fork(this.#options.entryFile, args, {
        env,
        stdio: ['ignore', 'ignore', 'pipe'],
        serviceName: 'mcp-supervisor',
      });
      owned = this.#watch(child);
    } catch (error) {
      return this.#set({
        phase: 'down',
        reason: `cannot start the supervisor: ${errorMessage(error)}`,
        isFailure: true,
        canStart: true,
        logFile: this.outputFile,
      });
    }
    this.#owned = owned;
    const deadline = Date.now() + this.#options.readyTimeoutMs;
    let exitCode: number | null | undefined;
    void owned.exited.then((code) => {
      exitCode = code;
    });
    while (Date.now() < deadline) {
      if (exitCode !== undefined) return this.#view;
      const state = await readState(paths.stateFile);
      if (state && state.pid === owned.child.pid) {
        const client = new ControlClient(paths);
        try {
          await client.request('GET', '/api/status', {
            signal: AbortSignal.timeout(this.#options.probeTimeoutMs),
          });
          owned.isRunning = true;
          return this.#running(client, state.pid, state.host, state.port);
        } catch {
          // Listening but not answering yet: poll on.
        }
      }
      await sleep(this.#options.pollMs);
    }
    owned.child.kill();
    return this.#set({
      phase: 'down',
      reason: `the supervisor did not answer within ${Math.ceil(this.#options.readyTimeoutMs / 1000)} s; see its log`,
      isFailure: true,
      canStart: true,
      logFile: this.outputFile,
    });
  }

  /** Copies the child's stderr to the output file and a tail, and turns its exit into a view. */
  #watch(child: ChildProcessLike): OwnedChild {
    const stderr = new LineTail(50);
    const file = createWriteStream(this.outputFile, { flags: 'a', mode: 0o600 });
    file.on('error', (error) => this.#options.log.warn(`cannot write ${this.outputFile}: ${error.message}`));
    file.write(`--- ${new Date().toISOString()} started by the desktop app\n`);
    child.stderr?.on('data', (chunk: Buffer | string) => {
      stderr.push(chunk.toString());
      file.write(chunk);
    });
    const owned: OwnedChild = {
      child,
      stderr,
      isRunning: false,
      hasExited: false,
      exited: new Promise((resolve) => {
        child.once('exit', (code) => {
          owned.hasExited = true;
          file.end();
          resolve(code);
        });
      }),
    };
    void owned.exited.then((exitCode) => {
      const wasRunning = owned.isRunning;
      owned.isRunning = false;
      if (this.#owned !== owned) return;
      const reason = describeSupervisorExit({ exitCode, stderrLines: stderr.lines(), wasRunning });
      this.#options.log.warn(reason);
      if (this.#isStopping) {
        this.#set({ phase: 'down', reason: 'stopped', isFailure: false, canStart: false });
        return;
      }
      this.#set({
        phase: 'down',
        reason,
        // `mcp-supervisor stop` from a terminal ends it with 0: stopped, not failed.
        isFailure: exitCode !== 0,
        canStart: true,
        logFile: this.outputFile,
      });
    });
    return owned;
  }

  #running(client: ControlClient, pid: number, host: string, port: number): SupervisorView {
    this.#client = client;
    const origin = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
    return this.#set({ phase: 'running', isOwned: this.#owned?.child.pid === pid, origin, pid });
  }

  #set(view: SupervisorView): SupervisorView {
    this.#view = view;
    for (const listener of this.#listeners) {
      try {
        listener(view);
      } catch (error) {
        this.#options.log.warn(`supervisor view listener failed: ${errorMessage(error)}`);
      }
    }
    return view;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

/**
 * The app's supervisor, forked with Electron's `utilityProcess`, and the quit that waits for its
 * clean stop: `before-quit` is held until `stop()` settles (it has its own deadline).
 */
export function setupSupervisorProcess(options: Omit<SupervisorProcessOptions, 'fork'>): SupervisorProcess {
  const supervisor = new SupervisorProcess({
    ...options,
    fork: (modulePath, args, forkOptions) => utilityProcess.fork(modulePath, args, forkOptions),
  });
  let isQuitting = false;
  app.on('before-quit', (event) => {
    if (isQuitting) return;
    event.preventDefault();
    isQuitting = true;
    void supervisor.stop().finally(() => app.quit());
  });
  return supervisor;
}
