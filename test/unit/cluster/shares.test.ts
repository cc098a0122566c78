import { describe, expect, it } from 'vitest';
import { leaseMsFor, localShare, reservoirSettings, shareOf } from '../../../supervisor/cluster/shares.ts';

describe('cluster limit maths', () => {
  it('divides a limit among members, never below 1, never more than the limit in total', () => {
    expect(shareOf(10, 3)).toBe(3);
    expect(shareOf(1, 4)).toBe(1);
    expect(shareOf(10, 0)).toBe(10);
    for (const members of [1, 2, 3, 7]) expect(shareOf(50, members) * members).toBeLessThanOrEqual(50);
  });

  it('gives each host its share of concurrency, rate, burst and the per-client cap; queue and timeout stay', () => {
    const share = localShare(
      { maxConcurrent: 8, requestsPerMinute: 600, queueSize: 100, requestTimeoutMs: 30_000 },
      10,
      4,
    );
    expect(share).toEqual({
      limits: {
        maxConcurrent: 2,
        requestsPerMinute: 150,
        burst: 150,
        queueSize: 100,
        requestTimeoutMs: 30_000,
      },
      perClientConcurrent: 2,
    });
    expect(
      localShare({ maxConcurrent: 8, queueSize: 1, requestTimeoutMs: 1 }, 10, 2).limits.requestsPerMinute,
    ).toBe(undefined);
  });

  it('refills the shared bucket one token per 60 000 / rpm ms, batched to at least 10 ms', () => {
    expect(reservoirSettings(600, 10)).toEqual({
      reservoir: 10,
      reservoirIncreaseAmount: 1,
      reservoirIncreaseInterval: 100,
      reservoirIncreaseMaximum: 10,
    });
    const fast = reservoirSettings(60_000, 100);
    expect(fast.reservoirIncreaseAmount / fast.reservoirIncreaseInterval).toBeCloseTo(1, 10);
    expect(fast.reservoirIncreaseInterval).toBeGreaterThanOrEqual(10);
  });

  it('leases twice the request timeout, and at least the timeout plus 5 s', () => {
    expect(leaseMsFor(30_000)).toBe(60_000);
    expect(leaseMsFor(1_000)).toBe(6_000);
  });
});
