import type { RequestRow } from '../client/wire-types.ts';
import { SupervisorError } from '../shared/errors.ts';
import { preparedCache, type Store } from './db.ts';
import type { RequestStatus } from './types.ts';

/** One raw request as the gateway recorded it (the `requests` table), as the API sends it. */
export type RequestLogRow = RequestRow;

export interface RequestLogQuery {
  /** Inclusive start, ms since the epoch; default: everything kept. */
  from?: number;
  /** Exclusive end, ms since the epoch; default: now and later. */
  to?: number;
  server?: string;
  tool?: string;
  method?: string;
  client?: string;
  status?: RequestStatus;
  errorCode?: string;
  /** Rows strictly older than this cursor (the `next` of the previous page). */
  before?: { ts: number; id: number };
  /** Rows per page, 1..MAX_PAGE_ROWS; default 200. */
  limit?: number;
}

export interface RequestLogPage {
  /** Newest first. */
  rows: RequestLogRow[];
  /** Cursor of the next (older) page, or null when this page is the last. */
  next: { ts: number; id: number } | null;
}

export const MAX_PAGE_ROWS = 5_000;

const EQUALITY_FILTERS = [
  ['server', 'server'],
  ['tool', 'tool'],
  ['method', 'method'],
  ['client', 'client'],
  ['status', 'status'],
  ['errorCode', 'error_code'],
] as const;

/**
 * Pages through the raw request log, newest first, with keyset pagination on (ts, rowid), so a
 * page costs the same at the millionth row as at the first and rows written meanwhile never
 * shift a page. Reads only; the recorder writes.
 */
export function createRequestLog(store: Store) {
  const prepared = preparedCache(store.db);

  return {
    /** @throws SupervisorError('BAD_REQUEST') for a limit outside 1..MAX_PAGE_ROWS. */
    query(query: RequestLogQuery = {}): RequestLogPage {
      const limit = query.limit ?? 200;
      if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE_ROWS) {
        throw new SupervisorError(
          'BAD_REQUEST',
          `limit must be an integer in 1..${MAX_PAGE_ROWS}, got ${limit}`,
        );
      }
      const where: string[] = [];
      const params: unknown[] = [];
      if (query.from !== undefined) {
        where.push('ts >= ?');
        params.push(query.from);
      }
      if (query.to !== undefined) {
        where.push('ts < ?');
        params.push(query.to);
      }
      for (const [field, column] of EQUALITY_FILTERS) {
        const value = query[field];
        if (value === undefined) continue;
        where.push(`${column} = ?`);
        params.push(value);
      }
      if (query.before) {
        where.push('(ts < ? OR (ts = ? AND rowid < ?))');
        params.push(query.before.ts, query.before.ts, query.before.id);
      }
      const sql = `SELECT rowid AS id, ts, server, method, tool, client, status, latency_ms AS latencyMs,
          error_code AS errorCode, reason, params, result
        FROM requests ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
        ORDER BY ts DESC, rowid DESC LIMIT ?`;
      // One more row than asked tells whether there is a next page without a COUNT.
      const rows = prepared(sql).all(...params, limit + 1) as RequestLogRow[];
      const page = rows.slice(0, limit);
      const last = page.at(-1);
      return { rows: page, next: rows.length > limit && last ? { ts: last.ts, id: last.id } : null };
    },

    /**
     * Refusals per step and reason (`queue_full`, `rate_limited`, …) over [from, to), from the raw
     * log (the rollups count refusals but not their reasons). Every step is present.
     */
    refusals(query: { from: number; to: number; stepMs: number; server?: string }): {
      reasons: string[];
      points: { ts: number; counts: Record<string, number> }[];
    } {
      const { from, to, stepMs } = query;
      if (!Number.isInteger(stepMs) || stepMs <= 0 || !(to >= from)) {
        throw new SupervisorError('BAD_REQUEST', 'refusals: need from ≤ to and a positive integer step');
      }
      const start = from - (from % stepMs);
      const count = Math.max(1, Math.ceil((to - start) / stepMs));
      if (count > MAX_PAGE_ROWS) {
        throw new SupervisorError('BAD_REQUEST', `refusals: ${count} points requested; use a larger step`);
      }
      // The alias is `refusal`, not `reason`: GROUP BY would take the table's own `reason` column.
      const rows = prepared(
        `SELECT CAST((ts - ?) / ? AS INTEGER) AS step, coalesce(error_code, 'unknown') AS refusal, count(*) AS n
         FROM requests WHERE status = 'refused' AND ts >= ? AND ts < ? ${query.server !== undefined ? 'AND server = ?' : ''}
         GROUP BY step, refusal`,
      ).all(start, stepMs, start, to, ...(query.server !== undefined ? [query.server] : [])) as {
        step: number;
        refusal: string;
        n: number;
      }[];
      const points = Array.from({ length: count }, (_, i) => ({
        ts: start + i * stepMs,
        counts: {} as Record<string, number>,
      }));
      const reasons = new Set<string>();
      for (const row of rows) {
        const point = points[row.step];
        if (!point) continue;
        point.counts[row.refusal] = row.n;
        reasons.add(row.refusal);
      }
      return { reasons: [...reasons].sort(), points };
    },

    /**
     * Servers and tools seen since `from`, from the minute rollups (far smaller than the raw
     * log), for the filter menus.
     */
    facets(from: number): { servers: string[]; tools: { server: string; tool: string }[] } {
      const rows = prepared(
        'SELECT DISTINCT server, tool FROM request_rollups WHERE minute >= ? ORDER BY server, tool',
      ).all(from - (from % 60_000)) as { server: string; tool: string }[];
      return {
        servers: [...new Set(rows.map((row) => row.server))],
        tools: rows.filter((row) => row.tool !== ''),
      };
    },
  };
}

export type RequestLog = ReturnType<typeof createRequestLog>;
