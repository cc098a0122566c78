import os from 'node:os';
import type { SystemSample } from '../store/types.ts';
import { createProcHostInfo } from './proc-host-info.ts';

/** The two systeminformation calls used, injectable for tests. */
export interface HostInfoSource {
  currentLoad(): Promise<{ currentLoad: number }>;
  mem(): Promise<{ total: number; active: number; used: number }>;
}

export interface HostSamplerOptions {
  source?: HostInfoSource;
  loadavg?: () => number[];
  cpuCount?: () => number;
  now?: () => number;
}

export interface HostSampler {
  sample(): Promise<SystemSample>;
}

const clampPercent = (value: number): number =>
  Number.isFinite(value) ? Math.min(100, Math.max(0, value)) : 0;

/**
 * /proc on Linux; elsewhere systeminformation, loaded on the first sample (it is large, and on
 * Linux not needed at all).
 */
function defaultSource(): HostInfoSource {
  if (process.platform === 'linux') return createProcHostInfo();
  const loaded = import('systeminformation').then((module) => module.default);
  return {
    currentLoad: async () => (await loaded).currentLoad(),
    mem: async () => (await loaded).mem(),
  };
}

/**
 * Samples host CPU, memory and load. Cheap by design: `currentLoad()` reads /proc/stat and
 * diffs it against the previous call (so the first sample covers the time since boot),
 * `mem()` reads /proc/meminfo, `os.loadavg()` is a syscall. `si.processes()` is never called here:
 * it walks every process and costs ~100 ms a call.
 */
export function createHostSampler(options: HostSamplerOptions = {}): HostSampler {
  const source = options.source ?? defaultSource();
  const loadavg = options.loadavg ?? os.loadavg;
  const cpuCount = options.cpuCount ?? (() => os.availableParallelism());
  const now = options.now ?? Date.now;
  return {
    async sample() {
      const [load, memory] = await Promise.all([source.currentLoad(), source.mem()]);
      // On Linux `used` is total − free, which counts the page cache and buffers the kernel gives
      // back on demand, so it sits near 100 % on any busy machine. systeminformation's `active` is
      // total − MemAvailable: memory that applications really hold, the figure that predicts
      // swapping or the OOM killer. On macOS and Windows `active` is the same notion.
      const activeBytes = memory.active > 0 ? memory.active : memory.used;
      const [load1 = 0, load5 = 0, load15 = 0] = loadavg();
      const cores = Math.max(1, cpuCount());
      return {
        ts: now(),
        cpuPercent: clampPercent(load.currentLoad),
        memPercent: clampPercent(memory.total > 0 ? (activeBytes / memory.total) * 100 : 0),
        load1,
        load5,
        load15,
        loadPerCore: load1 / cores,
      };
    },
  };
}
