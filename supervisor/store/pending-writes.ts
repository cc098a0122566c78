import { addToHistogram, createHistogram, type Histogram } from './histogram.ts';
import type { ServerEventRow } from './queries.ts';
import type { ProcessSample, RequestEvent, SystemSample } from './types.ts';

const MINUTE_MS = 60_000;

/** The counts one flush adds to a (server, tool, minute) rollup row. */
export interface RollupDelta {
  server: string;
  tool: string;
  minute: number;
  count: number;
  errors: number;
  refused: number;
  latencySumMs: number;
  histogram: Histogram;
}

/**
 * What waits for the next flush: raw request events in a bounded ring buffer (the oldest are
 * dropped beyond `capacity`, and counted), the rollup deltas they add to (never dropped, so
 * rollup counts survive an overflow), and bounded queues of samples and server events.
 * `addRequest` is O(1); `clear` empties everything after a committed flush.
 */
export class PendingWrites {
  readonly #capacity: number;
  readonly #maxQueuedSamples: number;
  readonly #ring: (RequestEvent | undefined)[];
  #head = 0;
  #size = 0;
  #rollups = new Map<string, RollupDelta>();
  /** The rollup the last request went to (in `#rollups` until the next clear). */
  #lastRollup: RollupDelta | undefined;
  #systemSamples: SystemSample[] = [];
  #processSamples: ProcessSample[] = [];
  #serverEvents: ServerEventRow[] = [];
  #droppedEvents = 0;
  #droppedSamples = 0;

  constructor(options: { capacity: number; maxQueuedSamples: number }) {
    this.#capacity = options.capacity;
    this.#maxQueuedSamples = options.maxQueuedSamples;
    this.#ring = new Array(options.capacity);
  }

  /** Raw request events pending. */
  get size(): number {
    return this.#size;
  }
  get rollupCount(): number {
    return this.#rollups.size;
  }
  get sampleCount(): number {
    return this.#systemSamples.length + this.#processSamples.length + this.#serverEvents.length;
  }
  get droppedEvents(): number {
    return this.#droppedEvents;
  }
  get droppedSamples(): number {
    return this.#droppedSamples;
  }
  get isEmpty(): boolean {
    return this.#size === 0 && this.#rollups.size === 0 && this.sampleCount === 0;
  }

  /** Appends a request event and adds it to its minute's rollup. */
  addRequest(event: RequestEvent, isError: boolean, isRefused: boolean): void {
    if (this.#size === this.#capacity) {
      this.#ring[this.#head] = undefined;
      this.#head = (this.#head + 1) % this.#capacity;
      this.#size--;
      this.#droppedEvents++;
    }
    this.#ring[(this.#head + this.#size) % this.#capacity] = event;
    this.#size++;

    const tool = event.tool ?? '';
    const minute = event.ts - (event.ts % MINUTE_MS);
    // Consecutive requests mostly share their rollup: the last one is kept, so the key string is
    // built and hashed only when it changes.
    let rollup = this.#lastRollup;
    if (
      rollup === undefined ||
      rollup.minute !== minute ||
      rollup.tool !== tool ||
      rollup.server !== event.server
    ) {
      rollup = this.#rollupOf(event.server, tool, minute);
      this.#lastRollup = rollup;
    }
    rollup.count++;
    if (isError) rollup.errors++;
    if (isRefused) rollup.refused++;
    else {
      rollup.latencySumMs += event.latencyMs;
      addToHistogram(rollup.histogram, event.latencyMs);
    }
  }

  #rollupOf(server: string, tool: string, minute: number): RollupDelta {
    const key = `${server}\u0000${tool}\u0000${minute}`;
    let rollup = this.#rollups.get(key);
    if (!rollup) {
      rollup = {
        server,
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
    return rollup;
  }

  addSystemSample(sample: SystemSample): void {
    this.#enqueue(this.#systemSamples, sample);
  }
  addProcessSample(sample: ProcessSample): void {
    this.#enqueue(this.#processSamples, sample);
  }
  addServerEvent(event: ServerEventRow): void {
    this.#enqueue(this.#serverEvents, event);
  }

  /** The `i`-th pending request event, oldest first (0 ≤ i < size). */
  requestAt(i: number): RequestEvent {
    return this.#ring[(this.#head + i) % this.#capacity] as RequestEvent;
  }
  rollups(): IterableIterator<RollupDelta> {
    return this.#rollups.values();
  }
  systemSamples(): readonly SystemSample[] {
    return this.#systemSamples;
  }
  processSamples(): readonly ProcessSample[] {
    return this.#processSamples;
  }
  serverEvents(): readonly ServerEventRow[] {
    return this.#serverEvents;
  }

  /** Forgets everything pending (after it was committed). */
  clear(): void {
    this.#ring.fill(undefined);
    this.#head = 0;
    this.#size = 0;
    this.#rollups = new Map();
    this.#lastRollup = undefined;
    this.#systemSamples = [];
    this.#processSamples = [];
    this.#serverEvents = [];
  }

  #enqueue<T>(queue: T[], item: T): void {
    if (queue.length >= this.#maxQueuedSamples) {
      queue.shift();
      this.#droppedSamples++;
    }
    queue.push(item);
  }
}
