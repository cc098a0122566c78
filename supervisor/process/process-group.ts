/**
 * Stopping a server's whole process group. PM2 spawns every app detached, so the server (PM2's own
 * pid) leads a process group of its own, and whatever it starts — `npx` → node, a shell's
 * children — stays in that group even when its parent dies and it is re-parented to init, where a
 * walk of the process tree (PM2's `treekill`) no longer finds it. A group id is not reused while a
 * member is alive (POSIX), so signalling `-pgid` after the leader died reaches only its leftovers.
 *
 * Imports nothing but Node's own modules and the pure `shared/proc-stat.ts`: the PM2 daemon hook
 * (`daemon-hook.ts`) runs it too.
 */
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';
import { type ProcessRow, parseStatLine } from '../shared/proc-stat.ts';

export { type ProcessRow, parseStatLine } from '../shared/proc-stat.ts';

/** How often a group being stopped is checked for survivors. */
const GROUP_POLL_MS = 50;
/** How long the members of a group get to vanish after SIGKILL. */
const AFTER_KILL_MS = 2_000;
/** Scans of the process table younger than this are shared by every caller. */
const SCAN_REUSE_MS = 100;

export interface TerminateGroupOptions {
  /** Time between SIGTERM and SIGKILL. */
  killTimeoutMs: number;
  /** Called once when the group had to be SIGKILLed. */
  onKill?: () => void;
}

/**
 * Sends SIGTERM to process group `pgid`, waits up to `killTimeoutMs` for every member to exit,
 * then sends SIGKILL and waits (briefly) for them to vanish. Resolves at once when the group is
 * already empty; never rejects.
 *
 * @returns whether SIGKILL was needed.
 */
export async function terminateGroup(pgid: number, options: TerminateGroupOptions): Promise<boolean> {
  if (!Number.isInteger(pgid) || pgid <= 1) return false;
  if (!signalGroup(pgid, 'SIGTERM')) return false;
  const deadline = Date.now() + options.killTimeoutMs;
  while (Date.now() < deadline) {
    await delay(Math.min(GROUP_POLL_MS, Math.max(0, deadline - Date.now())));
    if (!(await hasLiveMembers(pgid))) return false;
  }
  if (!signalGroup(pgid, 'SIGKILL')) return false;
  options.onKill?.();
  const killedBy = Date.now() + AFTER_KILL_MS;
  while (Date.now() < killedBy && (await hasLiveMembers(pgid))) await delay(GROUP_POLL_MS);
  return true;
}

/** Signals a whole process group; false when no process is left in it. */
export function signalGroup(pgid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch (error) {
    // EPERM means a member exists that we may not signal; it still counts as alive.
    return (error as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

/**
 * Whether any process of group `pgid` is still running. `kill(-pgid, 0)` also counts zombies: a
 * killed grandchild is re-parented to PID 1, and in containers PID 1 is often slow (or fails) to
 * reap it, which would hold every stop for the whole kill timeout. When the group still answers,
 * the process table is read (once per {@link SCAN_REUSE_MS} for all callers) and zombies ignored.
 * A shared scan may predate the question and miss a member that joined since (a group started a
 * moment ago, a child forked while the group is being stopped): "none" is only said after a scan
 * begun after the question.
 */
export async function hasLiveMembers(pgid: number): Promise<boolean> {
  if (!signalGroup(pgid, 0)) return false;
  const askedAt = performance.now();
  const shared = sharedScan();
  if (isLiveIn(await shared.rows, pgid)) return true;
  if (shared.startedAt >= askedAt) return false;
  return isLiveIn(await newScan().rows, pgid);
}

/** Whether `rows` hold a live member of `pgid`; an unreadable table (undefined) counts as yes. */
function isLiveIn(rows: ProcessRow[] | undefined, pgid: number): boolean {
  return rows === undefined || rows.some((row) => row.pgid === pgid && !row.isZombie);
}

type Scan = { startedAt: number; rows: Promise<ProcessRow[] | undefined> };
let lastScan: Scan | undefined;

/**
 * The process table, from /proc on Linux and one `ps` elsewhere; undefined when it cannot be read.
 * Concurrent callers within {@link SCAN_REUSE_MS} share one scan: on a busy machine a scan of
 * /proc costs several milliseconds of the event loop.
 */
export function processTable(): Promise<ProcessRow[] | undefined> {
  return sharedScan().rows;
}

function sharedScan(): Scan {
  if (lastScan === undefined || performance.now() - lastScan.startedAt > SCAN_REUSE_MS) return newScan();
  return lastScan;
}

function newScan(): Scan {
  const startedAt = performance.now();
  lastScan = { startedAt, rows: process.platform === 'linux' ? Promise.resolve(scanProc()) : scanPs() };
  return lastScan;
}

function scanProc(): ProcessRow[] | undefined {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return undefined;
  }
  const rows: ProcessRow[] = [];
  for (const entry of entries) {
    const first = entry.charCodeAt(0);
    if (first < 0x30 || first > 0x39) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'latin1');
    } catch {
      continue;
    }
    const row = parseStatLine(stat);
    if (row) rows.push(row);
  }
  return rows;
}

function scanPs(): Promise<ProcessRow[] | undefined> {
  return new Promise((resolve) => {
    execFile('ps', ['-A', '-o', 'pid=,ppid=,pgid=,stat='], { timeout: 5_000 }, (error, stdout) => {
      if (error) return resolve(undefined);
      const rows: ProcessRow[] = [];
      for (const line of stdout.split('\n')) {
        const [pid, ppid, pgid, stat] = line.trim().split(/\s+/);
        if (pid === undefined || stat === undefined) continue;
        rows.push({
          pid: Number(pid),
          ppid: Number(ppid),
          pgid: Number(pgid),
          isZombie: stat.startsWith('Z'),
        });
      }
      resolve(rows);
    });
  });
}
