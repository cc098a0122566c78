import type Database from 'better-sqlite3';
import { errorMessage } from '../shared/errors.ts';
import { type Logger, silentLogger } from '../shared/logger.ts';
import type { Store } from './db.ts';
import {
  addToHistogram,
  createHistogram,
  decodeHistogram,
  encodeHistogram,
  type Histogram,
  mergeHistogram,
  percentile,
} from './histogram.ts';
import type { ServerEventRow } from './queries.ts';
import type { Clock, ProcessSample, RequestEvent, SystemSample } from './types.ts';

const MINUTE_MS = 60_000;
/** The live window behind `lastMinuteStats`: six 10-second slots, i.e. the last 50–60 s. */
const SLOT_MS = 10_000;
const SLOT_COUNT = 6;

export interface RequestRecorderOptions {
  store: Store;
  now?: Clock;
  logger?: Logger;
  /** Raw events kept in memory between flushes; the oldest are dropped beyond it. Default 50 000. */
  capacity?: number;
  /** Period of the flusher, 1..1000 ms. Default 1000. */
  flushIntervalMs?: number;
  /**
   * Flush early (on the next turn of the event loop, never inside `record`) once this many raw
   * events are pending. Smaller transactions keep each pause of the event loop short under load.
   * Default 2 000.
   */
  maxBatchEvents?: number;
  /** Samples and server events kept between flushes (each queue); oldest dropped beyond. Default 10 000. */
  maxQueuedSamples?: number;
  /** Called after every successful flush; the SIGKILL test and the bench use it. */
  onFlush?: (result: FlushResult) => void;
}

export interface FlushResult {
  events: number;
  rollups: number;
  samples: number;
  durationMs: number;
  /** Raw events committed since the recorder was created, this flush included. */
  persistedEvents: number;
}

export interface RecorderStats {
  recordedEvents: number;
  persistedEvents: number;
  /** Raw events dropped because the buffer was full; their rollup counts were kept. */
  droppedEvents: number;
  droppedSamples: number;
  pendingEvents: number;
  flushes: number;
  failedFlushes: number;
  lastFlushDurationMs: number;
  maxFlushDurationMs: number;
}

export interface LastMinuteStats {
  count: number;
  errors: number;
  refused: number;
  /** Upper bound of the p95 bucket (see histogram.ts), null without requests that reached the server. */
  p95Ms: number | null;
}

interface RollupDelta {
  server: string;
  tool: string;
  minute: number;
  count: number;
  errors: number;
  refused: number;
  latencySumMs: number;
  histogram: Histogram;
}

interface LiveSlot {
  slot: number;
  count: number;
  errors: number;
  refused: number;
  histogram: Histogram;
}

interface RollupRow {
  count: number;
  errors: number;
  refused: number;
  latency_sum_ms: number;
  histogram: string;
}

/**
 * Buffers request events, samples and server events in memory and writes them to SQLite in one
 * transaction per flush. `record` is O(1) and never touches the disk: it appends to a bounded ring
 * buffer and adds to the per-(server, tool, minute) rollup, so when the buffer overflows only raw
 * events are lost, never rollup counts. better-sqlite3 is synchronous, so no `record` call can
 * interleave with a flush; a failed flush keeps everything pending for the next one.
 *
 * Lifecycle: `new` (no IO) → `start(signal?)` → `stop()` (final flush).
 */
export class RequestRecorder {
  readonly #db: Database;
  readonly #now: Clock;
  readonly #logger: Logger;
  readonly #capacity: number;
  readonly #flushIntervalMs: number;
  readonly #maxBatchEvents: number;
  readonly #maxQueuedSamples: number;
  readonly #onFlush: ((result: FlushResult) => void) | undefined;

  readonly #ring: (RequestEvent | undefined)[];
  #head = 0;
  #size = 0;
  #rollups = new Map<string, RollupDelta>();
  readonly #live = new Map<string, LiveSlot[]>();
  #systemSamples: SystemSample[] = [];
  #processSamples: ProcessSample[] = [];
  #serverEvents: ServerEventRow[] = [];

  #recordedEvents = 0;
  #persistedEvents = 0;
  #droppedEvents = 0;
  #droppedSamples = 0;
  #flushes = 0;
  #failedFlushes = 0;
  #lastFlushDurationMs = 0;
  #maxFlushDurationMs = 0;

