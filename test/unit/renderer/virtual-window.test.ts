import { describe, expect, it } from 'vitest';
import {
  computeWindow,
  isAtBottom,
  scrollTopForRow,
  scrollTopToReveal,
} from '../../../renderer/src/lib/virtual-window.ts';

describe('virtual window', () => {
  it('renders only the rows on screen plus the overscan, at 100 000 rows', () => {
    const window = computeWindow({
      scrollTop: 500_000,
      viewportHeight: 600,
      rowHeight: 20,
      count: 100_000,
      overscan: 10,
    });
    expect(window).toEqual({ start: 24_990, end: 25_041, offsetPx: 499_800, totalPx: 2_000_000 });
    expect(window.end - window.start).toBeLessThan(60);
  });

  it('clamps at both ends and handles an empty list', () => {
    expect(computeWindow({ scrollTop: -50, viewportHeight: 100, rowHeight: 20, count: 100 })).toMatchObject({
      start: 0,
      end: 16,
    });
    const last = computeWindow({ scrollTop: 1e9, viewportHeight: 100, rowHeight: 20, count: 100 });
    expect(last.end).toBe(100);
    expect(last.start).toBe(85);
    expect(computeWindow({ scrollTop: 0, viewportHeight: 100, rowHeight: 20, count: 0 })).toEqual({
      start: 0,
      end: 0,
      offsetPx: 0,
      totalPx: 0,
    });
    expect(() => computeWindow({ scrollTop: 0, viewportHeight: 1, rowHeight: 0, count: 1 })).toThrow(
      /rowHeight/,
    );
  });

  it('tells when the end is in view and where to scroll to show a row', () => {
    expect(isAtBottom(1_400, 600, 2_000)).toBe(true);
    expect(isAtBottom(1_300, 600, 2_000)).toBe(false);
    expect(scrollTopForRow(100, 20, 200, 'center')).toBe(1_910);
    expect(scrollTopForRow(100, 20, 200, 'start')).toBe(2_000);
    expect(scrollTopForRow(0, 20, 200, 'end')).toBe(0);
    expect(scrollTopToReveal(5, 20, 200, 0)).toBe(0);
    expect(scrollTopToReveal(20, 20, 200, 0)).toBe(220);
    expect(scrollTopToReveal(2, 20, 200, 100)).toBe(40);
  });
});
