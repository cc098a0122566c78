import { useState } from 'preact/hooks';
import type { HostPoint, MetricsSummary } from '../api/types.ts';
import { Chart } from '../components/chart.tsx';
import { ErrorBanner, ViewHead, WindowPicker } from '../components/common.tsx';
import { usePoll } from '../components/hooks.ts';
import { formatPercent, formatTime, NONE } from '../lib/format.ts';
import { type ChartWindow, hostData, WINDOW_SPECS, withLivePoint } from '../lib/series.ts';
import { getApi, overview } from '../state/app-state.ts';
import { refreshMsOf } from './charts.tsx';

/** The machine: CPU, memory and load per core, now and over a window, with the alert thresholds. */
export function HostView() {
  const [window, setWindow] = useState<ChartWindow>('1h');
  const spec = WINDOW_SPECS[window];
  const now = usePoll(
    (signal) => getApi().get<MetricsSummary>('/api/metrics/summary?since=1m', { signal }),
    [],
    5_000,
  );
  const history = usePoll(
    (signal) =>
      getApi().get<{ points: HostPoint[] }>(`/api/metrics/host?since=${window}&step=${spec.sampleStep}`, {
        signal,
      }),
    [window],
    refreshMsOf(window),
  );
  const host = now.data?.host ?? null;
  const thresholds = overview.value?.thresholds ?? null;
  const data = hostData(history.data?.points ?? []);
  const start = Date.now() - spec.spanMs;
  // Between reloads of the history the latest sample moves the charts.
  const live = (chart: typeof data.cpu, value: number | null) =>
    host ? withLivePoint(chart, host.ts, [value], start) : chart;
  const tone = (value: number | null | undefined, threshold: number | undefined) =>
    value !== null && value !== undefined && threshold !== undefined && value >= threshold ? 'tone-bad' : '';
  return (
    <div>
      <ViewHead title="Host">
        <WindowPicker value={window} onChange={setWindow} />
      </ViewHead>
      <ErrorBanner message={now.error ?? history.error} />
      <section class="stat-grid live-data" aria-label="Host now">
        <div class={`stat ${tone(host?.cpuPercent, thresholds?.cpuPercent)}`}>
          <div class="label">CPU</div>
          <div class="value">{host ? formatPercent(host.cpuPercent) : NONE}</div>
        </div>
        <div class={`stat ${tone(host?.memPercent, thresholds?.memoryPercent)}`}>
          <div class="label">Memory in use</div>
          <div class="value">{host ? formatPercent(host.memPercent) : NONE}</div>
        </div>
        <div class={`stat ${tone(host?.loadPerCore, thresholds?.loadPerCore)}`}>
          <div class="label">Load per core</div>
          <div class="value">{host ? host.loadPerCore.toFixed(2) : NONE}</div>
        </div>
        <div class="stat">
          <div class="label">Load 1 / 5 / 15</div>
          <div class="value">
            {host ? `${host.load1.toFixed(2)} / ${host.load5.toFixed(2)} / ${host.load15.toFixed(2)}` : NONE}
          </div>
        </div>
        <div class="stat">
          <div class="label">Sampled</div>
          <div class="value">{host ? formatTime(host.ts) : NONE}</div>
        </div>
      </section>
      <div class="chart-grid">
        <Chart
          title="CPU"
          series={[{ label: 'CPU', color: '--chart-1', isFilled: true }]}
          data={live(data.cpu, host?.cpuPercent ?? null)}
          format={(v) => formatPercent(v)}
          minMax={100}
          thresholds={
            thresholds ? [{ value: thresholds.cpuPercent, label: `alert at ${thresholds.cpuPercent} %` }] : []
          }
        />
        <Chart
          title="Memory in use"
          series={[{ label: 'memory', color: '--chart-3', isFilled: true }]}
          data={live(data.memory, host?.memPercent ?? null)}
          format={(v) => formatPercent(v)}
          minMax={100}
          thresholds={
            thresholds
              ? [{ value: thresholds.memoryPercent, label: `alert at ${thresholds.memoryPercent} %` }]
              : []
          }
        />
        <Chart
          title="Load per core"
          series={[{ label: 'load / core', color: '--chart-4' }]}
          data={live(data.load, host?.loadPerCore ?? null)}
          format={(v) => v.toFixed(2)}
          thresholds={
            thresholds ? [{ value: thresholds.loadPerCore, label: `alert at ${thresholds.loadPerCore}` }] : []
          }
        />
      </div>
    </div>
  );
}
