import { SupervisorError } from '../shared/errors.ts';
import type { Store } from './db.ts';
import type { HostSeriesPoint, ProcessSeriesPoint } from './queries.ts';

export interface SampleRange {
  /** Inclusive start, ms since the epoch. */
  from: number;
  /** Exclusive end. */
  to: number;
  /** Width of a point, ms; any positive integer (samples are not per minute like the rollups). */
  stepMs: number;
}

/** A chart never needs more points than this. */
export const MAX_SAMPLE_POINTS = 2_000;

function stepsOf(range: SampleRange): { start: number; count: number } {
  const { from, to, stepMs } = range;
  if (!Number.isFinite(from) || !Number.isFinite(to) || to < from) {
    throw new SupervisorError('BAD_REQUEST', 'samples: "from" and "to" must be times with from ≤ to');
  }
  if (!Number.isInteger(stepMs) || stepMs <= 0) {
    throw new SupervisorError('BAD_REQUEST', `samples: step must be a positive number of ms, got ${stepMs}`);
  }
  const start = from - (from % stepMs);
  const count = Math.max(1, Math.ceil((to - start) / stepMs));
  if (count > MAX_SAMPLE_POINTS) {
    throw new SupervisorError(
      'BAD_REQUEST',
      `samples: ${count} points requested; use a larger step (at most ${MAX_SAMPLE_POINTS} points)`,
    );
  }
  return { start, count };
}

/**
 * Host and per-server process samples averaged per step, for the console's charts and sparklines.
 * The step index is computed with integer division in SQL (`CAST(… AS INTEGER)`): better-sqlite3
 * binds JS numbers as REAL, and `(ts - ?) / ?` on a REAL is a fraction that matches no step.
 * Every step of the range is present; a step without samples has nulls.
 */
export function createSampleQueries(store: Store) {
  const db = store.db;
  const hostStatement = db.prepare(
    `SELECT CAST((ts - ?) / ? AS INTEGER) AS step, avg(cpu_percent) AS cpuPercent, avg(mem_percent) AS memPercent,
       avg(load1) AS load1, avg(load5) AS load5, avg(load15) AS load15, avg(load_per_core) AS loadPerCore
     FROM system_samples WHERE ts >= ? AND ts < ? GROUP BY step`,
  );
  const processStatement = db.prepare(
    `SELECT server, CAST((ts - ?) / ? AS INTEGER) AS step, avg(cpu_percent) AS cpuPercent,
       max(rss_bytes) AS rssBytes, max(restarts) AS restarts
     FROM process_samples WHERE ts >= ? AND ts < ? GROUP BY server, step`,
  );

  return {
    host(range: SampleRange): HostSeriesPoint[] {
      const { start, count } = stepsOf(range);
      const rows = hostStatement.all(start, range.stepMs, start, range.to) as (Omit<HostSeriesPoint, 'ts'> & {
        step: number;
      })[];
      const byStep = new Map(rows.map((row) => [row.step, row]));
      return Array.from({ length: count }, (_, i) => {
        const row = byStep.get(i);
        return {
          ts: start + i * range.stepMs,
          cpuPercent: row?.cpuPercent ?? null,
          memPercent: row?.memPercent ?? null,
          load1: row?.load1 ?? null,
          load5: row?.load5 ?? null,
          load15: row?.load15 ?? null,
          loadPerCore: row?.loadPerCore ?? null,
        };
      });
    },

    /** Points per server (every server with a sample in the range, or only `servers`). */
    processes(range: SampleRange, servers?: readonly string[]): Map<string, ProcessSeriesPoint[]> {
      const { start, count } = stepsOf(range);
      const rows = processStatement.all(start, range.stepMs, start, range.to) as (Omit<
        ProcessSeriesPoint,
        'ts'
      > & { server: string; step: number })[];
      const wanted = servers ? new Set(servers) : undefined;
      const out = new Map<string, ProcessSeriesPoint[]>();
      for (const name of servers ?? []) out.set(name, emptyProcessSeries(start, range.stepMs, count));
      for (const row of rows) {
        if (wanted && !wanted.has(row.server)) continue;
        let points = out.get(row.server);
        if (!points) {
          points = emptyProcessSeries(start, range.stepMs, count);
          out.set(row.server, points);
        }
        const point = points[row.step];
        if (!point) continue;
        point.cpuPercent = row.cpuPercent;
        point.rssBytes = row.rssBytes;
        point.restarts = row.restarts;
      }
      return out;
    },
  };
}

function emptyProcessSeries(start: number, stepMs: number, count: number): ProcessSeriesPoint[] {
  return Array.from({ length: count }, (_, i) => ({
    ts: start + i * stepMs,
    cpuPercent: null,
    rssBytes: null,
    restarts: null,
  }));
}

export type SampleQueries = ReturnType<typeof createSampleQueries>;
