import type { Command } from 'commander';
import { ControlClient } from '../../client/control-client.ts';
import { homeOf, isJson } from '../context.ts';
import { formatReload, print, type ReloadResult } from '../format.ts';

/** `reload`: the running supervisor re-reads its config file. */
export function registerReload(program: Command): void {
  program
    .command('reload')
    .description(
      'apply the config file now: start added, restart changed, stop removed servers; returns once applied',
    )
    .action(async (_options: unknown, command: Command) => {
      // Returns once the change is applied: added servers may still be installing or starting.
      const body = await new ControlClient(homeOf(command)).request<{ result: ReloadResult }>(
        'POST',
        '/api/reload',
        { body: JSON.stringify({ trigger: 'cli' }) },
      );
      if (isJson(command)) return print(body);
      print(formatReload(body.result));
    });
}
