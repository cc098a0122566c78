import type { Command } from 'commander';
import { ControlClient } from '../../client/control-client.ts';
import { isProcessAlive, readState } from '../../client/state-file.ts';
import { SupervisorError } from '../../shared/errors.ts';
import { sleep } from '../../shared/timers.ts';
import { homeOf, isJson } from '../context.ts';
import { print } from '../format.ts';

/** `stop`: the clean stop, returning when the supervisor's process is gone. */
export function registerStop(program: Command): void {
  program
    .command('stop')
    .description('stop the running supervisor: servers, PM2 daemon, everything')
    .option('--timeout <ms>', 'how long to wait for the last process to go', '60000')
    .action(async (options: { timeout: string }, command: Command) => {
      const paths = homeOf(command);
      const state = await readState(paths.stateFile);
      await new ControlClient(paths).request('POST', '/api/stop');
      const deadline = Date.now() + Number(options.timeout);
      while (state && isProcessAlive(state.pid) && Date.now() < deadline) await sleep(100);
      if (state && isProcessAlive(state.pid)) {
        throw new SupervisorError(
          'TIMEOUT',
          `the supervisor (pid ${state.pid}) is still stopping after ${options.timeout} ms`,
        );
      }
      if (isJson(command)) print({ ok: true, stopped: state?.pid ?? null });
      else print('stopped');
    });
}
