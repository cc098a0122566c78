import { SupervisorError } from '../errors.ts';
import type { Queries } from '../store/queries.ts';

const MINUTE_MS = 60_000;
const DURATION_PATTERN = /^(\d+)(s|m|h|d)$/;

/** `90s`, `15m`, `1h`, `7d` → ms; a plain number is ms. Throws BAD_REQUEST otherwise. */
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

/** One row of `mcp-supervisor metrics`: a server's requests over a window, and its usage now. */
export interface ServerSummary {
  server: string;
  requests: number;
  errors: number;
  refused: number;
  /** Upper bounds of histogram buckets (see store/histogram.ts); null without served requests. */
  p50Ms: number | null;
  p95Ms: number | null;
  p99Ms: number | null;
  /** Of the running process tree; null when it is not running (or not sampled yet). */
  cpuPercent: number | null;
  rssBytes: number | null;
}

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
