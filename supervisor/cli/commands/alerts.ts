import type { Command } from 'commander';
import { ControlClient, readEventStream } from '../../client/control-client.ts';
import type { AlertRow } from '../../client/wire-types.ts';
import { isAbortError } from '../../shared/timers.ts';
import { homeOf, isJson } from '../context.ts';
import { formatAlertEvent, formatAlertsTable, print } from '../format.ts';

/** `alerts [-f] [--all]`: firing alerts (history with --all); -f follows them live. */
export function registerAlerts(program: Command): void {
  program
    .command('alerts')
    .description('firing alerts (--all: history); -f follows new ones')
    .option('--all', 'resolved alerts too')
    .option('-f, --follow', 'print alerts as they fire and resolve')
    .action(async (options: { all?: boolean; follow?: boolean }, command: Command) => {
      const client = new ControlClient(homeOf(command));
      const json = isJson(command);
      const body = await client.request<{ alerts: AlertRow[] }>(
        'GET',
        `/api/alerts${options.all ? '?all=true' : ''}`,
      );
      if (json) print(options.follow ? JSON.stringify(body) : body);
      else print(formatAlertsTable(body.alerts));
      if (!options.follow) return;
      const abort = new AbortController();
      process.once('SIGINT', () => abort.abort());
      const response = await client.fetch('GET', '/api/events', { signal: abort.signal });
      await readEventStream(response, (event, data) => {
        if (event !== 'alert') return;
        const { type, alert } = data as { type: string; alert: AlertRow };
        print(json ? JSON.stringify(data) : formatAlertEvent(type, alert));
      }).catch((error: unknown) => {
        if (!isAbortError(error)) throw error;
      });
    });
}
