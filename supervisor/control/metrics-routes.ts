import type { MetricsSummary } from '../client/wire-types.ts';
import { summarizeServers } from '../metrics/summary.ts';
import type { MonitorSample } from '../monitor/monitor.ts';
import { SupervisorError } from '../shared/errors.ts';
import type { Queries } from '../store/queries.ts';
import { parseDuration, seriesRangeOf } from './query.ts';
import type { RouteGroup } from './router.ts';

export interface MetricsRoutesDeps {
  /** Names of the configured servers, in config order. */
  serverNames(): string[];
  /** The recorder: flushed before a summary so it includes the last second. */
  recorder: { flush(): unknown; readonly droppedEvents: number };
  monitor: { latest(): MonitorSample | null };
  queries: Queries;
  prometheus: { metricsText(): Promise<string>; readonly contentType: string };
}

/**
 * Metrics: `GET /metrics` (Prometheus text, public) and under `/api`:
 *
 * - `GET /metrics/summary?since=1h&server=S`   per-server totals and percentiles over a window
 * - `GET /metrics/series?server=S&since=1h&step=1m` (or `from`, `to` in ms)   request series
 * - `GET /metrics/host?since=1h&step=1m`        host CPU, memory, load series
 * - `GET /metrics/process?server=S&since=1h&step=1m`   one server's process-tree CPU and RSS series
 */
export function createMetricsRoutes(deps: MetricsRoutesDeps): RouteGroup {
  return {
    public: [
      {
        prefix: '/metrics',
        handler: async (_req, res) => {
          const text = await deps.prometheus.metricsText();
          res.writeHead(200, { 'content-type': deps.prometheus.contentType });
          res.end(text);
        },
      },
    ],
    api: [
      { method: 'GET', path: '/metrics/summary', handle: ({ url }) => summary(deps, url) },
      {
        method: 'GET',
        path: '/metrics/series',
        handle: ({ url }) => ({ points: deps.queries.series(seriesRangeOf(url)) }),
      },
      {
        method: 'GET',
        path: '/metrics/host',
        handle: ({ url }) => ({ points: deps.queries.hostSeries(seriesRangeOf(url)) }),
      },
      { method: 'GET', path: '/metrics/process', handle: ({ url }) => processSeries(deps, url) },
    ],
  };
}

/**
 * Per server over `since` (default 1h): requests, errors, refusals, p50/p95/p99 from the minute
 * rollups, plus current CPU/RSS — the table `mcp-supervisor metrics` prints.
 */
function summary(deps: MetricsRoutesDeps, url: Readonly<URL>): MetricsSummary {
  const to = Date.now();
  const sinceMs = parseDuration(url.searchParams.get('since') ?? '1h');
  const from = to - sinceMs;
  const only = url.searchParams.get('server') ?? undefined;
  const names = deps.serverNames().filter((name) => !only || name === only);
  if (only && names.length === 0) {
    throw new SupervisorError('UNKNOWN_SERVER', `no server named "${only}"`);
  }
  deps.recorder.flush();
  const latest = deps.monitor.latest();
  const servers = summarizeServers(deps.queries, names, { from, to }, (name) =>
    latest?.processes.find((p) => p.server === name),
  );
  return { from, to, servers, host: latest?.host ?? null, droppedEvents: deps.recorder.droppedEvents };
}

/** One server's process samples over the range: 400 without `?server=`, 404 for an unknown one. */
function processSeries(deps: MetricsRoutesDeps, url: Readonly<URL>) {
  const { server, ...range } = seriesRangeOf(url);
  if (!server) throw new SupervisorError('BAD_REQUEST', 'add ?server=NAME: whose process samples to chart');
  if (!deps.serverNames().includes(server))
    throw new SupervisorError('UNKNOWN_SERVER', `no server named "${server}"`);
  return { points: deps.queries.processSeries({ ...range, server }) };
}