  #timer: NodeJS.Timeout | undefined;
  #isFlushScheduled = false;
  #isStopped = false;
  #statements: ReturnType<typeof prepareStatements> | undefined;

  constructor(options: RequestRecorderOptions) {
    const capacity = options.capacity ?? 50_000;
    const flushIntervalMs = options.flushIntervalMs ?? 1_000;
    const maxBatchEvents = options.maxBatchEvents ?? 2_000;
    const maxQueuedSamples = options.maxQueuedSamples ?? 10_000;
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new RangeError(`capacity must be a positive integer, got ${capacity}`);
    }
    if (!Number.isInteger(flushIntervalMs) || flushIntervalMs < 1 || flushIntervalMs > 1_000) {
      throw new RangeError(`flushIntervalMs must be an integer in 1..1000, got ${flushIntervalMs}`);
    }
    if (!Number.isInteger(maxBatchEvents) || maxBatchEvents < 1) {
      throw new RangeError(`maxBatchEvents must be a positive integer, got ${maxBatchEvents}`);
    }
    if (!Number.isInteger(maxQueuedSamples) || maxQueuedSamples < 1) {
      throw new RangeError(`maxQueuedSamples must be a positive integer, got ${maxQueuedSamples}`);
    }
    this.#db = options.store.db;
    this.#now = options.now ?? Date.now;
    this.#logger = options.logger ?? options.store.logger ?? silentLogger;
    this.#capacity = capacity;
    this.#flushIntervalMs = flushIntervalMs;
    this.#maxBatchEvents = maxBatchEvents;
    this.#maxQueuedSamples = maxQueuedSamples;
    this.#onFlush = options.onFlush;
    this.#ring = new Array(capacity);
  }

  /** Starts the flusher (its timer is unref'd). Aborting `signal` stops the recorder. */
  start(signal?: AbortSignal): void {
    if (this.#isStopped) throw new Error('the recorder was stopped; create a new one');
    if (this.#timer) return;
    this.#timer = setInterval(() => this.flush(), this.#flushIntervalMs);
    this.#timer.unref();
    signal?.addEventListener('abort', () => this.stop(), { once: true });
  }

  /** Stops the flusher and writes what is pending. Later records are ignored. Idempotent. */
  stop(): void {
    if (this.#isStopped) return;
    this.#isStopped = true;
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    this.flush();
  }

  /** Hot path: O(1), no IO. */
  record(event: RequestEvent): void {
    if (this.#isStopped) return;
    this.#recordedEvents++;
    if (this.#size === this.#capacity) {
      this.#ring[this.#head] = undefined;
      this.#head = (this.#head + 1) % this.#capacity;
      this.#size--;
      this.#droppedEvents++;
    }
    this.#ring[(this.#head + this.#size) % this.#capacity] = event;
    this.#size++;

    const isError = event.status === 'error';
    const isRefused = event.status === 'refused';
    const tool = event.tool ?? '';
    const minute = event.ts - (event.ts % MINUTE_MS);
    const key = `${event.server}\u0000${tool}\u0000${minute}`;
    let rollup = this.#rollups.get(key);
    if (!rollup) {
      rollup = {
        server: event.server,
        tool,
        minute,
        count: 0,
        errors: 0,
        refused: 0,
        latencySumMs: 0,
        histogram: createHistogram(),
      };
      this.#rollups.set(key, rollup);
    }
    rollup.count++;
    if (isError) rollup.errors++;
    if (isRefused) rollup.refused++;
    else {
      rollup.latencySumMs += event.latencyMs;
      addToHistogram(rollup.histogram, event.latencyMs);
    }
    this.#addToLive(event, isError, isRefused);

    if (this.#size >= this.#maxBatchEvents && this.#timer && !this.#isFlushScheduled) {
      this.#isFlushScheduled = true;
      setImmediate(() => {
        this.#isFlushScheduled = false;
        if (!this.#isStopped) this.flush();
      });
    }
  }

  recordSystemSample(sample: SystemSample): void {
    this.#enqueue(this.#systemSamples, sample);
  }

  recordProcessSample(sample: ProcessSample): void {
    this.#enqueue(this.#processSamples, sample);
  }

  /** Queues a server lifecycle event row (see `toServerEventRow`) for the next flush. */
  recordServerEvent(event: ServerEventRow): void {
    this.#enqueue(this.#serverEvents, event);
  }

  /**
   * Requests of `server` in the live window (the last 50–60 s, in 10 s slots), from memory: it
   * includes what is not flushed yet and costs no SQL, so alert rules can call it every sample.
   */
  lastMinuteStats(server: string): LastMinuteStats {
    const stats: LastMinuteStats = { count: 0, errors: 0, refused: 0, p95Ms: null };
    const slots = this.#live.get(server);
    if (!slots) return stats;
    const currentSlot = Math.floor(this.#now() / SLOT_MS);
    const histogram = createHistogram();
    for (const entry of slots) {
      // The slots array is indexed by slot number modulo SLOT_COUNT: unused indexes are holes.
      if (!entry || entry.slot <= currentSlot - SLOT_COUNT || entry.slot > currentSlot) continue;
      stats.count += entry.count;
      stats.errors += entry.errors;
      stats.refused += entry.refused;
      mergeHistogram(histogram, entry.histogram);
    }
    stats.p95Ms = percentile(histogram, 95);
    return stats;
  }

  stats(): RecorderStats {
    return {
      recordedEvents: this.#recordedEvents,
      persistedEvents: this.#persistedEvents,
      droppedEvents: this.#droppedEvents,
      droppedSamples: this.#droppedSamples,
      pendingEvents: this.#size,
      flushes: this.#flushes,
      failedFlushes: this.#failedFlushes,
      lastFlushDurationMs: this.#lastFlushDurationMs,
      maxFlushDurationMs: this.#maxFlushDurationMs,
    };
  }

  get droppedEvents(): number {
    return this.#droppedEvents;
  }

  /**
   * Writes every pending raw event, rollup delta, sample and server event in ONE transaction.
   * Returns null when nothing was pending or the write failed (logged; the data stays pending).
   */
  flush(): FlushResult | null {
    const sampleCount = this.#systemSamples.length + this.#processSamples.length + this.#serverEvents.length;
    if (this.#size === 0 && this.#rollups.size === 0 && sampleCount === 0) return null;
    if (!this.#db.open) return null;
    const startedAt = performance.now();
    const events = this.#size;
    const rollups = this.#rollups.size;
    try {
      this.#statements ??= prepareStatements(this.#db);
      this.#writeAll(this.#statements);
    } catch (error) {
      this.#failedFlushes++;
      this.#logger.error({ err: errorMessage(error), pendingEvents: events }, 'metrics flush failed');
      return null;
    }
    this.#ring.fill(undefined);
    this.#head = 0;
    this.#size = 0;
    this.#rollups = new Map();
    this.#systemSamples = [];
    this.#processSamples = [];
    this.#serverEvents = [];
    this.#persistedEvents += events;
    this.#flushes++;
    const durationMs = performance.now() - startedAt;
    this.#lastFlushDurationMs = durationMs;
    if (durationMs > this.#maxFlushDurationMs) this.#maxFlushDurationMs = durationMs;
    const result: FlushResult = {
      events,
      rollups,
      samples: sampleCount,
      durationMs,
      persistedEvents: this.#persistedEvents,
    };
    this.#onFlush?.(result);
    return result;
  }

  #writeAll(statements: ReturnType<typeof prepareStatements>): void {
    this.#db
      .transaction(() => {
        // Rows go in INSERT_BATCH at a time: one statement call per batch costs a fraction of
        // one per row (better-sqlite3's per-call overhead dominated the flush).
        const appendRow = (values: unknown[], i: number) => {
          const event = this.#ring[(this.#head + i) % this.#capacity]!;
          values.push(
            event.ts,
            event.server,
            event.method,
            event.tool ?? null,
            event.client ?? null,
            event.status,
            event.latencyMs,
            event.errorCode ?? null,
            event.reason ?? null,
          );
          return values;
        };
        let i = 0;
        for (; i + INSERT_BATCH <= this.#size; i += INSERT_BATCH) {
          const values: unknown[] = [];
          for (let j = i; j < i + INSERT_BATCH; j++) appendRow(values, j);
          statements.insertRequests.run(values);
        }
        for (; i < this.#size; i++) statements.insertRequest.run(appendRow([], i));
        for (const delta of this.#rollups.values()) {
          const existing = statements.selectRollup.get(delta.server, delta.tool, delta.minute) as
            | RollupRow
            | undefined;
          const histogram = createHistogram();
          mergeHistogram(histogram, delta.histogram);
          let { count, errors, refused, latencySumMs } = delta;
          if (existing) {
            mergeHistogram(histogram, decodeHistogram(existing.histogram));
            count += existing.count;
            errors += existing.errors;
            refused += existing.refused;
            latencySumMs += existing.latency_sum_ms;
          }
          statements.upsertRollup.run(
            delta.server,
            delta.tool,
            delta.minute,
            count,
            errors,
            refused,
            latencySumMs,
            encodeHistogram(histogram),
          );
        }
        for (const s of this.#systemSamples) {
          statements.insertSystem.run(
            s.ts,
            s.cpuPercent,
            s.memPercent,
            s.load1,
            s.load5,
            s.load15,
            s.loadPerCore,
          );
        }
        for (const s of this.#processSamples) {
          statements.insertProcess.run(
            s.ts,
            s.server,
            s.pid,
            s.cpuPercent,
            s.rssBytes === null ? null : Math.round(s.rssBytes),
            s.restarts,
            s.uptimeMs === null ? null : Math.round(s.uptimeMs),
          );
        }
        for (const e of this.#serverEvents) {
          statements.insertEvent.run(
            e.ts,
            e.server,
            e.kind,
            e.detail ? JSON.stringify(e.detail) : null,
            e.exitCode ?? null,
          );
        }
      })
      .immediate();
  }

  #enqueue<T>(queue: T[], item: T): void {
    if (this.#isStopped) return;
    if (queue.length >= this.#maxQueuedSamples) {
      queue.shift();
      this.#droppedSamples++;
    }
    queue.push(item);
  }

  #addToLive(event: RequestEvent, isError: boolean, isRefused: boolean): void {
    let slots = this.#live.get(event.server);
    if (!slots) {
      slots = [];
      this.#live.set(event.server, slots);
    }
    const slot = Math.floor(event.ts / SLOT_MS);
    const index = slot % SLOT_COUNT;
    let entry = slots[index];
    if (!entry) {
      entry = { slot, count: 0, errors: 0, refused: 0, histogram: createHistogram() };
      slots[index] = entry;
    } else if (entry.slot !== slot) {
      // A late event for a slot already reused is only in the rollups, not in the live window.
      if (slot < entry.slot) return;
      entry.slot = slot;
      entry.count = 0;
      entry.errors = 0;
      entry.refused = 0;
      entry.histogram.fill(0);
    }
    entry.count++;
    if (isError) entry.errors++;
    if (isRefused) entry.refused++;
    else addToHistogram(entry.histogram, event.latencyMs);
  }
}

/** Request rows per multi-row INSERT (9 parameters each; SQLite allows 32 766). */
const INSERT_BATCH = 64;

function prepareStatements(db: Database) {
  const columns = '(ts, server, method, tool, client, status, latency_ms, error_code, reason)';
  const placeholders = '(?, ?, ?, ?, ?, ?, ?, ?, ?)';
  return {
    insertRequest: db.prepare(`INSERT INTO requests ${columns} VALUES ${placeholders}`),
    insertRequests: db.prepare(
      `INSERT INTO requests ${columns} VALUES ${Array(INSERT_BATCH).fill(placeholders).join(', ')}`,
    ),
    selectRollup: db.prepare(
      `SELECT count, errors, refused, latency_sum_ms, histogram FROM request_rollups
       WHERE server = ? AND tool = ? AND minute = ?`,
    ),
    upsertRollup: db.prepare(
      `INSERT INTO request_rollups (server, tool, minute, count, errors, refused, latency_sum_ms, histogram)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (server, tool, minute) DO UPDATE SET
         count = excluded.count, errors = excluded.errors, refused = excluded.refused,
         latency_sum_ms = excluded.latency_sum_ms, histogram = excluded.histogram`,
    ),
    insertSystem: db.prepare(
      `INSERT INTO system_samples (ts, cpu_percent, mem_percent, load1, load5, load15, load_per_core)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
    ),
    insertProcess: db.prepare(
      `INSERT INTO process_samples (ts, server, pid, cpu_percent, rss_bytes, restarts, uptime_ms)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
    ),
    insertEvent: db.prepare(
      `INSERT INTO server_events (ts, server, kind, detail, exit_code) VALUES (?, ?, ?, ?, ?)`,
    ),
  };
}
