import type { ServerSummary } from '../client/wire-types.ts';
import type { Queries } from '../store/queries.ts';

/**
 * The summary rows of `servers` over [from, to), from the minute rollups: the same figures
 * whether the running supervisor answers or the CLI reads the database of a stopped one.
 * `usage` gives the current CPU/RSS of a server, if it runs.
 */
export function summarizeServers(
  queries: Queries,
  servers: readonly string[],
  window: { from: number; to: number },
  usage: (server: string) => { cpuPercent: number | null; rssBytes: number | null } | undefined = () =>
    undefined,
): ServerSummary[] {
  return servers.map((server) => {
    const total = queries.totals({ server, from: window.from, to: window.to });
    const now = usage(server);
    return {
      server,
      requests: total.count,
      errors: total.errors,
      refused: total.refused,
      p50Ms: total.p50Ms,
      p95Ms: total.p95Ms,
      p99Ms: total.p99Ms,
      cpuPercent: now?.cpuPercent ?? null,
      rssBytes: now?.rssBytes ?? null,
    };
  });
}
