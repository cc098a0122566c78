import type { HostSeriesPoint, ProcessSeriesPoint, RequestSeriesPoint } from '../client/wire-types.ts';
import { SupervisorError } from '../shared/errors.ts';
import { type AlertRecord, createAlertStore } from './alert-store.ts';
import { preparedCache, type Store } from './db.ts';
import { createHistogram, decodeHistogram, type Histogram, mergeHistogram, percentile } from './histogram.ts';
import type { ServerEventKind } from './types.ts';

const MINUTE_MS = 60_000;
/** A chart never needs more points than this; larger requests are a caller bug. */
const MAX_POINTS = 10_000;

export interface RangeQuery {
  /** Inclusive start, ms since the epoch. */
  from: number;
  /** Exclusive end, ms since the epoch. */
  to: number;
  stepMs: number;
}

export interface LatestProcessSample {
  server: string;
  ts: number;
  pid: number | null;
  cpuPercent: number | null;
  rssBytes: number | null;
  restarts: number;
  uptimeMs: number | null;
}

export interface ServerEventRow {
  ts: number;
  server: string;
  kind: ServerEventKind;
  detail: Record<string, unknown> | null;
  exitCode: number | null;
}

export interface Queries {
  /**
   * Requests per step from the minute rollups, all servers or one (and optionally one tool).
   * `stepMs` must be a multiple of 60 000. Every step in [from, to) is present, empty ones zeroed.
   * Data lags the live traffic by at most one flush (≤ 1 s).
   */
  series(query: RangeQuery & { server?: string; tool?: string }): RequestSeriesPoint[];
  /** The whole of [from, to) as one point: totals and percentiles over every minute rollup in it. */
  totals(query: { from: number; to: number; server?: string; tool?: string }): RequestSeriesPoint;
  /** Host samples averaged per step; every step present. */
  hostSeries(query: RangeQuery): HostSeriesPoint[];
  /** One server's process samples per step; every step present. */
  processSeries(query: RangeQuery & { server: string }): ProcessSeriesPoint[];
  /** The newest process sample of each server sampled at or after `since` (default: 10 min ago). */
  latestProcessSamples(options?: { since?: number; now?: number }): LatestProcessSample[];
  /** Servers with request rollups in [from, to), sorted. */
  recordedServers(query: { from: number; to: number }): string[];
  /** Server events at or after `since`, newest first. */
  events(options: { server?: string; since: number; limit?: number }): ServerEventRow[];
  firingAlerts(): AlertRecord[];
  alertHistory(options?: { since?: number; limit?: number }): AlertRecord[];
  /** Marks an alert acknowledged at `at` (default now); false if unknown or already acknowledged. */
  acknowledgeAlert(id: number, at?: number): boolean;
}

function steps(query: RangeQuery, name: string): { start: number; count: number } {
  const { from, to, stepMs } = query;
  if (!Number.isFinite(from) || !Number.isFinite(to) || to < from) {
    throw new SupervisorError('BAD_REQUEST', `${name}: "from" and "to" must be times with from ≤ to`, {
      details: { from, to },
    });
  }
  if (!Number.isInteger(stepMs) || stepMs <= 0) {
    throw new SupervisorError('BAD_REQUEST', `${name}: stepMs must be a positive integer, got ${stepMs}`);
  }
  const start = from - (from % stepMs);
  const count = Math.ceil((to - start) / stepMs);
  if (count > MAX_POINTS) {
    throw new SupervisorError(
      'BAD_REQUEST',
      `${name}: ${count} points requested; use a larger stepMs (at most ${MAX_POINTS} points)`,
    );
  }
  return { start, count };
}

