import type { Command } from 'commander';
import { ControlClient, readEventStream } from '../../client/control-client.ts';
import type { AlertRow } from '../../client/wire-types.ts';
import { isAbortError } from '../../shared/timers.ts';
import { homeOf, isJson } from '../context.ts';
import { formatAlertEvent, formatAlertsTable, print, printError } from '../format.ts';
import { onlineOrRecorded } from '../online-or-recorded.ts';

/**
 * `alerts [-f] [--all]`: firing alerts (history with --all); -f follows them live. With the
 * supervisor stopped, the alerts it recorded (and no following: nothing fires).
 */
export function registerAlerts(program: Command): void {
  program
    .command('alerts')
    .description('firing alerts (--all: history); -f follows new ones')
    .option('--all', 'resolved alerts too')
    .option('-f, --follow', 'print alerts as they fire and resolve')
    .action(async (options: { all?: boolean; follow?: boolean }, command: Command) => {
      const paths = homeOf(command);
      const client = new ControlClient(paths);
      const json = isJson(command);
      let isStopped = false;
      const body: { alerts: AlertRow[] } = await onlineOrRecorded(
        paths,
        () => client.request<{ alerts: AlertRow[] }>('GET', `/api/alerts${options.all ? '?all=true' : ''}`),
        (recorded) => recorded.alerts({ all: options.all === true }),
        (note) => {
          isStopped = true;
          printError(note);
        },
      );
      if (json) print(options.follow ? JSON.stringify(body) : body);
      else print(formatAlertsTable(body.alerts));
      if (!options.follow) return;
      if (isStopped) return printError('not following: no alert fires while the supervisor is stopped');
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
