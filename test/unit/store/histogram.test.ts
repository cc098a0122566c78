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

  it('interpolates inside the bucket holding the p-th value of 1..1024 ms', () => {
    const histogram = createHistogram();
    const values = Array.from({ length: 1024 }, (_, i) => i + 1);
    for (const value of values) addToHistogram(histogram, value);
    // 512 lies in (2^8.75, 2^9] = (430.5, 512]; p95 and p99 lie in (861, 1024]. Values fill their
    // buckets evenly, so the interpolation lands within 2 % of the exact percentile.
    for (const p of [50, 95, 99]) {
      const exact = exactPercentile(values, p);
      expect(Math.abs(percentile(histogram, p)! - exact)).toBeLessThan(exact * 0.02);
    }
    expect(percentile(histogram, 100)).toBe(1024);
    // The 2nd smallest value (2 ms) sits alone in (1.68, 2]: the estimate stays inside that bucket.
    expect(percentile(histogram, 0.1)).toBeGreaterThan(2 ** 0.75);
    expect(percentile(histogram, 0.1)).toBeLessThanOrEqual(2);
  });

  it('reads a run of 7 s calls as about 7 s, not as its bucket’s upper bound 8192 ms', () => {
    const values = Array.from({ length: 200 }, (_, i) => 7_000 + (i % 10) * 10);
    const histogram = createHistogram();
    for (const value of values) addToHistogram(histogram, value);
    const sumMs = values.reduce((a, b) => a + b, 0);
    for (const p of [50, 95, 99]) {
      const estimate = percentile(histogram, p, { sumMs })!;
      expect(Math.abs(estimate - exactPercentile(values, p)) / 7_000).toBeLessThan(0.02);
    }
    // Without the sum the estimate still stays inside the bucket (6889, 8192], below its bound.
    expect(percentile(histogram, 95)!).toBeLessThan(8_192);
    expect(percentile(histogram, 95)!).toBeGreaterThan(6_889);
  });

  it('stays inside the bucket of the exact percentile, with or without the sum', () => {
    let seed = 42;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const values = Array.from({ length: 5000 }, () => Math.exp(random() * 9)); // 1 ms .. 8 s
    const histogram = createHistogram();
    for (const value of values) addToHistogram(histogram, value);
    const sumMs = values.reduce((a, b) => a + b, 0);
    for (const p of [50, 90, 95, 99, 99.9]) {
      const exact = exactPercentile(values, p);
      const upper = UPPER_BOUNDS_MS[bucketIndex(exact)]!;
      for (const estimate of [percentile(histogram, p)!, percentile(histogram, p, { sumMs })!]) {
        expect(estimate).toBeLessThanOrEqual(upper);
        expect(estimate).toBeGreaterThanOrEqual(upper / 2 ** 0.25);
        // A smooth distribution: interpolation is far closer than a bucket's width.
        expect(Math.abs(estimate - exact) / exact).toBeLessThan(0.05);
      }
    }
  });

  it('ignores a sum it cannot trust (values beyond the last bucket)', () => {
    const histogram = createHistogram();
    addToHistogram(histogram, 100, 9);
    addToHistogram(histogram, 500_000);
    expect(percentile(histogram, 50, { sumMs: 900 + 500_000 })).toBe(percentile(histogram, 50));
    expect(percentile(histogram, 100, { sumMs: 900 + 500_000 })).toBe(131_072);
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
