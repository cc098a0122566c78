import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  collectTree,
  createProcessTreeSampler,
  parseProcStat,
  parsePsOutput,
  parseVmRssBytes,
} from '../../../supervisor/monitor/process-tree.ts';

const CHILD = path.join(import.meta.dirname, 'fixtures', 'tree-child.mjs');

let child: ChildProcess | undefined;
let grandchildPid: number | undefined;
afterEach(() => {
  child?.kill('SIGKILL');
  child = undefined;
  if (grandchildPid !== undefined) {
    try {
      process.kill(grandchildPid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
  grandchildPid = undefined;
});

/** Starts child → grandchild (50 MB, spinning for `spinMs`); resolves to their pids. */
function startTree(spinMs: number): Promise<{ childPid: number; grandchildPid: number }> {
  return new Promise((resolve, reject) => {
    child = spawn(process.execPath, [CHILD, String(spinMs)], { stdio: ['pipe', 'pipe', 'inherit'] });
    child.on('error', reject);
    child.stdout!.once('data', (chunk: Buffer) => {
      const [childPid, grandchild] = chunk.toString().trim().split(' ').map(Number);
      grandchildPid = grandchild;
      resolve({ childPid: childPid!, grandchildPid: grandchild! });
    });
  });
}

function ownRssBytes(pid: number): number {
  return parseVmRssBytes(fs.readFileSync(`/proc/${pid}/status`, 'latin1'));
}

const isLinux = process.platform === 'linux';

describe('process tree parsing (pure)', () => {
  it('parses /proc/<pid>/stat with spaces and parentheses in the command name', () => {
    const fields = [
      'S',
      '77',
      ...Array.from({ length: 9 }, () => '0'),
      '150',
      '50',
      ...Array.from({ length: 6 }, () => '0'),
      '12345',
      '0',
      '99',
    ];
    const stat = parseProcStat(`4242 (my (odd) name) ${fields.join(' ')}`);
    expect(stat).toEqual({ pid: 4242, ppid: 77, cpuTicks: 200, startTicks: 12345 });
    expect(parseProcStat('garbage')).toBeNull();
  });

  it('parses VmRSS and ps output, and walks a tree breadth-first', () => {
    expect(parseVmRssBytes('Name:\tx\nVmRSS:\t   2048 kB\n')).toBe(2048 * 1024);
    expect(parseVmRssBytes('Name:\tkthreadd\n')).toBe(0);
    expect(parsePsOutput('  1     0  100  0.5\n 10  1 2000 12.5\nbad line\n')).toEqual([
      { pid: 1, ppid: 0, rssBytes: 100 * 1024, cpuPercent: 0.5 },
      { pid: 10, ppid: 1, rssBytes: 2000 * 1024, cpuPercent: 12.5 },
    ]);
    const children = new Map([
      [1, [2, 3]],
      [2, [4]],
      [4, [1]],
    ]);
    expect(collectTree(1, children)).toEqual([1, 2, 3, 4]);
  });
});

describe.runIf(isLinux)('process tree sampler on a real tree (/proc)', () => {
  it('includes the grandchild, sums the RSS of every member and measures the tree CPU', async () => {
    const { childPid, grandchildPid } = await startTree(3000);
    const sampler = createProcessTreeSampler({ mode: 'proc' });
    const first = (await sampler.sample([childPid, 999_999_999])).get(childPid);
    expect(first).toBeDefined();
    expect(first!.pids).toEqual([childPid, grandchildPid]);

    await new Promise((resolve) => setTimeout(resolve, 500));
    const samples = await sampler.sample([childPid, 999_999_999]);
    expect(samples.has(999_999_999)).toBe(false);
    const tree = samples.get(childPid)!;
    const sum = ownRssBytes(childPid) + ownRssBytes(grandchildPid);
    expect(tree.pids).toContain(grandchildPid);
    expect(tree.rssBytes).toBeGreaterThanOrEqual(50 * 1024 * 1024);
    // RSS moves a little between reads; the tree's must be the members' sum within 5 %.
    expect(Math.abs(tree.rssBytes - sum) / sum).toBeLessThan(0.05);
    expect(tree.rssBytes).toBeGreaterThan(ownRssBytes(childPid));
    // The grandchild spins one core; on a loaded CI machine it still gets well over a third.
    expect(tree.cpuPercent).toBeGreaterThan(35);
    expect(tree.cpuPercent).toBeLessThan(200);
  });

  it('counts a process started between two samples with all its ticks', async () => {
    const sampler = createProcessTreeSampler({ mode: 'proc' });
    // The root is this test process; the tree grows a spinning grandchild after the first sample.
    await sampler.sample([process.pid]);
    const before = performance.now();
    const { grandchildPid } = await startTree(400);
    await new Promise((resolve) => setTimeout(resolve, 600));
    const tree = (await sampler.sample([process.pid])).get(process.pid)!;
    expect(tree.pids).toContain(grandchildPid);
    // ~400 ms of spinning over ≲ 1 s elapsed.
    expect(performance.now() - before).toBeLessThan(5000);
    expect(tree.cpuPercent).toBeGreaterThan(15);
  });
});

describe.runIf(isLinux && (fs.existsSync('/bin/ps') || fs.existsSync('/usr/bin/ps')))(
  'process tree sampler through ps (macOS fallback)',
  () => {
    it('finds the same tree and memory', async () => {
      const { childPid, grandchildPid } = await startTree(1000);
      const tree = (await createProcessTreeSampler({ mode: 'ps' }).sample([childPid])).get(childPid)!;
      expect(tree.pids).toEqual([childPid, grandchildPid]);
      expect(tree.rssBytes).toBeGreaterThanOrEqual(50 * 1024 * 1024);
      expect(tree.cpuPercent).toBeGreaterThanOrEqual(0);
    });
  },
);
