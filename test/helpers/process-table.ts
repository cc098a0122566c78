import { readdirSync, readFileSync } from 'node:fs';

import { sleep } from './paths.ts';

/** One live (non-zombie) process as /proc shows it. */
export interface ProcessInfo {
  pid: number;
  ppid: number;
  /** The one-letter state of /proc/<pid>/stat (R, S, D, T, …; zombies are never listed). */
  state: string;
  cmdline: string[];
  /** Its initial environment; empty when /proc/<pid>/environ is not readable. */
  environ: Record<string, string>;
  role: 'supervisor' | 'pm2' | 'server' | 'other';
}

/** Marks every test server's environment, so grandchildren that lost their parent are still found. */
export const TEST_HOME_VAR = 'MCPS_TEST_HOME';
export const TEST_SERVER_VAR = 'MCPS_TEST_SERVER';

function readText(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

/** Every live process of the machine (Linux /proc); zombies, which hold nothing, are skipped. */
export function listProcesses(): ProcessInfo[] {
  const out: ProcessInfo[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    const stat = readText(`/proc/${pid}/stat`);
    if (!stat) continue;
    // The command name may hold spaces and parentheses: the fields start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const state = fields[0] ?? '?';
    if (state === 'Z' || state === 'X') continue;
    const cmdline = (readText(`/proc/${pid}/cmdline`) ?? '').split('\0').filter((part) => part !== '');
    const environ: Record<string, string> = {};
    for (const pair of (readText(`/proc/${pid}/environ`) ?? '').split('\0')) {
      const eq = pair.indexOf('=');
      if (eq > 0) environ[pair.slice(0, eq)] = pair.slice(eq + 1);
    }
    out.push({ pid, ppid: Number(fields[1]), state, cmdline, environ, role: 'other' });
  }
  return out;
}

function classify(info: ProcessInfo): ProcessInfo['role'] {
  const joined = info.cmdline.join(' ');
  if (/PM2 v[\d.]+: God Daemon/.test(joined)) return 'pm2';
  if (info.cmdline.some((arg) => arg.endsWith('mcp-supervisor.js')) && info.cmdline.includes('start'))
    return 'supervisor';
  if (info.environ[TEST_SERVER_VAR] !== undefined) return 'server';
  return 'other';
}

function mentions(text: string, roots: readonly string[]): boolean {
  for (const root of roots) {
    let at = text.indexOf(root);
    while (at >= 0) {
      // `/tmp/mcps-ab` must not match `/tmp/mcps-abc`: the next character has to end the path.
      const next = text[at + root.length];
      if (next === undefined || !/[A-Za-z0-9_.-]/.test(next)) return true;
      at = text.indexOf(root, at + 1);
    }
  }
  return false;
}

/**
 * Every live process that belongs to the supervisor of `home`: whose command line or environment
 * names the home (or `extraRoots`, e.g. a run dir outside it) — the supervisor (`--home`), the PM2
 * daemon (`PM2_HOME`), test servers (`MCPS_TEST_HOME`) — and
 * every descendant of those. The calling process and its ancestors are never listed.
 */
export function processesUnder(home: string, options: { extraRoots?: string[] } = {}): ProcessInfo[] {
  const roots = [home, ...(options.extraRoots ?? [])];
  const all = listProcesses();
  const byPid = new Map(all.map((p) => [p.pid, p]));
  const excluded = new Set<number>();
  for (
    let pid: number | undefined = process.pid;
    pid && pid > 1 && !excluded.has(pid);
    pid = byPid.get(pid)?.ppid
  ) {
    excluded.add(pid);
  }
  const matched = new Set<number>();
  for (const info of all) {
    if (excluded.has(info.pid)) continue;
    const text = `${info.cmdline.join('\0')}\0${Object.entries(info.environ)
      .map(([k, v]) => `${k}=${v}`)
      .join('\0')}`;
    if (mentions(text, roots)) matched.add(info.pid);
  }
  // Descendants of what matched belong to it too, whatever their environment.
  let grew = true;
  while (grew) {
    grew = false;
    for (const info of all) {
      if (!matched.has(info.pid) && !excluded.has(info.pid) && matched.has(info.ppid)) {
        matched.add(info.pid);
        grew = true;
      }
    }
  }
  return all.filter((p) => matched.has(p.pid)).map((p) => ({ ...p, role: classify(p) }));
}

/** A short, readable line per process for assertion messages. */
export function describeProcesses(processes: readonly ProcessInfo[]): string {
  if (processes.length === 0) return '(none)';
  return processes
    .map((p) => `${p.pid} [${p.role}, ppid ${p.ppid}, ${p.state}] ${p.cmdline.join(' ').slice(0, 160)}`)
    .join('\n');
}

/** Polls until no process is left under `home`; returns what was still there at the deadline. */
export async function waitForNoProcessesUnder(
  home: string,
  options: { timeoutMs?: number; extraRoots?: string[] } = {},
): Promise<ProcessInfo[]> {
  const deadline = Date.now() + (options.timeoutMs ?? 10_000);
  let left = processesUnder(home, options);
  while (left.length > 0 && Date.now() < deadline) {
    await sleep(50);
    left = processesUnder(home, options);
  }
  return left;
}

/** SIGKILLs every process under `home` until none is left (or 5 s pass); returns what it found. */
export async function killProcessesUnder(
  home: string,
  options: { extraRoots?: string[] } = {},
): Promise<ProcessInfo[]> {
  const found = new Map<number, ProcessInfo>();
  const deadline = Date.now() + 5_000;
  let left = processesUnder(home, options);
  while (left.length > 0 && Date.now() < deadline) {
    for (const info of left) {
      found.set(info.pid, info);
      if (info.pid <= 1 || info.pid === process.pid) continue;
      try {
        process.kill(info.pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
    await sleep(50);
    left = processesUnder(home, options);
  }
  return [...found.values()];
}

/** The env markers a test server's config carries, so `processesUnder` finds its whole tree. */
export function testServerEnv(home: string, name: string): Record<string, string> {
  return { [TEST_HOME_VAR]: home, [TEST_SERVER_VAR]: name };
}

/** Live server processes of one configured test server. */
export function serverProcesses(home: string, name: string): ProcessInfo[] {
  return processesUnder(home).filter((p) => p.environ[TEST_SERVER_VAR] === name && p.role === 'server');
}
