import si from 'systeminformation';
import { describe, expect, it } from 'vitest';
import {
  createProcHostInfo,
  parseCpuTimes,
  parseMemInfo,
} from '../../../supervisor/monitor/proc-host-info.ts';

describe('proc host info', () => {
  it('reads the busy share of CPU time between two calls', () => {
    const first = parseCpuTimes('cpu  100 0 50 800 50 0 0 0 0 0\ncpu0 1 2 3 4\n');
    expect(first).toEqual({ total: 1000, idle: 850 });
    expect(() => parseCpuTimes('intr 1 2 3\n')).toThrow(/\/proc\/stat/);
  });

  it('takes active memory as total minus MemAvailable, used as total minus MemFree', () => {
    const text = 'MemTotal:       1000 kB\nMemFree:         100 kB\nMemAvailable:    600 kB\n';
    expect(parseMemInfo(text)).toEqual({ total: 1_024_000, active: 409_600, used: 921_600 });
    expect(() => parseMemInfo('MemTotal: 1 kB\n')).toThrow(/MemAvailable/);
  });

  it.runIf(process.platform === 'linux')('agrees with systeminformation on this machine', async () => {
    const source = createProcHostInfo();
    const [mine, theirs] = await Promise.all([source.mem(), si.mem()]);
    expect(mine.total).toBe(theirs.total);
    // Both read /proc/meminfo, a few milliseconds apart.
    expect(Math.abs(mine.active - theirs.active)).toBeLessThan(0.05 * theirs.total);
    await source.currentLoad();
    await new Promise((resolve) => setTimeout(resolve, 200));
    const { currentLoad } = await source.currentLoad();
    expect(currentLoad).toBeGreaterThanOrEqual(0);
    expect(currentLoad).toBeLessThanOrEqual(100);
  });
});
