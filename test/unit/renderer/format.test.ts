import { describe, expect, it } from 'vitest';
import {
  durationMs,
  formatBytes,
  formatCount,
  formatDuration,
  formatMs,
  formatPercent,
  formatRate,
  formatRelative,
  NONE,
} from '../../../renderer/src/lib/format.ts';

describe('format', () => {
  it('writes durations the way a person reads them', () => {
    expect(formatDuration(45_900)).toBe('45 s');
    expect(formatDuration(12 * 60_000 + 5_000)).toBe('12 min');
    expect(formatDuration(3 * 3_600_000 + 20 * 60_000)).toBe('3 h 20 min');
    expect(formatDuration(3 * 3_600_000)).toBe('3 h');
    expect(formatDuration(2 * 86_400_000 + 4 * 3_600_000)).toBe('2 d 4 h');
    expect(formatDuration(null)).toBe(NONE);
    expect(formatDuration(-1)).toBe(NONE);
  });

  it('writes sizes in binary units with three significant digits', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(12.3 * 2 ** 20)).toBe('12.3 MiB');
    expect(formatBytes(1.2 * 2 ** 30)).toBe('1.20 GiB');
    expect(formatBytes(150 * 2 ** 20)).toBe('150 MiB');
    expect(formatBytes(undefined)).toBe(NONE);
  });

  it('writes latencies, rates, percentages and counts', () => {
    expect(formatMs(0.42)).toBe('0.4 ms');
    expect(formatMs(12.4)).toBe('12 ms');
    expect(formatMs(1_250)).toBe('1.25 s');
    expect(formatMs(7_040)).toBe('7.04 s');
    expect(formatMs(12_300)).toBe('12.3 s');
    expect(formatMs(125_000)).toBe('2 min 5 s');
    expect(formatMs(null)).toBe(NONE);
    expect(formatRate(0)).toBe('0/s');
    expect(formatRate(0.3)).toBe('0.30/s');
    expect(formatRate(12.34)).toBe('12.3/s');
    expect(formatRate(1_234)).toBe('1.2k/s');
    expect(formatPercent(12.345)).toBe('12.3 %');
    expect(formatPercent(240, 0)).toBe('240 %');
    expect(formatCount(100_000)).toBe('100\u202f000');
  });

  it('writes relative times both ways and parses window names', () => {
    const now = 1_000_000_000;
    expect(formatRelative(now - 500, now)).toBe('just now');
    expect(formatRelative(now - 5_000, now)).toBe('5 s ago');
    expect(formatRelative(now - 3 * 60_000, now)).toBe('3 min ago');
    expect(formatRelative(now + 2 * 3_600_000, now)).toBe('in 2 h');
    expect(durationMs('15m')).toBe(900_000);
    expect(durationMs('7d')).toBe(7 * 86_400_000);
    expect(() => durationMs('soon')).toThrow(/not a duration/);
  });
});
