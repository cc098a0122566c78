import { describe, expect, it } from 'vitest';
import {
  errorPercentData,
  hasValues,
  lastValue,
  latencyData,
  processData,
  requestRateData,
  sparklinePath,
  WINDOW_SPECS,
  withLivePoint,
} from '../../../renderer/src/lib/series.ts';

const point = (ts: number, count: number, errors = 0, refused = 0) => ({
  ts,
  count,
  errors,
  refused,
  p50Ms: count ? 10 : null,
  p95Ms: count ? 20 : null,
  p99Ms: count ? 30 : null,
});

describe('series shaping', () => {
  it('turns request points into rates per second, split ok / errors / refused', () => {
    const data = requestRateData([point(60_000, 120, 6, 6), point(120_000, 0)], 60_000);
    expect(data).toEqual([
      [60, 120],
      [1.8, 0],
      [0.1, 0],
      [0.1, 0],
    ]);
    expect(latencyData([point(60_000, 1), point(120_000, 0)])).toEqual([
      [60, 120],
      [10, null],
      [20, null],
      [30, null],
    ]);
    expect(errorPercentData([point(0, 110, 10, 10), point(60_000, 0)])[1]).toEqual([10, null]);
  });

  it('gives RSS in MiB and asks the API for whole-minute request steps', () => {
    expect(processData([{ ts: 1_000, cpuPercent: 5, rssBytes: 2 ** 21, restarts: 0 }]).rss).toEqual([
      [1],
      [2],
    ]);
    for (const spec of Object.values(WINDOW_SPECS)) expect(spec.requestStep).toMatch(/^\d+(m|h)$/);
  });

  it('adds a newer live point and drops what left the window', () => {
    const data: [number[], (number | null)[]] = [
      [10, 20, 30],
      [1, 2, 3],
    ];
    expect(withLivePoint(data, 40_000, [4], 20_000)).toEqual([
      [20, 30, 40],
      [2, 3, 4],
    ]);
    expect(withLivePoint(data, 30_000, [9], 0)).toBe(data);
    expect(hasValues([[1], [null]])).toBe(false);
    expect(hasValues([[1], [0]])).toBe(true);
  });

  it('draws a sparkline with gaps for missing samples', () => {
    expect(sparklinePath([1, 3, null, 2], 30, 10)).toBe('M0.0 9.0L10.0 1.0M30.0 5.0h0');
    expect(sparklinePath([5, 5], 10, 10)).toBe('M0.0 5.0L10.0 5.0');
    expect(sparklinePath([null, null], 10, 10)).toBe('');
    expect(lastValue([1, 2, null])).toBe(2);
    expect(lastValue([])).toBeNull();
  });
});
