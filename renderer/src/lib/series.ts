import type { HostPoint, ProcessPoint, RequestPoint } from '../api/types.ts';

/** The chart windows a person picks from, and the step each one asks the API for. */
export const WINDOWS = ['15m', '1h', '24h', '7d'] as const;
export type ChartWindow = (typeof WINDOWS)[number];

const MINUTE = 60_000;

export const WINDOW_SPECS: Record<ChartWindow, { spanMs: number; requestStep: string; sampleStep: string }> =
  {
    // Request rollups are per minute: their steps are whole minutes. Samples come every few seconds.
    '15m': { spanMs: 15 * MINUTE, requestStep: '1m', sampleStep: '10s' },
    '1h': { spanMs: 60 * MINUTE, requestStep: '1m', sampleStep: '30s' },
    '24h': { spanMs: 24 * 60 * MINUTE, requestStep: '15m', sampleStep: '12m' },
    '7d': { spanMs: 7 * 24 * 60 * MINUTE, requestStep: '2h', sampleStep: '90m' },
  };

/** uPlot's data: x in seconds, then one array per series (null = gap). */
export type ChartData = [number[], ...(number | null)[][]];

const seconds = (ts: number) => ts / 1_000;

/** Requests per second, errors and refusals per second, per step. */
export function requestRateData(points: readonly RequestPoint[], stepMs: number): ChartData {
  const perSecond = (n: number) => n / (stepMs / 1_000);
  return [
    points.map((p) => seconds(p.ts)),
    points.map((p) => perSecond(p.count - p.errors - p.refused)),
    points.map((p) => perSecond(p.errors)),
    points.map((p) => perSecond(p.refused)),
  ];
}

/** p50 / p95 / p99 in ms per step (gaps where nothing was served). */
export function latencyData(points: readonly RequestPoint[]): ChartData {
  return [
    points.map((p) => seconds(p.ts)),
    points.map((p) => p.p50Ms),
    points.map((p) => p.p95Ms),
    points.map((p) => p.p99Ms),
  ];
}

/** Error percentage of served requests per step (refusals are shown apart). */
export function errorPercentData(points: readonly RequestPoint[]): ChartData {
  return [
    points.map((p) => seconds(p.ts)),
    points.map((p) => {
      const served = p.count - p.refused;
      return served > 0 ? (100 * p.errors) / served : null;
    }),
  ];
}

export function processData(points: readonly ProcessPoint[]): { cpu: ChartData; rss: ChartData } {
  const xs = points.map((p) => seconds(p.ts));
  return {
    cpu: [xs, points.map((p) => p.cpuPercent)],
    rss: [xs, points.map((p) => (p.rssBytes === null ? null : p.rssBytes / 2 ** 20))],
  };
}

export function hostData(points: readonly HostPoint[]): {
  cpu: ChartData;
  memory: ChartData;
  load: ChartData;
} {
  const xs = points.map((p) => seconds(p.ts));
  return {
    cpu: [xs, points.map((p) => p.cpuPercent)],
    memory: [xs, points.map((p) => p.memPercent)],
    load: [xs, points.map((p) => p.loadPerCore)],
  };
}

/**
 * Adds a live value to a chart's last point when it is newer, so a chart moves between reloads
 * of its history. Points older than the window's start fall off.
 */
export function withLivePoint(
  data: ChartData,
  tsMs: number,
  values: readonly (number | null)[],
  windowStartMs: number,
): ChartData {
  const x = seconds(tsMs);
  const xs = data[0];
  if (xs.length > 0 && x <= (xs[xs.length - 1] ?? 0)) return data;
  const keepFrom = xs.findIndex((value) => value >= seconds(windowStartMs));
  const from = keepFrom < 0 ? xs.length : keepFrom;
  return [
    [...xs.slice(from), x],
    ...data.slice(1).map((series, i) => [...(series as (number | null)[]).slice(from), values[i] ?? null]),
  ] as ChartData;
}

/** Whether a chart has anything to draw (not only nulls). */
export function hasValues(data: ChartData): boolean {
  return data
    .slice(1)
    .some((series) => (series as (number | null)[]).some((v) => v !== null && Number.isFinite(v)));
}

/**
 * An SVG path for a sparkline of `values` in a `width` × `height` box: gaps for nulls, the
 * series scaled to its own min/max (a flat series is drawn at mid-height).
 */
export function sparklinePath(values: readonly (number | null)[], width: number, height: number): string {
  const finite = values.filter((v): v is number => v !== null && Number.isFinite(v));
  if (finite.length === 0 || values.length === 0) return '';
  const min = Math.min(...finite);
  const max = Math.max(...finite);
  const span = max - min;
  const stepX = values.length > 1 ? width / (values.length - 1) : 0;
  let path = '';
  let run = 0;
  // A point alone (between gaps, or the first sample) is drawn as a dot: a zero-length line with
  // round caps.
  const endRun = () => {
    if (run === 1) path += 'h0';
    run = 0;
  };
  values.forEach((value, i) => {
    if (value === null || !Number.isFinite(value)) {
      endRun();
      return;
    }
    const x = (i * stepX).toFixed(1);
    const y = (span === 0 ? height / 2 : height - 1 - ((value - min) / span) * (height - 2)).toFixed(1);
    path += `${run > 0 ? 'L' : 'M'}${x} ${y}`;
    run++;
  });
  endRun();
  return path;
}

/** The last value that is not null, for a sparkline's label. */
export function lastValue(values: readonly (number | null)[]): number | null {
  for (let i = values.length - 1; i >= 0; i--) {
    const value = values[i];
    if (value !== null && value !== undefined && Number.isFinite(value)) return value;
  }
  return null;
}
