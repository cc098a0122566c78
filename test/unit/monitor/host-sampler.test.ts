import { describe, expect, it } from 'vitest';
import { createHostSampler } from '../../../supervisor/monitor/host-sampler.ts';

describe('host sampler', () => {
  it('returns sane numbers from the real machine', async () => {
    const sampler = createHostSampler();
    await sampler.sample();
    const sample = await sampler.sample();
    for (const percent of [sample.cpuPercent, sample.memPercent]) {
      expect(percent).toBeGreaterThanOrEqual(0);
      expect(percent).toBeLessThanOrEqual(100);
    }
    expect(sample.memPercent).toBeGreaterThan(0);
    expect(sample.load1).toBeGreaterThanOrEqual(0);
    expect(sample.load15).toBeGreaterThanOrEqual(0);
    expect(sample.loadPerCore).toBeCloseTo(
      sample.load1 / Math.max(1, (await import('node:os')).availableParallelism()),
      6,
    );
    expect(Math.abs(sample.ts - Date.now())).toBeLessThan(5000);
  });

  it('uses active memory rather than used, and divides load by the cores', async () => {
    const sampler = createHostSampler({
      source: {
        currentLoad: async () => ({ currentLoad: 105 }),
        mem: async () => ({ total: 1000, active: 250, used: 900 }),
      },
      loadavg: () => [3, 2, 1],
      cpuCount: () => 4,
      now: () => 7,
    });
    expect(await sampler.sample()).toEqual({
      ts: 7,
      cpuPercent: 100,
      memPercent: 25,
      load1: 3,
      load5: 2,
      load15: 1,
      loadPerCore: 0.75,
    });
  });
});
