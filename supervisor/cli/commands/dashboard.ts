import type { Command } from 'commander';
import { ControlClient } from '../../client/control-client.ts';
import { readToken } from '../../client/token.ts';
import { homeOf, isJson } from '../context.ts';
import { print } from '../format.ts';

/** `dashboard`: the console's URL, the control token in its fragment (never sent over the wire). */
export function registerDashboard(program: Command): void {
  program
    .command('dashboard')
    .description('print the dashboard URL (with the control token in its fragment, never sent over the wire)')
    .action(async (_options: unknown, command: Command) => {
      const paths = homeOf(command);
      const client = new ControlClient(paths);
      await client.request('GET', '/api/status');
      const token = await readToken(paths.tokenFile);
      const url = `${await client.baseUrl()}/ui/#token=${token}`;
      print(isJson(command) ? { url } : url);
    });
}
