/** How the console writes numbers, sizes and times for a person. Pure; `—` means "no value". */
import { durationUnitsMs } from '../../../supervisor/shared/duration.ts';

export const NONE = '—';

const SECOND = 1_000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** `45 s`, `12 min`, `3 h 20 min`, `2 d 4 h`; null, negative and NaN → `—`. */
export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms) || ms < 0) return NONE;
  if (ms < MINUTE) return `${Math.floor(ms / SECOND)} s`;
  if (ms < HOUR) return `${Math.floor(ms / MINUTE)} min`;
  if (ms < DAY) {
    const minutes = Math.floor((ms % HOUR) / MINUTE);
    return `${Math.floor(ms / HOUR)} h${minutes ? ` ${minutes} min` : ''}`;
  }
  const hours = Math.floor((ms % DAY) / HOUR);
  return `${Math.floor(ms / DAY)} d${hours ? ` ${hours} h` : ''}`;
}

/** Binary units, three significant digits: `512 B`, `12.3 MiB`, `1.20 GiB`. */
export function formatBytes(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined || !Number.isFinite(bytes) || bytes < 0) return NONE;
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  if (unit === 0) return `${Math.round(value)} B`;
  return `${value >= 100 ? value.toFixed(0) : value >= 10 ? value.toFixed(1) : value.toFixed(2)} ${units[unit]}`;
}

/** `12.3 %`; values above 100 (CPU of several cores) stay as they are. */
export function formatPercent(value: number | null | undefined, digits = 1): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return NONE;
  return `${value.toFixed(digits)} %`;
}

/** A latency: `0.4 ms`, `12 ms`, `1.25 s`, `7.0 s`, `2 min 5 s`. */
export function formatMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms) || ms < 0) return NONE;
  if (ms < 10) return `${ms.toFixed(1)} ms`;
  if (ms < SECOND) return `${Math.round(ms)} ms`;
  if (ms < 10 * SECOND) return `${(ms / SECOND).toFixed(2)} s`;
  if (ms < MINUTE) return `${(ms / SECOND).toFixed(1)} s`;
  return `${Math.floor(ms / MINUTE)} min ${Math.round((ms % MINUTE) / SECOND)} s`;
}

/** Requests per second: `0/s`, `0.30/s`, `12/s`, `1.2k/s`. */
export function formatRate(perSecond: number | null | undefined): string {
  if (perSecond === null || perSecond === undefined || !Number.isFinite(perSecond)) return NONE;
  if (perSecond === 0) return '0/s';
  if (perSecond < 1) return `${perSecond.toFixed(2)}/s`;
  if (perSecond < 100) return `${perSecond.toFixed(1)}/s`;
  if (perSecond < 1_000) return `${Math.round(perSecond)}/s`;
  return `${(perSecond / 1_000).toFixed(1)}k/s`;
}

/** Thousands separated with a thin space, as a person reads them: `100 000`. */
export function formatCount(count: number | null | undefined): string {
  if (count === null || count === undefined || !Number.isFinite(count)) return NONE;
  return Math.round(count)
    .toString()
    .replace(/\B(?=(\d{3})+(?!\d))/g, '\u202f');
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/** Local wall-clock time `14:03:07`. */
export function formatTime(ts: number | null | undefined): string {
  if (ts === null || ts === undefined || !Number.isFinite(ts)) return NONE;
  const d = new Date(ts);
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** Local `2026-01-31 14:03:07`. */
export function formatDateTime(ts: number | null | undefined): string {
  if (ts === null || ts === undefined || !Number.isFinite(ts)) return NONE;
  const d = new Date(ts);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${formatTime(ts)}`;
}

/** `just now`, `5 s ago`, `3 min ago`, `2 h ago`, `4 d ago` (future times: `in 5 s`). */
export function formatRelative(ts: number | null | undefined, now: number): string {
  if (ts === null || ts === undefined || !Number.isFinite(ts)) return NONE;
  const delta = now - ts;
  const magnitude = Math.abs(delta);
  if (magnitude < 2 * SECOND) return 'just now';
  const text =
    magnitude < MINUTE
      ? `${Math.floor(magnitude / SECOND)} s`
      : magnitude < HOUR
        ? `${Math.floor(magnitude / MINUTE)} min`
        : magnitude < DAY
          ? `${Math.floor(magnitude / HOUR)} h`
          : `${Math.floor(magnitude / DAY)} d`;
  return delta >= 0 ? `${text} ago` : `in ${text}`;
}

/** `15m`, `1h`, `24h`, `7d` → ms. */
export function durationMs(text: string): number {
  const ms = durationUnitsMs(text);
  if (ms === undefined) throw new RangeError(`"${text}" is not a duration like 15m, 1h or 7d`);
  return ms;
}
