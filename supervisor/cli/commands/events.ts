import type { Command } from 'commander';
import { ControlClient } from '../../client/control-client.ts';
import type { EventRow } from '../../client/wire-types.ts';
import { homeOf, isJson, windowQuery } from '../context.ts';
import { formatEventsTable, print, printError } from '../format.ts';
import { onlineOrRecorded } from '../online-or-recorded.ts';

/**
 * `events [--server S] [--since 24h]`: start, exit, restart, crash loop, stop per server; from the
 * database when the supervisor is stopped.
 */
export function registerEvents(program: Command): void {
  program
    .command('events')
    .description('server lifecycle events: start, exit, restart, crash loop, stop')
    .option('--server <name>', 'only this server')
    .option('--since <duration>', 'window', '24h')
    .action(async (options: { server?: string; since: string }, command: Command) => {
      const query = windowQuery(options);
      const paths = homeOf(command);
      const body: { events: EventRow[] } = await onlineOrRecorded(
        paths,
        () => new ControlClient(paths).request<{ events: EventRow[] }>('GET', `/api/events/history?${query}`),
        (recorded) => recorded.events(options),
        (note) => printError(note),
      );
      if (isJson(command)) return print(body);
      print(formatEventsTable(body.events, options.since));
    });
}
