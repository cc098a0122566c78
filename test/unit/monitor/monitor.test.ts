import { describe, expect, it } from 'vitest';
import type { HostSampler } from '../../../supervisor/monitor/host-sampler.ts';
import { createMonitor, type MonitorSample } from '../../../supervisor/monitor/monitor.ts';
import type { ProcessTreeSampler } from '../../../supervisor/monitor/process-tree.ts';
import type { ProcessSample, SystemSample } from '../../../supervisor/store/types.ts';

const host: SystemSample = {
  ts: 1,
  cpuPercent: 5,
  memPercent: 10,
  load1: 0.1,
  load5: 0.1,
  load15: 0.1,
  loadPerCore: 0.05,
};

function fakes(options: { treeDelayMs?: number } = {}) {
  const system: SystemSample[] = [];
  const processes: ProcessSample[] = [];
  const hostSampler: HostSampler = { sample: async () => host };
  const processTree: ProcessTreeSampler = {
    async sample(pids) {
      if (options.treeDelayMs) await new Promise((resolve) => setTimeout(resolve, options.treeDelayMs));
      return new Map(
        pids
          .filter((pid) => pid !== 404)
          .map((pid) => [pid, { rootPid: pid, pids: [pid, pid + 1], cpuPercent: 12, rssBytes: 1000 }]),
      );
    },
  };
  return {
    system,
    processes,
    hostSampler,
    processTree,
    recorder: {
      recordSystemSample: (s: SystemSample) => system.push(s),
      recordProcessSample: (s: ProcessSample) => processes.push(s),
    },
  };
}

describe('monitor', () => {
  it('samples the host and every server tree and queues the samples', async () => {
    const f = fakes();
    const seen: MonitorSample[] = [];
    const monitor = createMonitor({
      intervalMs: 5000,
      ...f,
      now: () => 99,
      listServers: () => [
        { name: 'a', pid: 10, restarts: 2, uptimeMs: 1000 },
        { name: 'b', pid: null, restarts: 0, uptimeMs: null },
        { name: 'gone', pid: 404, restarts: 1, uptimeMs: 5 },
      ],
      onSample: (s) => {
        seen.push(s);
      },
    });
    const sample = await monitor.tick();
    expect(sample?.processes).toEqual([
      { ts: 99, server: 'a', pid: 10, cpuPercent: 12, rssBytes: 1000, restarts: 2, uptimeMs: 1000 },
      { ts: 99, server: 'b', pid: null, cpuPercent: null, rssBytes: null, restarts: 0, uptimeMs: null },
      { ts: 99, server: 'gone', pid: null, cpuPercent: null, rssBytes: null, restarts: 1, uptimeMs: 5 },
    ]);
    expect(f.system).toEqual([host]);
    expect(f.processes).toHaveLength(3);
    expect(seen).toHaveLength(1);
    expect(monitor.latest()).toBe(sample);
  });

  it('skips a tick while the previous one runs, and stop waits for it', async () => {
    const f = fakes({ treeDelayMs: 150 });
    const monitor = createMonitor({
      intervalMs: 100,
      ...f,
      listServers: async () => [{ name: 'a', pid: 10, restarts: 0, uptimeMs: 1 }],
    });
    monitor.start();
    await new Promise((resolve) => setTimeout(resolve, 420));
    await monitor.stop();
    const stats = monitor.stats();
    expect(stats.skippedTicks).toBeGreaterThanOrEqual(1);
    expect(stats.ticks).toBeGreaterThanOrEqual(1);
    expect(stats.ticks).toBeLessThanOrEqual(3);
    const ticksAtStop = f.system.length;
    await new Promise((resolve) => setTimeout(resolve, 250));
    expect(f.system.length).toBe(ticksAtStop);
  });

  it('logs and counts a failing tick without stopping', async () => {
    const f = fakes();
    const warnings: unknown[] = [];
    const monitor = createMonitor({
      intervalMs: 1000,
      ...f,
      hostSampler: { sample: () => Promise.reject(new Error('no /proc')) },
      listServers: () => [],
      logger: { debug() {}, info() {}, error() {}, warn: (obj) => warnings.push(obj) },
    });
    expect(await monitor.tick()).toBeNull();
    expect(monitor.stats().failedTicks).toBe(1);
    expect(warnings).toEqual([{ err: 'no /proc' }]);
    expect(() => createMonitor({ ...f, intervalMs: 5, listServers: () => [] })).toThrow(/intervalMs/);
  });
});
