import { z } from 'zod';
import { SupervisorError } from '../shared/errors.ts';

const MINUTE_MS = 60_000;
const DURATION_PATTERN = /^(\d+)(s|m|h|d)$/;

/** `90s`, `15m`, `1h`, `7d` → ms; a plain number is ms. */
export function parseDuration(text: string): number {
  if (/^\d+$/.test(text)) return Number(text);
  const match = DURATION_PATTERN.exec(text);
  if (!match)
    throw new SupervisorError('BAD_REQUEST', `"${text}" is not a duration; use e.g. 90s, 15m, 1h or 7d`);
  const unit = { s: 1_000, m: MINUTE_MS, h: 60 * MINUTE_MS, d: 24 * 60 * MINUTE_MS }[
    match[2] as 's' | 'm' | 'h' | 'd'
  ];
  return Number(match[1]) * unit;
}

const seriesQuerySchema = z.object({
  server: z.string().optional(),
  tool: z.string().optional(),
  since: z.string().optional(),
  from: z.coerce.number().optional(),
  to: z.coerce.number().optional(),
  step: z.string().optional(),
});

/** A time range of a series query, in ms since the epoch, with its step and filters. */
export interface SeriesRange {
  from: number;
  to: number;
  stepMs: number;
  server?: string;
  tool?: string;
}

/**
 * The range of `?since=1h` or `?from=&to=` (ms), `&step=1m` (default: about 60 points in whole
 * minutes, as rollups are per minute), `&server=`, `&tool=`.
 */
export function seriesRangeOf(url: Readonly<URL>): SeriesRange {
  const query = seriesQuerySchema.safeParse(Object.fromEntries(url.searchParams));
  if (!query.success)
    throw new SupervisorError('BAD_REQUEST', `bad series query: ${query.error.issues[0]?.message}`);
  const to = query.data.to ?? Date.now();
  const from = query.data.from ?? to - parseDuration(query.data.since ?? '1h');
  const stepMs = query.data.step ? parseDuration(query.data.step) : roundStep(to - from);
  const range: SeriesRange = { from, to, stepMs };
  if (query.data.server) range.server = query.data.server;
  if (query.data.tool) range.tool = query.data.tool;
  return range;
}

/** About 60 points, in whole minutes (rollups are per minute). */
function roundStep(spanMs: number): number {
  return Math.max(1, Math.ceil(spanMs / 60 / MINUTE_MS)) * MINUTE_MS;
}