export function createQueries(store: Store): Queries {
  const db = store.db;
  const alerts = createAlertStore(store);
  const prepared = preparedCache(db);

  /** Sums the minute rollups of [start, query.to) into `count` steps of `stepMs`. */
  function rollupPoints(
    query: { to: number; server?: string; tool?: string },
    start: number,
    stepMs: number,
    count: number,
  ): RequestSeriesPoint[] {
    const buckets = Array.from({ length: count }, (_, i) => ({
      ts: start + i * stepMs,
      count: 0,
      errors: 0,
      refused: 0,
      latencySumMs: 0,
      histogram: null as Histogram | null,
    }));
    let sql =
      'SELECT minute, count, errors, refused, latency_sum_ms, histogram FROM request_rollups WHERE minute >= ? AND minute < ?';
    const params: unknown[] = [start, query.to];
    if (query.server !== undefined) {
      sql += ' AND server = ?';
      params.push(query.server);
    }
    if (query.tool !== undefined) {
      sql += ' AND tool = ?';
      params.push(query.tool);
    }
    const rows = prepared(sql).all(...params) as {
      minute: number;
      count: number;
      errors: number;
      refused: number;
      latency_sum_ms: number;
      histogram: string;
    }[];
    for (const row of rows) {
      const bucket = buckets[Math.floor((row.minute - start) / stepMs)];
      if (!bucket) continue;
      bucket.count += row.count;
      bucket.errors += row.errors;
      bucket.refused += row.refused;
      bucket.latencySumMs += row.latency_sum_ms;
      bucket.histogram ??= createHistogram();
      mergeHistogram(bucket.histogram, decodeHistogram(row.histogram));
    }
    return buckets.map(({ histogram, latencySumMs, ...rest }) => {
      const options = { sumMs: latencySumMs };
      return {
        ...rest,
        p50Ms: histogram ? percentile(histogram, 50, options) : null,
        p95Ms: histogram ? percentile(histogram, 95, options) : null,
        p99Ms: histogram ? percentile(histogram, 99, options) : null,
      };
    });
  }

  /**
   * Runs `SELECT <step>, <selectFrom> GROUP BY step` and returns the rows by step index. JavaScript
   * numbers are bound as REAL, and REAL / REAL is a real division in SQLite: without the CAST every
   * sample off a step boundary got a fractional step and matched no point.
   */
  function stepRows<T>(
    selectFrom: string,
    params: readonly unknown[],
    start: number,
    stepMs: number,
  ): Map<number, T> {
    const rows = prepared(`SELECT CAST((ts - ?) / ? AS INTEGER) AS step, ${selectFrom} GROUP BY step`).all(
      start,
      stepMs,
      ...params,
    ) as (T & { step: number })[];
    return new Map(rows.map((row) => [row.step, row]));
  }

  return {
    series(query) {
      if (query.stepMs % MINUTE_MS !== 0) {
        throw new SupervisorError(
          'BAD_REQUEST',
          `series: stepMs must be a multiple of 60000 (rollups are per minute), got ${query.stepMs}`,
        );
      }
      const { start, count } = steps(query, 'series');
      return rollupPoints(query, start, query.stepMs, count);
    },

    totals(query) {
      const start = query.from - (query.from % MINUTE_MS);
      const span = Math.max(MINUTE_MS, query.to - start);
      const [point] = rollupPoints({ ...query }, start, span, 1);
      return point as RequestSeriesPoint;
    },

    hostSeries(query) {
      const { start, count } = steps(query, 'hostSeries');
      const byStep = stepRows<Omit<HostSeriesPoint, 'ts'>>(
        `avg(cpu_percent) AS cpuPercent, avg(mem_percent) AS memPercent, avg(load1) AS load1,
           avg(load5) AS load5, avg(load15) AS load15, avg(load_per_core) AS loadPerCore
         FROM system_samples WHERE ts >= ? AND ts < ?`,
        [start, query.to],
        start,
        query.stepMs,
      );
      return Array.from({ length: count }, (_, i) => {
        const row = byStep.get(i);
        return {
          ts: start + i * query.stepMs,
          cpuPercent: row?.cpuPercent ?? null,
          memPercent: row?.memPercent ?? null,
          load1: row?.load1 ?? null,
          load5: row?.load5 ?? null,
          load15: row?.load15 ?? null,
          loadPerCore: row?.loadPerCore ?? null,
        };
      });
    },

    processSeries(query) {
      const { start, count } = steps(query, 'processSeries');
      const byStep = stepRows<Omit<ProcessSeriesPoint, 'ts'>>(
        `avg(cpu_percent) AS cpuPercent, max(rss_bytes) AS rssBytes, max(restarts) AS restarts
         FROM process_samples WHERE server = ? AND ts >= ? AND ts < ?`,
        [query.server, start, query.to],
        start,
        query.stepMs,
      );
      return Array.from({ length: count }, (_, i) => {
        const row = byStep.get(i);
        return {
          ts: start + i * query.stepMs,
          cpuPercent: row?.cpuPercent ?? null,
          rssBytes: row?.rssBytes ?? null,
          restarts: row?.restarts ?? null,
        };
      });
    },

    latestProcessSamples(options = {}) {
      const since = options.since ?? (options.now ?? Date.now()) - 10 * MINUTE_MS;
      // SQLite returns the other columns of the row holding max(ts) for a bare max() aggregate.
      return prepared(
        `SELECT server, max(ts) AS ts, pid, cpu_percent AS cpuPercent, rss_bytes AS rssBytes, restarts,
           uptime_ms AS uptimeMs
         FROM process_samples WHERE ts >= ? GROUP BY server ORDER BY server`,
      ).all(since) as LatestProcessSample[];
    },

    recordedServers(query) {
      return prepared(
        'SELECT DISTINCT server FROM request_rollups WHERE minute >= ? AND minute < ? ORDER BY server',
      )
        .pluck()
        .all(query.from - (query.from % MINUTE_MS), query.to) as string[];
    },

    events(options) {
      const limit = options.limit ?? 100;
      const rows = (
        options.server === undefined
          ? prepared(
              'SELECT ts, server, kind, detail, exit_code FROM server_events WHERE ts >= ? ORDER BY ts DESC, rowid DESC LIMIT ?',
            ).all(options.since, limit)
          : prepared(
              'SELECT ts, server, kind, detail, exit_code FROM server_events WHERE server = ? AND ts >= ? ORDER BY ts DESC, rowid DESC LIMIT ?',
            ).all(options.server, options.since, limit)
      ) as {
        ts: number;
        server: string;
        kind: ServerEventKind;
        detail: string | null;
        exit_code: number | null;
      }[];
      return rows.map((row) => ({
        ts: row.ts,
        server: row.server,
        kind: row.kind,
        detail: row.detail === null ? null : (JSON.parse(row.detail) as Record<string, unknown>),
        exitCode: row.exit_code,
      }));
    },

    firingAlerts: () => alerts.firing(),
    alertHistory: (options) => alerts.history(options),
    acknowledgeAlert: (id, at) => alerts.acknowledge(id, at ?? Date.now()),
  };
}
