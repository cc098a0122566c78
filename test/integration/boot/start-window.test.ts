/**
 * Stopping at any instant of start-up (issue 9, item 4): SIGTERM to the foreground `start`, and
 * `stop` beside a `start -d`, at many points of the start window — before the home is claimed,
 * while the config loads, while PM2 launches, while the servers (npx-style, slow to speak) start.
 * Each point must end with a clean exit and zero processes under the home, at once.
 */
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { ControlClient } from '../../../supervisor/client/control-client.ts';
import { readState } from '../../../supervisor/client/state-file.ts';
import type { StatusBody } from '../../../supervisor/client/wire-types.ts';
import { EXIT_CODES } from '../../../supervisor/shared/errors.ts';
import {
  type CliResult,
  cleanupTempHomes,
  describeProcesses,
  processesUnder,
  runCli,
  sleep,
  spawnCli,
  tempHome,
  waitFor,
  withDeadline,
} from '../../helpers/index.ts';
import { npxStyleSlowServer } from './fixtures.ts';

afterEach(async () => {
  await cleanupTempHomes();
});

/** How many points of the start window are tried, from the spawn to the servers being online. */
const POINTS = 12;
/** The servers say nothing for this long after they were launched. */
const SERVER_DELAY_MS = 3_000;

interface Outcome {
  delayMs: number;
  /** What the stop looked like: exit code or signal of the supervisor (and of `stop`). */
  exit: string;
  isClean: boolean;
  left: string;
  leftCount: number;
}

async function writeSlowConfig(home: { path: string; paths: { configFile: string } }) {
  await writeFile(
    home.paths.configFile,
    JSON.stringify({
      mcpServers: {
        one: npxStyleSlowServer(home.path, 'one', SERVER_DELAY_MS),
        two: npxStyleSlowServer(home.path, 'two', SERVER_DELAY_MS),
      },
      supervisor: { port: 0 },
    }),
  );
}

function report(title: string, outcomes: Outcome[]): void {
  const lines = outcomes.map(
    (o) => `  ${String(o.delayMs).padStart(5)} ms: ${o.exit}; ${o.leftCount} process(es) left`,
  );
  const leaking = outcomes.filter((o) => o.leftCount > 0).length;
  const unclean = outcomes.filter((o) => !o.isClean).length;
  console.log(
    `${title}: processes left after stop at ${leaking} of ${outcomes.length} points, unclean exit at ${unclean}\n${lines.join('\n')}`,
  );
}

/**
 * Milliseconds from the spawn of `start` (or `start -d`) to the home being claimed (state file),
 * the control API listening, and both servers online, measured once on this machine as it is
 * loaded now: the points are spread over that window, so they cover every phase however slow
 * Node boots.
 */
async function startWindowMs(
  args: string[],
): Promise<{ claimMs: number; listenMs: number; onlineMs: number }> {
  const home = await tempHome();
  await writeSlowConfig(home);
  const spawnedAt = Date.now();
  const start = spawnCli(args, { home: home.path });
  let claimMs = 0;
  let listenMs = 0;
  let onlineMs = 0;
  try {
    await waitFor(
      async () => {
        const state = await readState(home.paths.stateFile);
        if (state && !claimMs) claimMs = Date.now() - spawnedAt;
        if (state?.port && !listenMs) listenMs = Date.now() - spawnedAt;
        if (!listenMs) return undefined;
        const body = await new ControlClient(home.paths).request<StatusBody>('GET', '/api/status');
        const isOnline = body.servers.length === 2 && body.servers.every((s) => s.state === 'online');
        if (isOnline) onlineMs = Date.now() - spawnedAt;
        return isOnline ? true : undefined;
      },
      { what: 'the calibration start', timeoutMs: 90_000, intervalMs: 20 },
    );
  } finally {
    const stop = await runCli(['stop'], { home: home.path }).catch(() => undefined);
    if (stop?.code !== 0) start.child.kill('SIGKILL');
    await withDeadline(start.exited, 60_000, 'the calibration stop').catch(() => start.child.kill('SIGKILL'));
    await home.cleanup();
  }
  return { claimMs, listenMs, onlineMs };
}

async function delaysMs(args: string[]): Promise<number[]> {
  const window = await startWindowMs(args);
  console.log(`start window of \`${args.join(' ')}\` on this machine now: ${JSON.stringify(window)}`);
  return Array.from({ length: POINTS }, (_, i) => Math.round((i * window.onlineMs) / (POINTS - 1)));
}

