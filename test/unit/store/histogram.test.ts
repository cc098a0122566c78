import { describe, expect, it } from 'vitest';
import {
  addToHistogram,
  BUCKET_COUNT,
  bucketIndex,
  createHistogram,
  decodeHistogram,
  encodeHistogram,
  FINITE_BUCKETS,
  histogramTotal,
  mergeHistogram,
  percentile,
  UPPER_BOUNDS_MS,
} from '../../../supervisor/store/histogram.ts';

/** Nearest-rank percentile of raw values, the reference the histogram is compared with. */
function exactPercentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(1, Math.ceil((p / 100) * sorted.length)) - 1]!;
}

describe('histogram', () => {
  it('has log-spaced bounds, four per doubling, up to 2^17 ms', () => {
    expect(UPPER_BOUNDS_MS[0]).toBe(1);
    expect(UPPER_BOUNDS_MS[4]).toBe(2);
    expect(UPPER_BOUNDS_MS[FINITE_BUCKETS - 1]).toBe(131_072);
    expect(BUCKET_COUNT).toBe(FINITE_BUCKETS + 1);
  });

  it('puts a value equal to a bound in that bound’s bucket', () => {
    for (let i = 0; i < FINITE_BUCKETS; i++) expect(bucketIndex(UPPER_BOUNDS_MS[i]!)).toBe(i);
    expect(bucketIndex(0)).toBe(0);
    expect(bucketIndex(-5)).toBe(0);
    expect(bucketIndex(Number.NaN)).toBe(0);
    expect(bucketIndex(1.0001)).toBe(1);
    expect(bucketIndex(1e9)).toBe(FINITE_BUCKETS);
  });

  it('reports the upper bound of the bucket holding the p-th value of 1..1000 ms', () => {
    const histogram = createHistogram();
    const values = Array.from({ length: 1000 }, (_, i) => i + 1);
    for (const value of values) addToHistogram(histogram, value);
    // 500 lies in (2^8.75, 2^9] = (430.5, 512]; 950 and 990 lie in (861, 1024].
    expect(percentile(histogram, 50)).toBe(512);
    expect(percentile(histogram, 95)).toBe(1024);
    expect(percentile(histogram, 99)).toBe(1024);
    expect(percentile(histogram, 100)).toBe(1024);
    expect(percentile(histogram, 0.1)).toBe(1);
  });

  it('is never below the exact percentile and at most ~19 % above it', () => {
    let seed = 42;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const values = Array.from({ length: 5000 }, () => Math.exp(random() * 9)); // 1 ms .. 8 s
    const histogram = createHistogram();
    for (const value of values) addToHistogram(histogram, value);
    for (const p of [50, 90, 95, 99, 99.9]) {
      const exact = exactPercentile(values, p);
      const estimate = percentile(histogram, p)!;
      expect(estimate).toBeGreaterThanOrEqual(exact);
      expect(estimate).toBeLessThanOrEqual(exact * 2 ** 0.25 + 1e-9);
    }
  });

  it('merges by adding counts and round-trips through the column encoding', () => {
    const a = createHistogram();
    const b = createHistogram();
    addToHistogram(a, 3, 2);
    addToHistogram(b, 3);
    addToHistogram(b, 200_000);
    mergeHistogram(a, b);
    expect(histogramTotal(a)).toBe(4);
    expect(a[bucketIndex(3)]).toBe(3);
    const decoded = decodeHistogram(encodeHistogram(a));
    expect(Array.from(decoded)).toEqual(Array.from(a));
    expect(encodeHistogram(createHistogram())).toBe('[]');
    expect(percentile(createHistogram(), 50)).toBeNull();
    expect(percentile(decoded, 100)).toBe(131_072);
    expect(() => percentile(a, 0)).toThrow(/percentile p/);
  });
});
