import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { RetentionConfig } from '../config/schema.ts';
import { errorMessage } from '../shared/errors.ts';
import { type Logger, silentLogger } from '../shared/logger.ts';
import type { Store } from './db.ts';
import type { Clock } from './types.ts';

const DAY_MS = 24 * 60 * 60 * 1000;

export interface RetentionOptions {
  store: Store;
  retention: RetentionConfig;
  now?: Clock;
  logger?: Logger;
  /** Period of the job; default one hour. The first run happens at `start`. */
  intervalMs?: number;
  /** Rows deleted per statement; the job yields to the event loop between statements. Default 5000. */
  batchRows?: number;
}

/** Rows deleted per table by one run. */
export type RetentionResult = Record<string, number>;

/**
 * Which age limit governs each table: raw requests follow `requestsDays`; the small aggregated
 * tables (rollups, samples, events, resolved alerts) follow `samplesDays`, so charts reach further
 * back than the raw request log. Unresolved alerts are never deleted.
 */
const TABLES: readonly { table: string; column: string; limit: keyof RetentionConfig; extra?: string }[] = [
  { table: 'requests', column: 'ts', limit: 'requestsDays' },
  { table: 'request_rollups', column: 'minute', limit: 'samplesDays' },
  { table: 'system_samples', column: 'ts', limit: 'samplesDays' },
  { table: 'process_samples', column: 'ts', limit: 'samplesDays' },
  { table: 'server_events', column: 'ts', limit: 'samplesDays' },
  { table: 'alerts', column: 'resolved_at', limit: 'samplesDays', extra: 'resolved_at IS NOT NULL AND ' },
];

/**
 * Deletes old rows in small batches so that no statement holds the event loop (or the write lock)
 * for long. Lifecycle: `new` (no IO) → `start(signal?)` (runs now, then every `intervalMs`, timer
 * unref'd) → `stop()`.
 */
export class RetentionJob {
  readonly #store: Store;
  readonly #retention: RetentionConfig;
  readonly #now: Clock;
  readonly #logger: Logger;
  readonly #intervalMs: number;
  readonly #batchRows: number;
  #timer: NodeJS.Timeout | undefined;
  #controller: AbortController | undefined;
  #running: Promise<RetentionResult> | undefined;

  constructor(options: RetentionOptions) {
    const intervalMs = options.intervalMs ?? 60 * 60 * 1000;
    const batchRows = options.batchRows ?? 5_000;
    if (!Number.isInteger(intervalMs) || intervalMs < 1) {
      throw new RangeError(`intervalMs must be a positive integer, got ${intervalMs}`);
    }
    if (!Number.isInteger(batchRows) || batchRows < 1) {
      throw new RangeError(`batchRows must be a positive integer, got ${batchRows}`);
    }
    this.#store = options.store;
    this.#retention = options.retention;
    this.#now = options.now ?? Date.now;
    this.#logger = options.logger ?? options.store.logger ?? silentLogger;
    this.#intervalMs = intervalMs;
    this.#batchRows = batchRows;
  }

  start(signal?: AbortSignal): void {
    if (this.#timer) return;
    this.#controller = new AbortController();
    const tick = () => {
      if (this.#running || !this.#controller) return;
      this.runOnce(this.#controller.signal)
        .catch((error: unknown) => {
          if (!this.#controller?.signal.aborted) {
            this.#logger.error({ err: errorMessage(error) }, 'retention job failed');
          }
        })
        .finally(() => {
          this.#running = undefined;
        });
    };
    this.#timer = setInterval(tick, this.#intervalMs);
    this.#timer.unref();
    signal?.addEventListener('abort', () => void this.stop(), { once: true });
    tick();
  }

  /** Stops the timer, aborts a run in progress between batches and waits for it. */
  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    this.#controller?.abort();
    this.#controller = undefined;
    await this.#running?.catch(() => undefined);
  }

  /** One pass over every table. Rejects with the signal's reason if aborted between batches. */
  runOnce(signal?: AbortSignal): Promise<RetentionResult> {
    const run = this.#run(signal);
    this.#running = run;
    return run;
  }

  async #run(signal?: AbortSignal): Promise<RetentionResult> {
    const now = this.#now();
    const result: RetentionResult = {};
    for (const { table, column, limit, extra } of TABLES) {
      const cutoff = now - this.#retention[limit] * DAY_MS;
      const statement = this.#store.db.prepare(
        `DELETE FROM ${table} WHERE rowid IN
           (SELECT rowid FROM ${table} WHERE ${extra ?? ''}${column} < ? LIMIT ${this.#batchRows})`,
      );
      let deleted = 0;
      for (;;) {
        signal?.throwIfAborted();
        if (!this.#store.db.open) return result;
        const changes = statement.run(cutoff).changes;
        deleted += changes;
        if (changes < this.#batchRows) break;
        await yieldToEventLoop();
      }
      result[table] = deleted;
    }
    const total = Object.values(result).reduce((sum, n) => sum + n, 0);
    if (total > 0) this.#logger.info({ deleted: result }, 'old metrics deleted');
    return result;
  }
}