describe('stop at any instant of start-up (npx-style slow servers)', () => {
  it('SIGTERM to the foreground `start` at 12 points of the start window: exit 0, zero processes', async () => {
    const outcomes: Outcome[] = [];
    for (const delayMs of await delaysMs(['start'])) {
      const home = await tempHome();
      await writeSlowConfig(home);
      const start = spawnCli(['start'], { home: home.path });
      await sleep(delayMs);
      start.child.kill('SIGTERM');
      let exit: CliResult;
      try {
        exit = await withDeadline(start.exited, 45_000, `start stopped at ${delayMs} ms`);
      } catch (error) {
        start.child.kill('SIGKILL');
        exit = await start.exited;
        exit.stderr += `\n${String(error)}`;
      }
      const left = processesUnder(home.path);
      // Killed before Node ran a line of ours, it claimed nothing: that too is a clean outcome.
      const isClean =
        exit.code === 0 ||
        (exit.signal === 'SIGTERM' && !existsSync(home.paths.stateFile) && left.length === 0);
      outcomes.push({
        delayMs,
        exit: exit.signal ? `killed by ${exit.signal}` : `exit ${exit.code}`,
        isClean,
        left: describeProcesses(left),
        leftCount: left.length,
      });
      if (!isClean) outcomes.at(-1)!.exit += ` — stderr: ${exit.stderr.slice(-600)}`;
      await home.cleanup();
    }
    report('SIGTERM to `start`', outcomes);
    for (const outcome of outcomes) {
      expect(outcome.leftCount, `at ${outcome.delayMs} ms:\n${outcome.left}`).toBe(0);
      expect(outcome.isClean, `at ${outcome.delayMs} ms: ${outcome.exit}`).toBe(true);
    }
  }, 900_000);

  it('`stop` beside `start -d` at 12 points of the start window: both exit cleanly, zero processes', async () => {
    const outcomes: Outcome[] = [];
    for (const delayMs of await delaysMs(['start', '-d'])) {
      const home = await tempHome();
      await writeSlowConfig(home);
      const start = spawnCli(['start', '-d'], { home: home.path });
      await sleep(delayMs);
      let stop = await runCli(['stop', '--timeout', '40000'], { home: home.path, timeoutMs: 50_000 }).catch(
        (error: unknown): CliResult => ({ code: -1, signal: null, stdout: '', stderr: String(error) }),
      );
      const stops = [stop];
      // Asked before the supervisor had claimed the home, `stop` truly finds none; once `start -d`
      // is back, the next `stop` must work.
      if (stop.code === EXIT_CODES.NOT_RUNNING) {
        await withDeadline(start.exited, 60_000, '`start -d`').catch(() => undefined);
        stop = await runCli(['stop', '--timeout', '40000'], { home: home.path, timeoutMs: 50_000 }).catch(
          (error: unknown): CliResult => ({ code: -1, signal: null, stdout: '', stderr: String(error) }),
        );
        stops.push(stop);
      }
      const started = await withDeadline(start.exited, 60_000, '`start -d`').catch(
        (error: unknown): CliResult => {
          start.child.kill('SIGKILL');
          return { code: -1, signal: null, stdout: '', stderr: String(error) };
        },
      );
      const left = processesUnder(home.path);
      const isClean =
        stop.code === 0 &&
        (started.code === 0 || started.code === EXIT_CODES.NOT_RUNNING) &&
        !existsSync(home.paths.stateFile);
      outcomes.push({
        delayMs,
        exit: `stop ${stops.map((s) => `exit ${s.code}`).join(', then ')}; start -d exit ${started.code}`,
        isClean,
        left: describeProcesses(left),
        leftCount: left.length,
      });
      if (!isClean)
        outcomes.at(-1)!.exit +=
          ` — stop: ${stops.map((s) => s.stderr.trim()).join(' / ')}; start -d: ${started.stderr.trim().slice(-300)}`;
      await home.cleanup();
    }
    report('`stop` beside `start -d`', outcomes);
    for (const outcome of outcomes) {
      expect(outcome.leftCount, `at ${outcome.delayMs} ms:\n${outcome.left}`).toBe(0);
      expect(outcome.isClean, `at ${outcome.delayMs} ms: ${outcome.exit}`).toBe(true);
    }
  }, 1_200_000);
});
