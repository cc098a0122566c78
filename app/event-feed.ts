/**
 * Follows the supervisor's event stream (`GET /api/events`, SSE) for as long as the app runs:
 * reconnects with backoff when it ends or cannot be opened, drops a connection that has gone
 * silent (the supervisor sends a heartbeat comment every 15 s; a laptop that slept leaves a dead
 * socket), and hands each validated event on. Events that do not match the schema are logged and
 * skipped, never thrown into the stream.
 */
import { readEventStream } from '../supervisor/client/control-client.ts';
import { errorMessage } from '../supervisor/shared/errors.ts';
import { type AppLog, silentLog } from './app-log.ts';
import type { SupervisorProcess } from './supervisor-process.ts';
import { type AlertEvent, alertEventSchema, type ServerEvent, serverEventSchema } from './supervisor-wire.ts';

export interface EventFeedOptions {
  /** Opens the stream (an authenticated `GET /api/events`); rejects while no supervisor answers. */
  open(signal: AbortSignal): Promise<Response>;
  onAlert(event: AlertEvent): void;
  onServer(event: ServerEvent): void;
  /** Called after each (re)connection: what happened while disconnected is not replayed. */
  onConnected?(): void;
  log?: AppLog;
  /** First retry delay, doubled up to `maxBackoffMs`. Defaults 500 ms and 15 s. */
  minBackoffMs?: number;
  maxBackoffMs?: number;
  /** A connection with no byte for this long is dropped. Default 45 s (three heartbeats). */
  idleTimeoutMs?: number;
}

export class EventFeed {
  readonly #options: Required<Omit<EventFeedOptions, 'onConnected'>> & Pick<EventFeedOptions, 'onConnected'>;
  readonly #abort = new AbortController();
  #wake: (() => void) | undefined;
  #isStarted = false;

  constructor(options: EventFeedOptions) {
    this.#options = {
      log: silentLog,
      minBackoffMs: 500,
      maxBackoffMs: 15_000,
      idleTimeoutMs: 45_000,
      ...options,
    };
    for (const name of ['minBackoffMs', 'maxBackoffMs', 'idleTimeoutMs'] as const) {
      const value = this.#options[name];
      if (!Number.isFinite(value) || value <= 0)
        throw new RangeError(`${name} must be positive, got ${value}`);
    }
  }

  /** Starts following; returns at once. */
  start(): void {
    if (this.#isStarted) return;
    this.#isStarted = true;
    void this.#run();
  }

  /** Retries now instead of at the end of the backoff (the supervisor just came up). */
  reconnectNow(): void {
    this.#wake?.();
  }

  dispose(): void {
    this.#abort.abort();
    this.#wake?.();
  }

  async #run(): Promise<void> {
    const { signal } = this.#abort;
    let backoffMs = this.#options.minBackoffMs;
    // Logged once per outage, not at every retry of a supervisor that stays down for hours.
    let isOutageLogged = false;
    while (!signal.aborted) {
      const connection = new AbortController();
      const stop = () => connection.abort();
      signal.addEventListener('abort', stop, { once: true });
      try {
        const response = await this.#options.open(connection.signal);
        if (!response.ok) throw new Error(`the event stream answered ${response.status}`);
        backoffMs = this.#options.minBackoffMs;
        isOutageLogged = false;
        this.#options.onConnected?.();
        await readEventStream(this.#watchdog(response, connection), (event, data) =>
          this.#dispatch(event, data),
        );
      } catch (error) {
        if (!signal.aborted && !isOutageLogged) {
          isOutageLogged = true;
          const why = connection.signal.aborted ? 'silent for too long' : errorMessage(error);
          this.#options.log.info(`event stream: ${why}; retrying until it answers`);
        }
      } finally {
        signal.removeEventListener('abort', stop);
        connection.abort();
      }
      if (signal.aborted) return;
      await this.#sleep(backoffMs);
      backoffMs = Math.min(backoffMs * 2, this.#options.maxBackoffMs);
    }
  }

  /** The response's body, passed through a timer that aborts the connection when it goes silent. */
  #watchdog(response: Response, connection: AbortController): Response {
    if (!response.body) return response;
    const idleMs = this.#options.idleTimeoutMs;
    let timer = setTimeout(() => connection.abort(), idleMs);
    const body = response.body.pipeThrough(
      new TransformStream<Uint8Array, Uint8Array>({
        transform(chunk, controller) {
          clearTimeout(timer);
          timer = setTimeout(() => connection.abort(), idleMs);
          controller.enqueue(chunk);
        },
        flush() {
          clearTimeout(timer);
        },
      }),
      { signal: connection.signal },
    );
    connection.signal.addEventListener('abort', () => clearTimeout(timer), { once: true });
    return new Response(body);
  }

  #dispatch(event: string, data: unknown): void {
    const schema = event === 'alert' ? alertEventSchema : event === 'server' ? serverEventSchema : undefined;
    if (!schema) return;
    const parsed = schema.safeParse(data);
    if (!parsed.success) {
      this.#options.log.warn(`skipped a malformed ${event} event: ${parsed.error.issues[0]?.message}`);
      return;
    }
    try {
      if (event === 'alert') this.#options.onAlert(parsed.data as AlertEvent);
      else this.#options.onServer(parsed.data as ServerEvent);
    } catch (error) {
      this.#options.log.warn(`handling a ${event} event failed: ${errorMessage(error)}`);
    }
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      timer.unref();
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.#wake = done;
    });
  }
}

/**
 * Follows the events of whichever supervisor runs: reconnects at once when one comes up, and
 * calls `onConnected` so the status is read again (events missed while disconnected are not
 * replayed; the status says where things are).
 */
export function setupEventFeed(
  options: Omit<EventFeedOptions, 'open'> & { supervisor: Pick<SupervisorProcess, 'client' | 'onChange'> },
): EventFeed {
  const { supervisor, ...rest } = options;
  const feed = new EventFeed({
    ...rest,
    open: async (signal) => {
      const client = supervisor.client;
      if (!client) throw new Error('no supervisor is running');
      return client.fetch('GET', '/api/events', { signal });
    },
  });
  supervisor.onChange((view) => {
    if (view.phase === 'running') feed.reconnectNow();
  });
  feed.start();
  return feed;
}
