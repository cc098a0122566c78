import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

/** CPU and memory of a process and all its descendants. */
export interface TreeSample {
  rootPid: number;
  /** The root first, then descendants in breadth-first order. */
  pids: number[];
  /**
   * CPU of the whole tree since the previous sample of that root, in percent of one core (may
   * exceed 100). On the first sample of a root: the tree's average over the root's lifetime.
   */
  cpuPercent: number;
  /** Sum of the resident set sizes of the tree. */
  rssBytes: number;
}

export interface ProcessTreeSampler {
  /**
   * Samples the trees under `rootPids` from one scan of the process table. Roots that no longer
   * exist are absent from the result.
   */
  sample(rootPids: readonly number[], signal?: AbortSignal): Promise<Map<number, TreeSample>>;
}

export interface ProcessTreeSamplerOptions {
  /** `proc` reads /proc (Linux); `ps` runs `ps` once per sample (macOS, BSD). Default by platform. */
  mode?: 'proc' | 'ps';
  procRoot?: string;
  /** USER_HZ: the unit of utime/stime in /proc/<pid>/stat. `getconf CLK_TCK` is 100 on Linux. */
  clockTicksHz?: number;
  /** Timeout of the `ps` call. */
  psTimeoutMs?: number;
}

/** The tree under `root` given a ppid → children map, root first, breadth-first. Pure. */
export function collectTree(root: number, childrenOf: ReadonlyMap<number, readonly number[]>): number[] {
  const pids = [root];
  const seen = new Set(pids);
  for (let i = 0; i < pids.length; i++) {
    for (const child of childrenOf.get(pids[i]!) ?? []) {
      // pid 0 / self-parenting entries cannot form a real cycle, but a guard costs nothing.
      if (!seen.has(child)) {
        seen.add(child);
        pids.push(child);
      }
    }
  }
  return pids;
}

export interface ProcStat {
  pid: number;
  ppid: number;
  /** utime + stime, in clock ticks. */
  cpuTicks: number;
  /** Start time after boot, in clock ticks. */
  startTicks: number;
}

/**
 * Parses /proc/<pid>/stat. The command name (field 2) is in parentheses and may itself contain
 * spaces and parentheses, so fields are counted from the LAST ')'. Returns null if malformed.
 */
export function parseProcStat(text: string): ProcStat | null {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) return null;
  const pid = Number(text.slice(0, open).trim());
  // After ')': state(3) ppid(4) … utime(14) stime(15) … starttime(22), i.e. indexes 0, 1, 11, 12, 19.
  const fields = text.slice(close + 2).split(' ');
  const ppid = Number(fields[1]);
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  const startTicks = Number(fields[19]);
  if (![pid, ppid, utime, stime, startTicks].every(Number.isFinite)) return null;
  return { pid, ppid, cpuTicks: utime + stime, startTicks };
}

/** `VmRSS:  1234 kB` from /proc/<pid>/status, in bytes; 0 for kernel threads and zombies. */
export function parseVmRssBytes(status: string): number {
  const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
  return match ? Number(match[1]) * 1024 : 0;
}

export interface PsRow {
  pid: number;
  ppid: number;
  rssBytes: number;
  cpuPercent: number;
}

/** Parses `ps -A -o pid=,ppid=,rss=,%cpu=` (rss in KiB). Pure. */
export function parsePsOutput(text: string): PsRow[] {
  const rows: PsRow[] = [];
  for (const line of text.split('\n')) {
    const [pid, ppid, rss, cpu] = line.trim().split(/\s+/).map(Number);
    if (pid === undefined || ppid === undefined || rss === undefined || cpu === undefined) continue;
    if (![pid, ppid, rss, cpu].every(Number.isFinite)) continue;
    rows.push({ pid, ppid, rssBytes: rss * 1024, cpuPercent: cpu });
  }
  return rows;
}

function childrenMap(rows: Iterable<{ pid: number; ppid: number }>): Map<number, number[]> {
  const children = new Map<number, number[]>();
  for (const { pid, ppid } of rows) {
    if (pid === ppid) continue;
    let list = children.get(ppid);
    if (!list) {
      list = [];
      children.set(ppid, list);
    }
    list.push(pid);
  }
  return children;
}

/**
 * PM2's own figures cover only the process it started; a server launched through a shell or
 * `npx` does its work in children and grandchildren. This samples whole trees.
 */
export function createProcessTreeSampler(options: ProcessTreeSamplerOptions = {}): ProcessTreeSampler {
  const mode = options.mode ?? (process.platform === 'linux' ? 'proc' : 'ps');
  if (mode === 'ps') return createPsSampler(options.psTimeoutMs ?? 5_000);
  return createProcSampler(options.procRoot ?? '/proc', options.clockTicksHz ?? 100);
}

