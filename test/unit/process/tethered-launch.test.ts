import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hasLiveMembers, signalGroup } from '../../../supervisor/process/process-group.ts';
import { TETHER_FD, tetheredCommand } from '../../../supervisor/process/tethered-launch.ts';
import { FIXTURES, isAlive, LaunchHarness, readPidFile, waitFor } from './launch-harness.ts';

const STEP_MS = 200;
const harness = new LaunchHarness();
const groups: number[] = [];

beforeEach(() => harness.setup());
afterEach(async () => {
  for (const pgid of groups.splice(0)) signalGroup(pgid, 'SIGKILL');
  await harness.cleanup();
});

/** Spawns `command` tethered to this process, as the tool probe does. */
function spawnTethered(command: string, args: string[]): ChildProcess {
  const launch = tetheredCommand({ name: 'tether-test', command, args, stepMs: STEP_MS });
  const stdio: ('pipe' | 'ignore')[] = ['pipe', 'pipe', 'ignore'];
  stdio[TETHER_FD] = 'pipe';
  const child = spawn(launch.command, launch.args, { detached: true, stdio });
  groups.push(child.pid!);
  return child;
}

/** A command that ignores the end of its input and SIGTERM, and starts a grandchild that does too. */
function stubborn(pidFile: string): [string, string[]] {
  return [process.execPath, [path.join(FIXTURES, 'spawn-grandchild.mjs'), pidFile, '--ignore-term']];
}

async function groupGone(pgid: number): Promise<void> {
  await waitFor(
    `group ${pgid} to be empty`,
    async () => ((await hasLiveMembers(pgid)) ? undefined : true),
    10_000,
  );
}

describe('tetheredCommand', () => {
  it('runs the command itself as the spawned process, on its own stdio', async () => {
    const child = spawnTethered('cat', []);
    child.stdin!.write('hello\n');
    const [chunk] = (await once(child.stdout!, 'data')) as [Buffer];
    expect(chunk.toString()).toBe('hello\n');
    // The shell exec'd the command: the spawned pid is cat's, and the input's end ends it.
    expect(path.basename(await readCmd(child.pid!))).toBe('cat');
    child.stdin!.end();
    expect((await once(child, 'exit'))[0]).toBe(0);
    (child.stdio[TETHER_FD] as Writable).destroy();
    await groupGone(child.pid!);
  });

  it('ends the whole group, SIGKILL included, once the tether is closed', async () => {
    const pidFile = path.join(harness.dir, 'grandchild.pid');
    const child = spawnTethered(...stubborn(pidFile));
    const grandchild = await readPidFile(pidFile);
    harness.trackPid(grandchild);
    const exited = once(child, 'exit');
    const closedAt = Date.now();
    (child.stdio[TETHER_FD] as Writable).destroy();
    expect((await exited)[1]).toBe('SIGKILL');
    // One step after the input ended, SIGTERM (ignored); one more, SIGKILL.
    expect(Date.now() - closedAt).toBeGreaterThanOrEqual(2 * STEP_MS - 50);
    await groupGone(child.pid!);
    expect(isAlive(grandchild)).toBe(false);
  });

  it('ends the whole group when its owner is killed with SIGKILL', async () => {
    const pidFile = path.join(harness.dir, 'grandchild.pid');
    const [command, args] = stubborn(pidFile);
    const launch = tetheredCommand({ name: 'tether-test', command, args, stepMs: STEP_MS });
    // The owner spawns the tethered group, reports its pid and lives on until it is killed.
    const ownerScript = [
      "const { spawn } = require('node:child_process');",
      `const child = spawn(${JSON.stringify(launch.command)}, ${JSON.stringify(launch.args)},`,
      "  { detached: true, stdio: ['ignore', 'ignore', 'ignore', 'pipe'] });",
      "process.stdout.write(String(child.pid) + '\\n');",
      'setInterval(() => {}, 1000);',
    ].join('\n');
    const owner = spawn(process.execPath, ['-e', ownerScript], { stdio: ['ignore', 'pipe', 'ignore'] });
    harness.trackPid(owner.pid!);
    const [line] = (await once(owner.stdout!, 'data')) as [Buffer];
    const pgid = Number(line.toString().trim());
    groups.push(pgid);
    const grandchild = await readPidFile(pidFile);
    harness.trackPid(grandchild);
    owner.kill('SIGKILL');
    await once(owner, 'exit');
    expect(await hasLiveMembers(pgid)).toBe(true);
    await groupGone(pgid);
    expect(isAlive(grandchild)).toBe(false);
  });

  it('refuses a step that is not a positive number, naming it', () => {
    expect(() => tetheredCommand({ name: 'x', command: 'cat', args: [], stepMs: 0 })).toThrow(/stepMs/);
    expect(() => tetheredCommand({ name: 'x', command: 'cat', args: [], stepMs: Number.NaN })).toThrow(
      /stepMs/,
    );
  });
});

async function readCmd(pid: number): Promise<string> {
  return (await readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0')[0] ?? '';
}
