/**
 * Fixed, log-spaced latency histogram (pure, no IO). Every rollup in the database uses the same
 * boundaries, so histograms from different minutes, tools and servers merge by adding counts.
 *
 * Bucket `i` (0 ≤ i < FINITE_BUCKETS) holds latencies in (UPPER_BOUNDS_MS[i-1], UPPER_BOUNDS_MS[i]]
 * where UPPER_BOUNDS_MS[i] = 2^(i/4) ms: four buckets per doubling, so a percentile read from the
 * histogram is at most ~19 % above the true value. Bucket 0 holds everything ≤ 1 ms; the last
 * bucket (index FINITE_BUCKETS) holds everything above 2^17 ms (≈ 131 s).
 */
const BUCKETS_PER_DOUBLING = 4;
const MAX_EXPONENT = 17;

export const FINITE_BUCKETS = BUCKETS_PER_DOUBLING * MAX_EXPONENT + 1;
/** Number of counts in a histogram: the finite buckets plus one overflow bucket. */
export const BUCKET_COUNT = FINITE_BUCKETS + 1;

export const UPPER_BOUNDS_MS: readonly number[] = Array.from(
  { length: FINITE_BUCKETS },
  (_, i) => 2 ** (i / BUCKETS_PER_DOUBLING),
);

const OVERFLOW_LOWER_BOUND_MS = UPPER_BOUNDS_MS[FINITE_BUCKETS - 1]!;

export type Histogram = Uint32Array;

export function createHistogram(): Histogram {
  return new Uint32Array(BUCKET_COUNT);
}

/** Index of the bucket a latency falls in. Negative and NaN latencies count as 0 ms. */
export function bucketIndex(latencyMs: number): number {
  if (!(latencyMs > 1)) return 0;
  if (latencyMs > OVERFLOW_LOWER_BOUND_MS) return FINITE_BUCKETS;
  let index = Math.ceil(Math.log2(latencyMs) * BUCKETS_PER_DOUBLING);
  // Guard the floating-point edges so that a value equal to a bound lands in that bound's bucket.
  if (index > 0 && latencyMs <= UPPER_BOUNDS_MS[index - 1]!) index--;
  else if (latencyMs > UPPER_BOUNDS_MS[index]!) index++;
  return index;
}

export function addToHistogram(histogram: Histogram, latencyMs: number, count = 1): void {
  const index = bucketIndex(latencyMs);
  histogram[index] = histogram[index]! + count;
}

/** Adds `source` into `target` in place. */
export function mergeHistogram(target: Histogram, source: ArrayLike<number>): void {
  const length = Math.min(target.length, source.length);
  for (let i = 0; i < length; i++) target[i] = target[i]! + source[i]!;
}

export function histogramTotal(histogram: ArrayLike<number>): number {
  let total = 0;
  for (let i = 0; i < histogram.length; i++) total += histogram[i]!;
  return total;
}

/**
 * The p-th percentile (0 < p ≤ 100), exact to a bucket: returns the UPPER bound of the bucket that
 * contains the ⌈p/100 · n⌉-th smallest value (nearest-rank), so the true value is ≤ the result and
 * > the bucket's lower bound. Values in the overflow bucket report its lower bound (≈ 131 072 ms).
 * Returns null for an empty histogram.
 */
export function percentile(histogram: ArrayLike<number>, p: number): number | null {
  if (!(p > 0 && p <= 100)) throw new RangeError(`percentile p must be in (0, 100], got ${p}`);
  const total = histogramTotal(histogram);
  if (total === 0) return null;
  const rank = Math.max(1, Math.ceil((p / 100) * total));
  let cumulative = 0;
  for (let i = 0; i < histogram.length; i++) {
    cumulative += histogram[i]!;
    if (cumulative >= rank) return i < FINITE_BUCKETS ? UPPER_BOUNDS_MS[i]! : OVERFLOW_LOWER_BOUND_MS;
  }
  return OVERFLOW_LOWER_BOUND_MS;
}

/** Serialises for the `histogram` column: a JSON array of counts, trailing zeros trimmed. */
export function encodeHistogram(histogram: Histogram): string {
  let end = histogram.length;
  while (end > 0 && histogram[end - 1] === 0) end--;
  return JSON.stringify(Array.from(histogram.subarray(0, end)));
}

/** Parses the `histogram` column; tolerates shorter arrays (trailing zeros) and ignores extra ones. */
export function decodeHistogram(text: string): Histogram {
  const histogram = createHistogram();
  const counts: unknown = JSON.parse(text);
  if (!Array.isArray(counts)) throw new TypeError('a histogram must be a JSON array of counts');
  const length = Math.min(counts.length, BUCKET_COUNT);
  for (let i = 0; i < length; i++) {
    const count = counts[i];
    histogram[i] = typeof count === 'number' && count > 0 ? count : 0;
  }
  return histogram;
}
