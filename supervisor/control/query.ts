import { z } from 'zod';
import { durationUnitsMs } from '../shared/duration.ts';
import { SupervisorError } from '../shared/errors.ts';

const MINUTE_MS = 60_000;

/** `90s`, `15m`, `1h`, `7d` → ms; a plain number is ms. */
export function parseDuration(text: string): number {
  if (/^\d+$/.test(text)) return Number(text);
  const ms = durationUnitsMs(text);
  if (ms === undefined)
    throw new SupervisorError('BAD_REQUEST', `"${text}" is not a duration; use e.g. 90s, 15m, 1h or 7d`);
  return ms;
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

/** `?since=1h` or `?from=&to=` (ms) of a query that is not a rollup series. */
export const sinceSchema = z.object({
  since: z.string().optional(),
  from: z.coerce.number().optional(),
  to: z.coerce.number().optional(),
});

/**
 * The query string of `url` as `schema` reads it; a bad one is a BAD_REQUEST naming `what` and
 * the first field at fault (`bad requests query: status: Invalid option …`).
 */
export function parseQuery<T extends z.ZodType>(schema: T, url: Readonly<URL>, what: string): z.infer<T> {
  const result = schema.safeParse(Object.fromEntries(url.searchParams));
  if (!result.success) {
    const issue = result.error.issues[0];
    const field = issue?.path.join('.') ?? '';
    throw new SupervisorError(
      'BAD_REQUEST',
      `bad ${what} query: ${field ? `${field}: ` : ''}${issue?.message}`,
    );
  }
  return result.data;
}

/** [from, to) of a `since`/`from`/`to` query, `defaultSince` back from `now` when none is given. */
export function rangeOf(
  query: z.infer<typeof sinceSchema>,
  now: number,
  defaultSince: string,
): { from: number; to: number } {
  const to = query.to ?? now;
  const from = query.from ?? to - parseDuration(query.since ?? defaultSince);
  return { from, to };
}
