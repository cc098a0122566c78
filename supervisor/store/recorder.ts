import { errorMessage } from '../shared/errors.ts';
import { type Logger, silentLogger } from '../shared/logger.ts';
import type { Store } from './db.ts';
import { type LastMinuteStats, LiveWindow } from './live-window.ts';
import { PendingWrites } from './pending-writes.ts';
import type { ServerEventRow } from './queries.ts';
import { RecorderWriter } from './recorder-writer.ts';
import type { Clock, ProcessSample, RequestEvent, SystemSample } from './types.ts';

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

/**
 * Buffers request events, samples and server events in memory and writes them to SQLite in one
 * transaction per flush. `record` is O(1) and never touches the disk: it appends to a bounded ring
 * buffer and adds to the per-(server, tool, minute) rollup ({@link PendingWrites}), so when the
 * buffer overflows only raw events are lost, never rollup counts; and it counts the request in
 * the last minute's window ({@link LiveWindow}). better-sqlite3 is synchronous, so no `record`
 * call can interleave with a flush ({@link RecorderWriter}); a failed flush keeps everything
 * pending for the next one.
 *
 * Lifecycle: `new` (no IO) → `start(signal?)` → `stop()` (final flush).
 */
export class RequestRecorder {
  readonly #writer: RecorderWriter;
  readonly #now: Clock;
  readonly #logger: Logger;
  readonly #flushIntervalMs: number;
  readonly #maxBatchEvents: number;
  readonly #onFlush: ((result: FlushResult) => void) | undefined;
  readonly #pending: PendingWrites;
  readonly #live = new LiveWindow();

  #recordedEvents = 0;
  #persistedEvents = 0;
  #flushes = 0;
  #failedFlushes = 0;
  #lastFlushDurationMs = 0;
  #maxFlushDurationMs = 0;

  #timer: NodeJS.Timeout | undefined;
  #isFlushScheduled = false;
  #isStopped = false;

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
    this.#writer = new RecorderWriter(options.store.db);
    this.#now = options.now ?? Date.now;
    this.#logger = options.logger ?? options.store.logger ?? silentLogger;
    this.#flushIntervalMs = flushIntervalMs;
    this.#maxBatchEvents = maxBatchEvents;
    this.#onFlush = options.onFlush;
    this.#pending = new PendingWrites({ capacity, maxQueuedSamples });
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
    const isError = event.status === 'error';
    const isRefused = event.status === 'refused';
    this.#pending.addRequest(event, isError, isRefused);
    this.#live.add(event, isError, isRefused);

    if (this.#pending.size >= this.#maxBatchEvents && this.#timer && !this.#isFlushScheduled) {
      this.#isFlushScheduled = true;
      setImmediate(() => {
        this.#isFlushScheduled = false;
        if (!this.#isStopped) this.flush();
      });
    }
  }

  recordSystemSample(sample: SystemSample): void {
    if (!this.#isStopped) this.#pending.addSystemSample(sample);
  }

  recordProcessSample(sample: ProcessSample): void {
    if (!this.#isStopped) this.#pending.addProcessSample(sample);
  }

  /** Queues a server lifecycle event row (see `toServerEventRow`) for the next flush. */
  recordServerEvent(event: ServerEventRow): void {
    if (!this.#isStopped) this.#pending.addServerEvent(event);
  }

  /**
   * Requests of `server` in the live window (the last 50–60 s, in 10 s slots), from memory: it
   * includes what is not flushed yet and costs no SQL, so alert rules can call it every sample.
   */
  lastMinuteStats(server: string): LastMinuteStats {
    return this.#live.lastMinute(server, this.#now());
  }

  stats(): RecorderStats {
    return {
      recordedEvents: this.#recordedEvents,
      persistedEvents: this.#persistedEvents,
      droppedEvents: this.#pending.droppedEvents,
      droppedSamples: this.#pending.droppedSamples,
      pendingEvents: this.#pending.size,
      flushes: this.#flushes,
      failedFlushes: this.#failedFlushes,
      lastFlushDurationMs: this.#lastFlushDurationMs,
      maxFlushDurationMs: this.#maxFlushDurationMs,
    };
  }

  get droppedEvents(): number {
    return this.#pending.droppedEvents;
  }

  /**
   * Writes every pending raw event, rollup delta, sample and server event in ONE transaction.
   * Returns null when nothing was pending or the write failed (logged; the data stays pending).
   */
  flush(): FlushResult | null {
    const pending = this.#pending;
    if (pending.isEmpty) return null;
    if (!this.#writer.isOpen) return null;
    const startedAt = performance.now();
    const events = pending.size;
    const rollups = pending.rollupCount;
    const sampleCount = pending.sampleCount;
    try {
      this.#writer.write(pending);
    } catch (error) {
      this.#failedFlushes++;
      this.#logger.error({ err: errorMessage(error), pendingEvents: events }, 'metrics flush failed');
      return null;
    }
    pending.clear();
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
}
