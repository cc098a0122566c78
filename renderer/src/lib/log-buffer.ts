import type { LogEntry } from './log-lines.ts';

/**
 * The viewer's lines, bounded: past `capacity` the oldest lines go, a tenth of the capacity at a
 * time, so memory stays flat however long a log is followed and trimming costs O(1) per line.
 * The buffer numbers the lines it takes (`seq`, consecutive, never reused).
 */
export class LogBuffer {
  readonly capacity: number;
  #entries: LogEntry[] = [];
  #nextSeq = 0;
  /** Bumped on every change, so views can tell when to re-render. */
  version = 0;
  /** Bumped by `reset`: filtered views start over. */
  resets = 0;
  dropped = 0;

  constructor(capacity = 100_000) {
    if (!Number.isInteger(capacity) || capacity < 10)
      throw new RangeError(`capacity must be an integer ≥ 10, got ${capacity}`);
    this.capacity = capacity;
  }

  get size(): number {
    return this.#entries.length;
  }

  /** `seq` of the oldest line kept (lines with a smaller seq were trimmed). */
  get firstSeq(): number {
    return this.#entries[0]?.seq ?? 0;
  }

  at(index: number): LogEntry | undefined {
    return this.#entries[index];
  }

  /** The line with this `seq`, if still kept. Seqs are consecutive, so this is O(1). */
  bySeq(seq: number): LogEntry | undefined {
    const entry = this.#entries[seq - this.firstSeq];
    return entry?.seq === seq ? entry : undefined;
  }

  append(entries: readonly LogEntry[]): void {
    if (entries.length === 0) return;
    for (const entry of entries) {
      entry.seq = this.#nextSeq++;
      this.#entries.push(entry);
    }
    if (this.#entries.length > this.capacity) {
      const excess = this.#entries.length - this.capacity;
      const drop = Math.min(this.#entries.length, excess + Math.floor(this.capacity / 10));
      this.#entries.splice(0, drop);
      this.dropped += drop;
    }
    this.version++;
  }

  /** Replaces everything (a fresh tail after a reconnect). */
  reset(entries: readonly LogEntry[]): void {
    this.#entries = [];
    this.dropped = 0;
    this.resets++;
    this.version++;
    this.append(entries);
  }

  entries(): readonly LogEntry[] {
    return this.#entries;
  }
}

/**
 * The lines of a buffer that pass a filter, as a list of seqs; kept up to date incrementally when
 * lines are appended, rebuilt when the filter changes.
 */
export class FilteredLines {
  readonly #buffer: LogBuffer;
  #predicate: (entry: LogEntry) => boolean;
  #seqs: number[] = [];
  #head = 0;
  /** The last seq considered, so appends test only the new lines. */
  #lastSeq = -1;
  #resets = -1;

  constructor(buffer: LogBuffer, predicate: (entry: LogEntry) => boolean = () => true) {
    this.#buffer = buffer;
    this.#predicate = predicate;
    this.rebuild();
  }

  setFilter(predicate: (entry: LogEntry) => boolean): void {
    this.#predicate = predicate;
    this.rebuild();
  }

  rebuild(): void {
    this.#seqs = [];
    this.#head = 0;
    this.#lastSeq = -1;
    this.#resets = this.#buffer.resets;
    this.sync();
  }

  /** Takes in lines appended since the last call and forgets trimmed ones. */
  sync(): void {
    if (this.#resets !== this.#buffer.resets) {
      this.rebuild();
      return;
    }
    const entries = this.#buffer.entries();
    const first = this.#buffer.firstSeq;
    // Trimmed lines fall off the front.
    while (this.#head < this.#seqs.length && (this.#seqs[this.#head] ?? 0) < first) this.#head++;
    if (this.#head > 1024 && this.#head * 2 > this.#seqs.length) {
      this.#seqs = this.#seqs.slice(this.#head);
      this.#head = 0;
    }
    for (let index = Math.max(0, this.#lastSeq + 1 - first); index < entries.length; index++) {
      const entry = entries[index]!;
      if (this.#predicate(entry)) this.#seqs.push(entry.seq);
      this.#lastSeq = entry.seq;
    }
  }

  get size(): number {
    return this.#seqs.length - this.#head;
  }

  /** The i-th line that passes the filter. */
  at(index: number): LogEntry | undefined {
    const seq = this.#seqs[this.#head + index];
    return seq === undefined ? undefined : this.#buffer.bySeq(seq);
  }

  /** Position of the line with this seq, or of the first line after it when it is filtered out. */
  positionOfSeq(seq: number): number {
    let low = this.#head;
    let high = this.#seqs.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if ((this.#seqs[mid] ?? 0) < seq) low = mid + 1;
      else high = mid;
    }
    return low - this.#head;
  }

  /** Position of the first line at or after `ts` (lines are in time order); size when none. */
  indexAtTime(ts: number): number {
    let low = 0;
    let high = this.size;
    while (low < high) {
      const mid = (low + high) >>> 1;
      const at = this.at(mid)?.ts ?? Number.NEGATIVE_INFINITY;
      if (at < ts) low = mid + 1;
      else high = mid;
    }
    return low;
  }

  /** Every line that passes, for a download. */
  toArray(): LogEntry[] {
    const out: LogEntry[] = [];
    for (let i = 0; i < this.size; i++) {
      const entry = this.at(i);
      if (entry) out.push(entry);
    }
    return out;
  }
}
