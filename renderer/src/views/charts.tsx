import { useMemo } from 'preact/hooks';
import type { ProcessPoint, RequestPoint, Thresholds } from '../api/types.ts';
import { Chart } from '../components/chart.tsx';
import { usePoll } from '../components/hooks.ts';
import { formatBytes, formatMs, formatPercent, formatRate } from '../lib/format.ts';
import {
  type ChartData,
  type ChartWindow,
  errorPercentData,
  latencyData,
  processData,
  requestRateData,
  WINDOW_SPECS,
} from '../lib/series.ts';
import { getApi } from '../state/app-state.ts';

const REFUSAL_COLORS = ['--chart-2', '--chart-3', '--chart-1', '--chart-4', '--muted'];

/** How often a window's charts are read again: short windows move, long ones barely do. */
export function refreshMsOf(window: ChartWindow): number {
  return window === '15m' || window === '1h' ? 10_000 : 60_000;
}

/**
 * A server's charts over a window: request rate (ok / errors / refused), refusals by reason,
 * p50/p95/p99 latency and error % with their alert thresholds, CPU and RSS of its process tree.
 */
export function ServerCharts(props: { server: string; window: ChartWindow; thresholds: Thresholds | null }) {
  const { server, window } = props;
  const spec = WINDOW_SPECS[window];
  const name = encodeURIComponent(server);
  const requests = usePoll(
    (signal) =>
      getApi().get<{ points: RequestPoint[] }>(
        `/api/metrics/series?server=${name}&since=${window}&step=${spec.requestStep}`,
        { signal },
      ),
    [server, window],
    refreshMsOf(window),
  );
  const refusals = usePoll(
    (signal) =>
      getApi().get<{
        stepMs: number;
        reasons: string[];
        points: { ts: number; counts: Record<string, number> }[];
      }>(`/api/requests/refusals?server=${name}&since=${window}&step=${spec.requestStep}`, { signal }),
    [server, window],
    refreshMsOf(window),
  );
  const samples = usePoll(
    (signal) =>
      getApi().get<{ points: ProcessPoint[] }>(
        `/api/metrics/process?server=${name}&since=${window}&step=${spec.sampleStep}`,
        { signal },
      ),
    [server, window],
    refreshMsOf(window),
  );
  // Chart data is rebuilt only when a load brings new points (a parent re-render must not redraw).
  const charts = useMemo(() => {
    const points = requests.data?.points ?? [];
    const stepMs = points.length > 1 ? (points[1]?.ts ?? 0) - (points[0]?.ts ?? 0) : 60_000;
    return {
      rates: requestRateData(points, stepMs),
      latency: latencyData(points),
      errors: errorPercentData(points),
    };
  }, [requests.data]);
  const process = useMemo(() => processData(samples.data?.points ?? []), [samples.data]);
  const refusalData = useMemo((): ChartData => {
    const data = refusals.data;
    return [
      (data?.points ?? []).map((p) => p.ts / 1_000),
      ...(data?.reasons ?? []).map((reason) =>
        (data?.points ?? []).map((p) => (p.counts[reason] ?? 0) / ((data?.stepMs ?? 60_000) / 1_000)),
      ),
    ];
  }, [refusals.data]);
  const thresholds = props.thresholds;
  return (
    <div class="chart-grid">
      <Chart
        title="Requests per second"
        series={[
          { label: 'ok', color: '--chart-1', isFilled: true },
          { label: 'errors', color: '--chart-2' },
          { label: 'refused', color: '--chart-3' },
        ]}
        data={charts.rates}
        format={formatRate}
      />
      <Chart
        title="Latency"
        series={[
          { label: 'p50', color: '--chart-4' },
          { label: 'p95', color: '--chart-1' },
          { label: 'p99', color: '--chart-3' },
        ]}
        data={charts.latency}
        format={formatMs}
        thresholds={thresholds ? [{ value: thresholds.responseTimeMs, label: 'p95 alert' }] : []}
      />
      <Chart
        title="Errors"
        series={[{ label: 'errors %', color: '--chart-2' }]}
        data={charts.errors}
        format={(v) => formatPercent(v)}
        thresholds={thresholds ? [{ value: thresholds.errorRatePercent, label: 'error rate alert' }] : []}
      />
      <Chart
        title="Refusals by reason (per second)"
        series={(refusals.data?.reasons ?? []).map((reason, i) => ({
          label: reason,
          color: REFUSAL_COLORS[i % REFUSAL_COLORS.length]!,
        }))}
        data={refusalData}
        format={formatRate}
        emptyText="No refusals in this window."
      />
      <Chart
        title="CPU (process tree, % of one core)"
        series={[{ label: 'CPU', color: '--chart-1' }]}
        data={process.cpu}
        format={(v) => formatPercent(v)}
      />
      <Chart
        title="Memory (process tree RSS)"
        series={[{ label: 'RSS', color: '--chart-3' }]}
        data={process.rss}
        format={(v) => formatBytes(v * 2 ** 20)}
      />
    </div>
  );
}
