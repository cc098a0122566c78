/**
 * Fixed, log-spaced latency histogram (pure, no IO). Every rollup in the database uses the same
 * boundaries, so histograms from different minutes, tools and servers merge by adding counts.
 *
 * Bucket `i` (0 ≤ i < FINITE_BUCKETS) holds latencies in (UPPER_BOUNDS_MS[i-1], UPPER_BOUNDS_MS[i]]
 * where UPPER_BOUNDS_MS[i] = 2^(i/4) ms: four buckets per doubling, so a percentile estimated inside
 * its bucket is within ~19 % of the true value. Bucket 0 holds everything ≤ 1 ms; the last
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

/** Lower bound of bucket `i` (bucket 0 starts at 0 ms; the overflow bucket at 2^17 ms). */
function lowerBoundMs(i: number): number {
  return i === 0 ? 0 : UPPER_BOUNDS_MS[i - 1]!;
}

/** Width of bucket `i`; the overflow bucket has no upper bound, so it counts as a point. */
function widthMs(i: number): number {
  return i < FINITE_BUCKETS ? UPPER_BOUNDS_MS[i]! - lowerBoundMs(i) : 0;
}

export interface PercentileOptions {
  /**
   * Sum of the latencies counted in the histogram (the rollups' `latency_sum_ms`). With it the
   * estimate also knows where inside their buckets the values sit on average (see `percentile`).
   */
  sumMs?: number;
}

/**
 * The p-th percentile (0 < p ≤ 100), interpolated inside the bucket that holds the (p/100 · n)-th
 * smallest value, so the estimate always lies inside that bucket (within ~19 % of the true value)
 * instead of reading as its upper bound (a run of 7 s calls used to read "p95 8192 ms").
 *
 * Without `sumMs` the values of a bucket are taken as spread evenly over the whole bucket (the
 * interpolation Prometheus' `histogram_quantile` does); that is exact for smooth distributions and
 * off by up to a bucket for a tight cluster (all calls ≈ 7 s). With `sumMs` the mean tells where
 * values sit inside their buckets on average: each bucket's values are taken as spread evenly over
 * the widest part of the bucket whose centre is that mean position. A smooth distribution keeps the
 * whole bucket (the mean position is near the middle); a cluster gets a narrow part around its real
 * place, so 7 s calls read ≈ 7 s. Values in the overflow bucket (> 2^17 ms) report its lower bound.
 * Returns null for an empty histogram.
 */
export function percentile(
  histogram: ArrayLike<number>,
  p: number,
  options: PercentileOptions = {},
): number | null {
  if (!(p > 0 && p <= 100)) throw new RangeError(`percentile p must be in (0, 100], got ${p}`);
  const total = histogramTotal(histogram);
  if (total === 0) return null;
  const { startFraction, spanFraction } = positionInBuckets(histogram, options.sumMs);
  const rank = (p / 100) * total;
  let cumulative = 0;
  for (let i = 0; i < histogram.length; i++) {
    const count = histogram[i]!;
    if (count > 0 && cumulative + count >= rank) {
      const withinBucket = (rank - cumulative) / count;
      return lowerBoundMs(i) + widthMs(i) * (startFraction + spanFraction * withinBucket);
    }
    cumulative += count;
  }
  return OVERFLOW_LOWER_BOUND_MS;
}

/**
 * The part of every bucket its values are assumed to fill, as fractions of the bucket's width:
 * centred on the mean position of the values inside their buckets (from `sumMs`), as wide as that
 * centre allows. Without a usable sum: the whole bucket.
 */
function positionInBuckets(
  histogram: ArrayLike<number>,
  sumMs: number | undefined,
): { startFraction: number; spanFraction: number } {
  const whole = { startFraction: 0, spanFraction: 1 };
  // Values above 2^17 ms would move the mean by an unknown amount: then the sum says nothing.
  if (sumMs === undefined || !Number.isFinite(sumMs) || (histogram[FINITE_BUCKETS] ?? 0) > 0) return whole;
  let lowerSum = 0;
  let widthSum = 0;
  for (let i = 0; i < Math.min(histogram.length, FINITE_BUCKETS); i++) {
    lowerSum += histogram[i]! * lowerBoundMs(i);
    widthSum += histogram[i]! * widthMs(i);
  }
  if (widthSum <= 0) return whole;
  const centre = Math.min(1, Math.max(0, (sumMs - lowerSum) / widthSum));
  const spanFraction = 2 * Math.min(centre, 1 - centre);
  return { startFraction: centre - spanFraction / 2, spanFraction };
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
