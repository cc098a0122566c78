import type { TimelineEntry } from '../client/wire-types.ts';
import type { AlertSeverity } from './alert-store.ts';
import { preparedCache, type Store } from './db.ts';
import { SUPERVISOR_WIDE } from './server-events.ts';
import type { ServerEventKind } from './types.ts';

/** What a timeline entry is about: a server's lifecycle, an alert, or a config reload. */
export type TimelineCategory = 'server' | 'alert' | 'reload';

export interface TimelineQuery {
  /** Inclusive start, ms since the epoch. */
  since: number;
  /** Exclusive end; default: no end. */
  until?: number;
  categories?: readonly TimelineCategory[];
  /** Only entries about this server (alerts whose subject it is). */
  server?: string;
  /** At most this many entries, newest first; default 500, at most 5 000. */
  limit?: number;
}

const MAX_ENTRIES = 5_000;

interface EventRow {
  ts: number;
  server: string;
  kind: ServerEventKind;
  detail: string | null;
  exit_code: number | null;
}

interface AlertRow {
  id: number;
  key: string;
  rule: string;
  subject: string;
  severity: AlertSeverity;
  value: number;
  threshold: number;
  message: string;
  at: number;
  suppressed_count: number;
}

const EVENT_SEVERITY: Partial<Record<ServerEventKind, AlertSeverity>> = {
  exit: 'warning',
  restart: 'warning',
  error: 'warning',
  crash_loop: 'critical',
};

/**
 * "What happened last night": server lifecycle events, alert firings, resolutions and
 * acknowledgements, and config reloads, read from SQLite and merged newest first. Each source is
 * read with its own indexed range query bounded by `limit`, so the merge never reads more than
 * three times `limit` rows.
 */
export function createTimeline(store: Store) {
  const prepared = preparedCache(store.db);

  type Bounded = TimelineQuery & { limit: number };

  /** Server events (`reloads` false) or the reload events (true) of the range. */
  function events(query: Bounded, reloads: boolean): TimelineEntry[] {
    if (query.categories && !query.categories.includes(reloads ? 'reload' : 'server')) return [];
    const where = ['ts >= ?', 'ts < ?', reloads ? "kind = 'reload'" : "kind != 'reload'"];
    const params: unknown[] = [query.since, query.until ?? Number.MAX_SAFE_INTEGER];
    // A server filter keeps supervisor-wide reloads too: they changed that server's world.
    if (query.server !== undefined) {
      where.push(reloads ? '(server = ? OR server = ?)' : 'server = ?');
      params.push(query.server);
      if (reloads) params.push(SUPERVISOR_WIDE);
    }
    const rows = prepared(
      `SELECT ts, server, kind, detail, exit_code FROM server_events WHERE ${where.join(' AND ')}
       ORDER BY ts DESC, rowid DESC LIMIT ?`,
    ).all(...params, query.limit) as EventRow[];
    return rows.map(
      (row): TimelineEntry => ({
        ts: row.ts,
        category: row.kind === 'reload' ? 'reload' : 'server',
        type: row.kind,
        server: row.server === SUPERVISOR_WIDE ? null : row.server,
        severity: EVENT_SEVERITY[row.kind] ?? 'info',
        detail: row.detail === null ? null : (JSON.parse(row.detail) as Record<string, unknown>),
        exitCode: row.exit_code,
      }),
    );
  }

  /** Firings, resolutions and acknowledgements of alerts in the range, each its own entry. */
  function alerts(query: Bounded): TimelineEntry[] {
    if (query.categories && !query.categories.includes('alert')) return [];
    const out: TimelineEntry[] = [];
    const columns = [
      ['fired_at', 'alert.fired'],
      ['resolved_at', 'alert.resolved'],
      ['acknowledged_at', 'alert.acknowledged'],
    ] as const;
    for (const [column, type] of columns) {
      const serverFilter = query.server !== undefined ? 'AND subject = ?' : '';
      const rows = prepared(
        `SELECT id, key, rule, subject, severity, value, threshold, message, suppressed_count, ${column} AS at
         FROM alerts WHERE ${column} >= ? AND ${column} < ? ${serverFilter}
         ORDER BY ${column} DESC, id DESC LIMIT ?`,
      ).all(
        query.since,
        query.until ?? Number.MAX_SAFE_INTEGER,
        ...(query.server !== undefined ? [query.server] : []),
        query.limit,
      ) as AlertRow[];
      for (const row of rows) {
        out.push({
          ts: row.at,
          category: 'alert',
          type,
          server: row.subject === 'host' ? null : row.subject,
          severity: type === 'alert.fired' ? row.severity : 'info',
          detail: {
            alertId: row.id,
            key: row.key,
            rule: row.rule,
            subject: row.subject,
            message: row.message,
            value: row.value,
            threshold: row.threshold,
            repeats: row.suppressed_count,
          },
          exitCode: null,
        });
      }
    }
    return out;
  }

  return {
    /** Entries in [since, until), newest first, at most `limit`. */
    query(query: TimelineQuery): TimelineEntry[] {
      const limit = Math.min(MAX_ENTRIES, Math.max(1, Math.trunc(query.limit ?? 500)));
      const bounded = { ...query, limit };
      const merged = [...events(bounded, false), ...events(bounded, true), ...alerts(bounded)];
      // Stable: entries of one source keep their order when their times are equal.
      merged.sort((a, b) => b.ts - a.ts);
      return merged.slice(0, limit);
    },
  };
}

export type Timeline = ReturnType<typeof createTimeline>;
