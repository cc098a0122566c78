import { readFile } from 'node:fs/promises';
import type { HostInfoSource } from './host-sampler.ts';

/** Jiffies of the aggregate `cpu` line of /proc/stat: all of them, and the idle + iowait ones. */
interface CpuTimes {
  total: number;
  idle: number;
}

const PROC_STAT = '/proc/stat';
const PROC_MEMINFO = '/proc/meminfo';

/** The aggregate `cpu` line of a /proc/stat text (user nice system idle iowait irq softirq steal). */
export function parseCpuTimes(stat: string): CpuTimes {
  const line = stat.split('\n', 1)[0] ?? '';
  const fields = line.trim().split(/\s+/).slice(1, 9).map(Number);
  if (!line.startsWith('cpu ') || fields.length < 4 || fields.some((n) => !Number.isFinite(n))) {
    throw new Error(`unexpected first line in ${PROC_STAT}: ${line.slice(0, 80)}`);
  }
  const total = fields.reduce((sum, n) => sum + n, 0);
  return { total, idle: (fields[3] ?? 0) + (fields[4] ?? 0) };
}

/** MemTotal, MemFree and MemAvailable of a /proc/meminfo text, in bytes. */
export function parseMemInfo(meminfo: string): { total: number; active: number; used: number } {
  const kib = (name: string) => {
    const match = new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(meminfo);
    if (!match) throw new Error(`${name} missing from ${PROC_MEMINFO}`);
    return Number(match[1]) * 1024;
  };
  const total = kib('MemTotal');
  return { total, active: total - kib('MemAvailable'), used: total - kib('MemFree') };
}

/**
 * The host figures straight from /proc on Linux, the same ones systeminformation computes there
 * (`currentLoad`: busy share of the CPU time since the previous call, the first call since boot;
 * `mem().active`: total − MemAvailable), without loading systeminformation: its modules cost the
 * supervisor ~2 MiB of heap and more RSS for the two files it reads here.
 */
export function createProcHostInfo(): HostInfoSource {
  let previous: CpuTimes = { total: 0, idle: 0 };
  return {
    async currentLoad() {
      const times = parseCpuTimes(await readFile(PROC_STAT, 'utf8'));
      const total = times.total - previous.total;
      const idle = times.idle - previous.idle;
      previous = times;
      return { currentLoad: total > 0 ? ((total - idle) / total) * 100 : 0 };
    },
    async mem() {
      return parseMemInfo(await readFile(PROC_MEMINFO, 'utf8'));
    },
  };
}
