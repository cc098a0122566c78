import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import { type ChartData, hasValues, lastValue } from '../lib/series.ts';

export interface ChartSeries {
  label: string;
  /** A CSS colour variable of the theme (`--chart-1`). */
  color: string;
  /** Stacks visually as a filled area (request rates) instead of a line. */
  isFilled?: boolean;
}

export interface ChartProps {
  title: string;
  series: readonly ChartSeries[];
  data: ChartData;
  /** How a y value reads (`12 %`, `3.2/s`); also used for the summary line under the title. */
  format: (value: number) => string;
  /** Alert thresholds, drawn as dashed lines with their label; the y range always shows them. */
  thresholds?: readonly { value: number; label: string }[];
  /** The y axis starts at 0 and reaches at least this. */
  minMax?: number;
  height?: number;
  /** What an empty chart says (default: no samples yet). */
  emptyText?: string;
}

function themeColor(name: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || '#888';
}

/** Current and peak of the first series, for the caption (what a person and a test read). */
function summaryOf(props: ChartProps): string {
  const first = (props.data[1] ?? []) as (number | null)[];
  const now = lastValue(first);
  const finite = first.filter((v): v is number => v !== null && Number.isFinite(v));
  if (now === null) return props.emptyText ? 'none' : 'no data in this window';
  return `now ${props.format(now)} · peak ${props.format(Math.max(...finite))}`;
}

/**
 * A uPlot time chart in a figure with a caption and a text summary (a canvas means nothing to a
 * screen reader; the summary does). Colours come from the theme's CSS variables and follow a
 * light/dark switch; the chart follows its container's width.
 */
export function Chart(props: ChartProps) {
  const holder = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const propsRef = useRef(props);
  propsRef.current = props;
  const height = props.height ?? 170;
  const isEmpty = !hasValues(props.data);
  const shape = `${props.series.map((s) => s.label).join('|')}:${isEmpty}`;

  // Rebuilt only when the series change; new data goes through setData below.
  useEffect(() => {
    const element = holder.current;
    if (!element || isEmpty) return;
    const build = () => {
      plot.current?.destroy();
      const current = propsRef.current;
      const grid = themeColor('--chart-grid');
      const text = themeColor('--muted');
      const thresholdColor = themeColor('--threshold');
      const options: uPlot.Options = {
        width: Math.max(200, element.clientWidth),
        height,
        legend: { show: true, live: true },
        cursor: { drag: { x: false, y: false }, points: { size: 6 } },
        scales: {
          x: { time: true },
          y: {
            range: (_u, _min, max) => {
              const thresholdMax = Math.max(0, ...(propsRef.current.thresholds ?? []).map((t) => t.value));
              const top = Math.max(max || 0, thresholdMax * 1.1, propsRef.current.minMax ?? 0, 1e-9);
              return [0, top * 1.05];
            },
          },
        },
        axes: [
          { stroke: text, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid } },
          {
            stroke: text,
            grid: { stroke: grid, width: 1 },
            ticks: { stroke: grid },
            size: 64,
            values: (_u, values) => values.map((v) => propsRef.current.format(v)),
          },
        ],
        series: [
          {},
          ...current.series.map((s) => {
            const color = themeColor(s.color);
            return {
              label: s.label,
              stroke: color,
              width: 1.6,
              ...(s.isFilled ? { fill: `${color}33` } : {}),
              spanGaps: false,
              points: { show: false },
              value: (_u: uPlot, v: number | null) => (v === null ? '—' : propsRef.current.format(v)),
            };
          }),
        ],
        hooks: {
          draw: [
            (u) => {
              const thresholds = propsRef.current.thresholds ?? [];
              if (thresholds.length === 0) return;
              const ctx = u.ctx;
              ctx.save();
              ctx.strokeStyle = thresholdColor;
              ctx.fillStyle = thresholdColor;
              ctx.setLineDash([6, 4]);
              ctx.lineWidth = devicePixelRatio;
              ctx.font = `${11 * devicePixelRatio}px system-ui, sans-serif`;
              for (const threshold of thresholds) {
                const y = Math.round(u.valToPos(threshold.value, 'y', true));
                ctx.beginPath();
                ctx.moveTo(u.bbox.left, y);
                ctx.lineTo(u.bbox.left + u.bbox.width, y);
                ctx.stroke();
                ctx.fillText(threshold.label, u.bbox.left + 4 * devicePixelRatio, y - 4 * devicePixelRatio);
              }
              ctx.restore();
            },
          ],
        },
      };
      plot.current = new uPlot(options, current.data as uPlot.AlignedData, element);
    };
    build();
    const resize = new ResizeObserver(() => {
      plot.current?.setSize({ width: Math.max(200, element.clientWidth), height });
    });
    resize.observe(element);
    const scheme = matchMedia('(prefers-color-scheme: dark)');
    scheme.addEventListener('change', build);
    return () => {
      resize.disconnect();
      scheme.removeEventListener('change', build);
      plot.current?.destroy();
      plot.current = null;
    };
  }, [shape, height]);

  useEffect(() => {
    plot.current?.setData(props.data as uPlot.AlignedData);
  }, [props.data]);

  const summary = summaryOf(props);
  return (
    <figure class="chart live-data" aria-label={`${props.title}: ${summary}`}>
      <figcaption>
        <span>{props.title}</span>
        <span class="summary">{summary}</span>
      </figcaption>
      {isEmpty ? (
        <div class="empty">{props.emptyText ?? 'No samples in this window yet.'}</div>
      ) : (
        <div class="plot" ref={holder} aria-hidden="true" />
      )}
      {props.thresholds && props.thresholds.length > 0 ? (
        <p class="visually-hidden">
          Alert threshold{props.thresholds.length > 1 ? 's' : ''}:{' '}
          {props.thresholds.map((t) => `${t.label} ${props.format(t.value)}`).join(', ')}
        </p>
      ) : null}
    </figure>
  );
}
