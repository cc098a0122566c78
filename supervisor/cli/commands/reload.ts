import type { Command } from 'commander';
import { ControlClient } from '../../client/control-client.ts';
import { homeOf, isJson } from '../context.ts';
import { formatReload, print } from '../format.ts';

/** `reload`: the running supervisor re-reads its config file. */
export function registerReload(program: Command): void {
  program
    .command('reload')
    .description('re-read the config file: start added, restart changed, stop removed servers')
    .action(async (_options: unknown, command: Command) => {
      const body = await new ControlClient(homeOf(command)).request<{ result: Record<string, unknown> }>(
        'POST',
        '/api/reload',
      );
      if (isJson(command)) return print(body);
      print(formatReload(body.result as { added?: string[]; removed?: string[]; changed?: string[] }));
    });
}
