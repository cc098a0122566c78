import type { Command } from 'commander';
import { ControlClient } from '../../client/control-client.ts';
import type { StatusBody } from '../../client/wire-types.ts';
import { homeOf, isJson } from '../context.ts';
import { formatClusterStatus, formatStatusTable, print } from '../format.ts';

/** `status`: one row per server. */
export function registerStatus(program: Command): void {
  program
    .command('status')
    .description('state, pid, uptime, restarts, CPU, RSS and tool count of each server (and the cluster)')
    .action(async (_options: unknown, command: Command) => {
      const body = await new ControlClient(homeOf(command)).request<StatusBody>('GET', '/api/status');
      if (isJson(command)) print(body);
      else {
        print(formatStatusTable(body.servers));
        if (body.cluster) print(`\n${formatClusterStatus(body.cluster)}`);
      }
    });
}
