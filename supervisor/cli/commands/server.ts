import type { Command } from 'commander';
import { ControlClient } from '../../client/control-client.ts';
import type { ServerStatus } from '../../client/wire-types.ts';
import { homeOf, isJson } from '../context.ts';
import { print } from '../format.ts';

/** `server start|stop|restart NAME`. */
export function registerServer(program: Command): void {
  const server = program.command('server').description('start, stop or restart one server');
  for (const action of ['start', 'stop', 'restart'] as const) {
    server
      .command(`${action} <name>`)
      .description(`${action} one server`)
      .action(async (name: string, _options: unknown, command: Command) => {
        const body = await new ControlClient(homeOf(command)).request<{ server?: ServerStatus }>(
          'POST',
          `/api/servers/${encodeURIComponent(name)}/${action}`,
        );
        if (isJson(command)) print(body);
        else print(`${name}: ${body.server?.state ?? 'done'}`);
      });
  }
}
