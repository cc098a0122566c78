/**
 * The PM2 daemon hook and its lifeline, with real processes: a stand-in for PM2's daemon
 * (`fixtures/fake-pm2/lib/Daemon.js`, with PM2's file names) is launched with the hook preloaded,
 * as `Pm2Manager` launches PM2's.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LIFELINE_ENV } from '../../../supervisor/process/daemon-hook.ts';
import { Lifeline } from '../../../supervisor/process/lifeline.ts';
import { preparePlainScript } from '../../../supervisor/process/plain-script.ts';
import { FIXTURES, isAlive, LaunchHarness, readPidFile, waitFor } from './launch-harness.ts';

const HOOK_SOURCE = fileURLToPath(new URL('../../../supervisor/process/daemon-hook.ts', import.meta.url));
const FAKE_DAEMON = path.join(FIXTURES, 'fake-pm2/lib/Daemon.js');

const harness = new LaunchHarness();
const daemons: ChildProcess[] = [];
let lifeline: Lifeline;
let hookUrl: string;

beforeEach(async () => {
  await harness.setup();
  lifeline = new Lifeline({ socketPath: path.join(harness.dir, 'lifeline.sock') });
  hookUrl = pathToFileURL(await preparePlainScript(HOOK_SOURCE, path.join(harness.dir, 'hook'))).href;
});
afterEach(async () => {
  for (const daemon of daemons.splice(0)) daemon.kill('SIGKILL');
  await lifeline.close();
  await harness.cleanup();
});

interface DaemonLine {
  event: string;
  [key: string]: unknown;
}

function startDaemon(main = FAKE_DAEMON, extraArgs: string[] = []) {
  const child = spawn(
    process.execPath,
    [main, path.join(FIXTURES, 'sleeper.mjs'), path.join(harness.dir, 'app'), ...extraArgs],
    {
      env: { ...process.env, NODE_OPTIONS: `--import=${hookUrl}`, [LIFELINE_ENV]: lifeline.socketPath },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  daemons.push(child);
  const lines: DaemonLine[] = [];
  let text = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    text += chunk;
    const parts = text.split('\n');
    text = parts.pop() ?? '';
    for (const part of parts) lines.push(JSON.parse(part) as DaemonLine);
  });
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, lines, stderr: () => stderr, exited };
}

async function appPids(): Promise<{ quiet: number; stubborn: number }> {
  const quiet = await readPidFile(path.join(harness.dir, 'app-quiet.pid'));
  const stubborn = await readPidFile(path.join(harness.dir, 'app-stubborn.pid'));
  harness.trackPid(quiet);
  harness.trackPid(stubborn);
  return { quiet, stubborn };
}

describe('PM2 daemon hook', () => {
  it('connects the lifeline, hides it and itself from the daemon’s children, and records how apps exit', async () => {
    await lifeline.listen();
    const daemon = startDaemon();
    const link = await lifeline.nextDaemon(10_000);
    expect(link.pid).toBe(daemon.child.pid);
    const started = await waitFor('the daemon to start', () =>
      daemon.lines.find((l) => l.event === 'started'),
    );
    expect(started.lifeline).toBeNull();
    expect(started.nodeOptions).toBe('');

    const { quiet } = await appPids();
    process.kill(quiet, 'SIGKILL');
    // PM2 passes code 0 for a process killed by a signal; the hook keeps the signal and the pid.
    const exit = await waitFor('the exit of "quiet"', () => daemon.lines.find((l) => l.event === 'exit'));
    expect(exit).toEqual({
      event: 'exit',
      name: 'quiet',
      exitCode: 0,
      signal: 'SIGKILL',
      info: { pid: quiet, signal: 'SIGKILL' },
    });
  });

  it('when its owner goes: stops every app’s group (SIGKILL after its kill timeout), then exits through PM2', async () => {
    await lifeline.listen();
    const daemon = startDaemon();
    await lifeline.nextDaemon(10_000);
    const { quiet, stubborn } = await appPids();

    const startedAt = Date.now();
    // As when the supervisor is killed: its end of the lifeline closes.
    await lifeline.close();
    expect(await daemon.exited).toBe(0);
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(450);
    expect(isAlive(quiet)).toBe(false);
    expect(isAlive(stubborn)).toBe(false);
    expect(daemon.lines.map((l) => l.event)).toContain('graceful exit');
    expect(daemon.stderr()).toContain(
      'the supervisor that owns this daemon is gone; stopping every server and the daemon',
    );
    expect(daemon.stderr()).toContain('stubborn ignored SIGTERM; killed it');
  });

  it('shuts down at once when its owner is gone before it could connect', async () => {
    // Nothing listens on the lifeline.
    const daemon = startDaemon();
    expect(await daemon.exited).toBe(0);
    const started = daemon.lines.find((l) => l.event === 'started');
    const apps = started?.apps as number[];
    expect(apps).toHaveLength(2);
    for (const pid of apps) expect(isAlive(pid)).toBe(false);
  });

  it('does nothing in a process that is not PM2’s daemon', async () => {
    await lifeline.listen();
    const other = path.join(harness.dir, 'lib', 'Other.js');
    const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 300)', other], {
      env: { ...process.env, NODE_OPTIONS: `--import=${hookUrl}`, [LIFELINE_ENV]: lifeline.socketPath },
      stdio: 'ignore',
    });
    daemons.push(child);
    const code = await new Promise((resolve) => child.once('exit', resolve));
    expect(code).toBe(0);
    await expect(lifeline.nextDaemon(200)).rejects.toMatchObject({ code: 'PROCESS_MANAGER' });
  });

  it('tells the supervisor at once when the daemon dies', async () => {
    await lifeline.listen();
    const daemon = startDaemon();
    const link = await lifeline.nextDaemon(10_000);
    await appPids();
    daemon.child.kill('SIGKILL');
    const startedAt = Date.now();
    await link.closed;
    expect(Date.now() - startedAt).toBeLessThan(1_000);
  });
});
