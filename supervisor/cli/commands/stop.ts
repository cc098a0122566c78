import type { Command } from 'commander';
import { ControlClient } from '../../client/control-client.ts';
import { lockHolder } from '../../client/home-lock.ts';
import { isProcessAlive, readState } from '../../client/state-file.ts';
import { isSupervisorError, SupervisorError } from '../../shared/errors.ts';
import type { HomePaths } from '../../shared/home.ts';
import { sleep } from '../../shared/timers.ts';
import { homeOf, isJson } from '../context.ts';
import { print } from '../format.ts';

/**
 * How often `stop` looks whether the supervisor's process is gone (`isProcessAlive`: a zombie
 * counts as gone): the stop's own time is what it waits for, so it notices the exit within this.
 */
const EXIT_POLL_MS = 20;

/** `stop`: the clean stop, returning when the supervisor's process is gone. */
export function registerStop(program: Command): void {
  program
    .command('stop')
    .description('stop the running supervisor: servers, PM2 daemon, everything')
    .option('--timeout <ms>', 'how long to wait for the last process to go', '60000')
    .action(async (options: { timeout: string }, command: Command) => {
      const paths = homeOf(command);
      const pid = await requestStop(paths);
      const deadline = Date.now() + Number(options.timeout);
      while (isProcessAlive(pid) && Date.now() < deadline) await sleep(EXIT_POLL_MS);
      if (isProcessAlive(pid)) {
        throw new SupervisorError(
          'TIMEOUT',
          `the supervisor (pid ${pid}) is still stopping after ${options.timeout} ms`,
        );
      }
      if (isJson(command)) print({ ok: true, stopped: pid });
      else print('stopped');
    });
}

/**
 * Asks the supervisor that holds the home to stop, and resolves with its pid. From the instant it
 * claims the home that works: through the control API once it listens, and until then (or when
 * the API does not answer) by SIGTERM to the pid its state file names — only while it holds the
 * home's lock, so a stale file's pid, maybe reused by now, is never signalled.
 */
async function requestStop(paths: HomePaths): Promise<number> {
  const holder = await lockHolder(paths);
  const state = holder ?? (await readState(paths.stateFile));
  const notRunning = new SupervisorError(
    'NOT_RUNNING',
    `no supervisor is running for home ${paths.root}; start one with: mcp-supervisor start --home ${paths.root}`,
  );
  if (!state) throw notRunning;
  if (state.port > 0) {
    try {
      await new ControlClient(paths).request('POST', '/api/stop', { signal: AbortSignal.timeout(10_000) });
      return state.pid;
    } catch (error) {
      // Not listening (yet, or any more), or not answering: the signal does the same.
      if (!holder && isSupervisorError(error, 'NOT_RUNNING')) throw notRunning;
      if (!holder) throw error;
    }
  }
  if (!holder) throw notRunning;
  try {
    process.kill(holder.pid, 'SIGTERM');
  } catch {
    // It exited meanwhile.
  }
  return holder.pid;
}
