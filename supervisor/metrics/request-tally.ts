import type { RequestEvent } from '../store/types.ts';

/** Request latency buckets in seconds: 5 ms to 60 s, covering the default 30 s request timeout. */
export const DURATION_BUCKETS_SECONDS: readonly number[] = Object.freeze([
  0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60,
]);

/**
 * What the gateway's requests add to the Prometheus metrics, tallied on the hot path in plain
 * maps and read by prom-client only when `/metrics` is scraped (`prometheus.ts`). Nothing here
 * loads prom-client: the supervisor loads it at the first scrape, not at the first request
 * (~4 MiB of RSS a supervisor nobody scrapes does not need). Counting here is also cheaper than
 * prom-client's calls: its `inc()` and `observe()` build and hash a label string and check every
 * label on each call, ~1 µs a request in the gateway bench's profile.
 */
export class RequestTallies {
  /** By server, JSON-RPC method and outcome. */
  readonly requests = new Tally();
  /** By server and reason (the error code, or the outcome when there is none); third key ''. */
  readonly errors = new Tally();
  /** Latencies of the requests the server answered (ok or its own error), by server. */
  readonly durations = new DurationTally(DURATION_BUCKETS_SECONDS);

  /** Hot path: two map lookups and an increment, plus the latency when the server answered. */
  observe(event: RequestEvent): void {
    this.requests.add(event.server, event.method, event.status);
    if (event.status === 'ok') {
      this.durations.observe(event.server, event.latencyMs / 1000);
      return;
    }
    this.errors.add(event.server, event.errorCode ?? event.status, '');
    if (event.status === 'error') this.durations.observe(event.server, event.latencyMs / 1000);
  }
}

/**
 * Counts by three string keys (the last '' where there are two), in nested maps (no key string
 * built per count), drained into prom-client's counters at scrape time. Entries stay (at zero)
 * once seen: the key sets are small (servers × methods × outcomes) and are reused on the next
 * count.
 */
export class Tally {
  readonly #counts = new Map<string, Map<string, Map<string, { n: number }>>>();

  add(a: string, b: string, c: string): void {
    let byB = this.#counts.get(a);
    if (byB === undefined) {
      byB = new Map();
      this.#counts.set(a, byB);
    }
    let byC = byB.get(b);
    if (byC === undefined) {
      byC = new Map();
      byB.set(b, byC);
    }
    const entry = byC.get(c);
    if (entry === undefined) byC.set(c, { n: 1 });
    else entry.n++;
  }

  /** Hands every count since the last drain to `take`, and zeroes it. */
  drain(take: (a: string, b: string, c: string, n: number) => void): void {
    for (const [a, byB] of this.#counts) {
      for (const [b, byC] of byB) {
        for (const [c, entry] of byC) {
          if (entry.n === 0) continue;
          take(a, b, c, entry.n);
          entry.n = 0;
        }
      }
    }
  }
}

/** One label value's histogram: observations per bucket (not cumulative), their sum and count. */
export interface DurationCounts {
  /** `perBucket[i]`: observations ≤ `bounds[i]` and above the bucket before; the rest only count. */
  readonly perBucket: number[];
  sum: number;
  count: number;
}

/**
 * A histogram by one label (the server), cumulative since start, the way prom-client's Histogram
 * keeps it: an observation goes to the first bucket whose upper bound is ≥ it, is added to the sum
 * (in observation order, so the sum is the same double prom-client would print) and counted.
 */
export class DurationTally {
  readonly bounds: readonly number[];
  readonly #byLabel = new Map<string, DurationCounts>();

  /** @param bounds upper bounds, ascending (prom-client's `buckets`); +Inf is implicit. */
  constructor(bounds: readonly number[]) {
    for (let i = 1; i < bounds.length; i++) {
      if (!(bounds[i]! > bounds[i - 1]!)) {
        throw new RangeError(`histogram bounds must ascend: ${bounds.join(', ')}`);
      }
    }
    this.bounds = bounds;
  }

  /** Adds one observation; a non-finite one is ignored (prom-client would throw on it). */
  observe(label: string, value: number): void {
    if (!Number.isFinite(value)) return;
    let counts = this.#byLabel.get(label);
    if (counts === undefined) {
      counts = { perBucket: new Array<number>(this.bounds.length).fill(0), sum: 0, count: 0 };
      this.#byLabel.set(label, counts);
    }
    const bounds = this.bounds;
    let i = 0;
    while (i < bounds.length && value > bounds[i]!) i++;
    if (i < bounds.length) counts.perBucket[i]!++;
    counts.sum += value;
    counts.count++;
  }

  /** Every label value's counts, in the order each was first observed (live objects: read only). */
  entries(): IterableIterator<[string, Readonly<DurationCounts>]> {
    return this.#byLabel.entries();
  }

  /** Forgets every observation (prom-client's `reset()`). */
  clear(): void {
    this.#byLabel.clear();
  }
}