function readText(file: string): string | null {
  try {
    return fs.readFileSync(file, 'latin1');
  } catch {
    // The process exited between the directory scan and the read.
    return null;
  }
}

function createProcSampler(procRoot: string, hz: number): ProcessTreeSampler {
  /** Per process (keyed by pid and start time, which survives pid reuse): cpu ticks last seen. */
  let previousTicks = new Map<string, number>();
  let previousUptimeSec: number | null = null;
  const seenRoots = new Set<string>();

  return {
    async sample(rootPids, signal) {
      signal?.throwIfAborted();
      const uptimeSec = Number((readText(path.join(procRoot, 'uptime')) ?? '').split(' ')[0]);
      const stats = new Map<number, ProcStat>();
      for (const entry of fs.readdirSync(procRoot)) {
        const first = entry.charCodeAt(0);
        if (first < 48 || first > 57) continue;
        const text = readText(path.join(procRoot, entry, 'stat'));
        const stat = text === null ? null : parseProcStat(text);
        if (stat) stats.set(stat.pid, stat);
      }
      const children = childrenMap(stats.values());
      const nextTicks = new Map<string, number>();
      const result = new Map<number, TreeSample>();
      for (const rootPid of rootPids) {
        const root = stats.get(rootPid);
        if (!root) continue;
        const rootKey = `${root.pid}:${root.startTicks}`;
        const isFirstSample = !seenRoots.has(rootKey) || previousUptimeSec === null;
        seenRoots.add(rootKey);
        const pids = collectTree(rootPid, children);
        let rssBytes = 0;
        let deltaTicks = 0;
        let lifetimeTicks = 0;
        for (const pid of pids) {
          const stat = stats.get(pid)!;
          const key = `${pid}:${stat.startTicks}`;
          nextTicks.set(key, stat.cpuTicks);
          lifetimeTicks += stat.cpuTicks;
          const before = previousTicks.get(key);
          if (before !== undefined) deltaTicks += Math.max(0, stat.cpuTicks - before);
          // A process started since the last sample spent all its ticks within the interval.
          else if (previousUptimeSec !== null && stat.startTicks / hz >= previousUptimeSec) {
            deltaTicks += stat.cpuTicks;
          }
          const status = readText(path.join(procRoot, String(pid), 'status'));
          if (status !== null) rssBytes += parseVmRssBytes(status);
        }
        let cpuPercent: number;
        if (isFirstSample) {
          const lifetimeSec = uptimeSec - root.startTicks / hz;
          cpuPercent = lifetimeSec > 0 ? (lifetimeTicks / hz / lifetimeSec) * 100 : 0;
        } else {
          const elapsedSec = uptimeSec - previousUptimeSec!;
          cpuPercent = elapsedSec > 0 ? (deltaTicks / hz / elapsedSec) * 100 : 0;
        }
        result.set(rootPid, { rootPid, pids, cpuPercent, rssBytes });
      }
      // Only tree members are remembered, so memory stays bounded by what is watched.
      previousTicks = nextTicks;
      previousUptimeSec = Number.isFinite(uptimeSec) ? uptimeSec : null;
      for (const key of seenRoots) if (!nextTicks.has(key)) seenRoots.delete(key);
      return result;
    },
  };
}

function createPsSampler(timeoutMs: number): ProcessTreeSampler {
  return {
    async sample(rootPids, signal) {
      const timeout = AbortSignal.timeout(timeoutMs);
      const { stdout } = await execFileAsync('ps', ['-A', '-o', 'pid=,ppid=,rss=,%cpu='], {
        signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
        maxBuffer: 16 * 1024 * 1024,
      });
      const rows = parsePsOutput(stdout);
      const byPid = new Map(rows.map((row) => [row.pid, row]));
      const children = childrenMap(rows);
      const result = new Map<number, TreeSample>();
      for (const rootPid of rootPids) {
        if (!byPid.has(rootPid)) continue;
        const pids = collectTree(rootPid, children);
        let rssBytes = 0;
        let cpuPercent = 0;
        for (const pid of pids) {
          const row = byPid.get(pid)!;
          rssBytes += row.rssBytes;
          // ps's %cpu is a decaying average over the process's recent life, good enough for trends.
          cpuPercent += row.cpuPercent;
        }
        result.set(rootPid, { rootPid, pids, cpuPercent, rssBytes });
      }
      return result;
    },
  };
}
