import { lastValue, sparklinePath } from '../lib/series.ts';

const WIDTH = 64;
const HEIGHT = 18;

/** A tiny trend line with its current value; the label says what a sighted reader sees. */
export function Sparkline(props: {
  values: readonly (number | null)[];
  format: (value: number) => string;
  label: string;
  kind: 'cpu' | 'rss';
  /** The value now; omitted: the last sample; null: not running (shown as —). */
  current?: number | null;
}) {
  const now = props.current === undefined ? lastValue(props.values) : props.current;
  const path = sparklinePath(props.values, WIDTH, HEIGHT);
  const text = now === null ? '—' : props.format(now);
  return (
    <span class={`spark ${props.kind}`}>
      <svg
        width={WIDTH}
        height={HEIGHT}
        viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
        role="img"
        aria-label={`${props.label} over 15 minutes`}
      >
        {path ? <path d={path} /> : null}
      </svg>
      <span>{text}</span>
    </span>
  );
}
