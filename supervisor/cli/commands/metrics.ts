import type { Command } from 'commander';
import { ControlClient } from '../../client/control-client.ts';
import type { MetricsSummary } from '../../client/wire-types.ts';
import { homeOf, isJson, windowQuery } from '../context.ts';
import { formatMetricsTable, print, printError } from '../format.ts';
import { onlineOrRecorded } from '../online-or-recorded.ts';

/**
 * `metrics [--server S] [--since 1h]`: requests, errors, percentiles, CPU and RSS per server; from
 * the database when the supervisor is stopped.
 */
export function registerMetrics(program: Command): void {
  program
    .command('metrics')
    .description('requests, errors, latency percentiles, CPU and RSS per server')
    .option('--server <name>', 'only this server')
    .option('--since <duration>', 'window: 15m, 1h, 7d …', '1h')
    .action(async (options: { server?: string; since: string }, command: Command) => {
      const query = windowQuery(options);
      const paths = homeOf(command);
      const body: MetricsSummary = await onlineOrRecorded(
        paths,
        () => new ControlClient(paths).request<MetricsSummary>('GET', `/api/metrics/summary?${query}`),
        (recorded) => recorded.summary(options),
        (note) => printError(note),
      );
      if (isJson(command)) return print(body);
      print(formatMetricsTable(body, options.since));
    });
}
