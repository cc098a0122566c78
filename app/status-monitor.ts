/**
 * Keeps the tray's snapshot current: the supervisor's view plus its last status rows, read on
 * every server event (coalesced) and every `intervalMs` as a fallback (CPU/uptime drift, a missed
 * event). A failing status request on a supervisor that should run asks the supervisor process to
 * recheck, so a supervisor stopped from the CLI shows as down with its reason.
 */
import { errorMessage } from '../supervisor/shared/errors.ts';
import { type AppLog, silentLog } from './app-log.ts';
import type { SupervisorProcess } from './supervisor-process.ts';
import { type ServerRow, statusBodySchema } from './supervisor-wire.ts';
import type { TraySnapshot } from './tray-state.ts';

export interface StatusMonitorOptions {
  supervisor: Pick<SupervisorProcess, 'view' | 'client' | 'onChange' | 'recheck'>;
  /** Fallback refresh period. Default 10 s. */
  intervalMs?: number;
  /** Timeout of one status request. Default 5 s. */
  requestTimeoutMs?: number;
  log?: AppLog;
}

export class StatusMonitor {
  readonly #options: Required<StatusMonitorOptions>;
  readonly #listeners = new Set<(snapshot: TraySnapshot) => void>();
  #snapshot: TraySnapshot;
  #timer: NodeJS.Timeout | undefined;
  #inFlight: Promise<void> | undefined;
  #isQueued = false;
  #unsubscribe: (() => void) | undefined;
  #isDisposed = false;

  constructor(options: StatusMonitorOptions) {
    this.#options = { intervalMs: 10_000, requestTimeoutMs: 5_000, log: silentLog, ...options };
    this.#snapshot = { supervisor: options.supervisor.view, servers: undefined };
  }

  get snapshot(): TraySnapshot {
    return this.#snapshot;
  }

  /** The last status row of one server. */
  server(name: string): ServerRow | undefined {
    return this.#snapshot.servers?.find((row) => row.name === name);
  }

  onSnapshot(listener: (snapshot: TraySnapshot) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  start(): void {
    this.#unsubscribe = this.#options.supervisor.onChange((view) => {
      const servers = view.phase === 'running' ? this.#snapshot.servers : undefined;
      this.#publish({ ...this.#snapshot, supervisor: view, servers, statusError: undefined });
      if (view.phase === 'running') void this.refresh();
    });
    this.#timer = setInterval(() => void this.refresh(), this.#options.intervalMs);
    this.#timer.unref();
    void this.refresh();
  }

  /** Reads the status now; a call while one runs queues exactly one more. */
  refresh(): Promise<void> {
    if (this.#inFlight) {
      this.#isQueued = true;
      return this.#inFlight;
    }
    this.#inFlight = this.#read().finally(() => {
      this.#inFlight = undefined;
      if (this.#isQueued && !this.#isDisposed) {
        this.#isQueued = false;
        void this.refresh();
      }
    });
    return this.#inFlight;
  }

  dispose(): void {
    this.#isDisposed = true;
    clearInterval(this.#timer);
    this.#unsubscribe?.();
    this.#listeners.clear();
  }

  async #read(): Promise<void> {
    const { supervisor } = this.#options;
    const client = supervisor.client;
    if (!client) {
      this.#publish({ supervisor: supervisor.view, servers: undefined });
      return;
    }
    try {
      const parsed = statusBodySchema.safeParse(
        await client.request('GET', '/api/status', {
          signal: AbortSignal.timeout(this.#options.requestTimeoutMs),
        }),
      );
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        throw new Error(
          `the supervisor's status has an unexpected shape at ${issue?.path.join('.') || 'the top'} (${issue?.message}); update the app or the supervisor`,
        );
      }
      const body = parsed.data;
      this.#publish({
        supervisor: supervisor.view,
        servers: body.servers,
        configFile: body.supervisor.configFile,
      });
    } catch (error) {
      const view = await supervisor.recheck();
      if (view.phase === 'running') {
        this.#options.log.info(`status request failed: ${errorMessage(error)}`);
        this.#publish({ ...this.#snapshot, supervisor: view, statusError: errorMessage(error) });
      } else {
        this.#publish({ supervisor: view, servers: undefined });
      }
    }
  }

  #publish(snapshot: TraySnapshot): void {
    if (this.#isDisposed) return;
    this.#snapshot = snapshot;
    for (const listener of this.#listeners) {
      try {
        listener(snapshot);
      } catch (error) {
        this.#options.log.warn(`status listener failed: ${errorMessage(error)}`);
      }
    }
  }
}

/** The status of the app's supervisor, kept current from now on. */
export function setupStatusMonitor(options: StatusMonitorOptions): StatusMonitor {
  const monitor = new StatusMonitor(options);
  monitor.start();
  return monitor;
}
