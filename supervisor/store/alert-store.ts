import type Database from 'better-sqlite3';
import type { Store } from './db.ts';

export type AlertSeverity = 'info' | 'warning' | 'critical';

/** One row of `alerts`: an alert from its first firing to its resolution. */
export interface AlertRecord {
  id: number;
  /** `${rule}:${subject}`; at most one unresolved alert per key. */
  key: string;
  rule: string;
  subject: string;
  severity: AlertSeverity;
  value: number;
  threshold: number;
  message: string;
  firedAt: number;
  lastSeenAt: number;
  /** When the last notification was sent (the first firing, then each reminder or resolution). */
  notifiedAt: number;
  /** What that notification said; `fired` on a resolved alert means its resolution is still to tell. */
  notifiedState: 'fired' | 'resolved';
  resolvedAt: number | null;
  /** Firings counted but not sent since the last notification. */
  suppressedCount: number;
  /** Times the condition cleared and came back inside the cooldown: flaps of this one incident. */
  refiredCount: number;
  acknowledgedAt: number | null;
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
  fired_at: number;
  last_seen_at: number;
  notified_at: number;
  notified_state: 'fired' | 'resolved';
  resolved_at: number | null;
  suppressed_count: number;
  refired_count: number;
  acknowledged_at: number | null;
}

function fromRow(row: AlertRow): AlertRecord {
  return {
    id: row.id,
    key: row.key,
    rule: row.rule,
    subject: row.subject,
    severity: row.severity,
    value: row.value,
    threshold: row.threshold,
    message: row.message,
    firedAt: row.fired_at,
    lastSeenAt: row.last_seen_at,
    notifiedAt: row.notified_at,
    notifiedState: row.notified_state,
    resolvedAt: row.resolved_at,
    suppressedCount: row.suppressed_count,
    refiredCount: row.refired_count,
    acknowledgedAt: row.acknowledged_at,
  };
}

/** Persistence of alerts; the AlertEngine depends on this interface, tests may fake it. */
export interface AlertStore {
  /** Unresolved alerts, oldest first. */
  firing(): AlertRecord[];
  /**
   * The newest alert of each key that the engine still tracks, oldest first: unresolved ones,
   * resolved ones whose resolution was not notified yet, and ones notified at or after `since`
   * (their cooldown still runs, so a re-fire belongs to them).
   */
  tracked(since: number): AlertRecord[];
  /** Alerts fired at or after `since` (default: all), newest first. */
  history(options?: { since?: number; limit?: number }): AlertRecord[];
  /** Inserts a new alert and returns it with its id. */
  insert(alert: Omit<AlertRecord, 'id'>): AlertRecord;
  /** Writes the mutable fields of an existing alert. */
  update(alert: AlertRecord): void;
  /** Marks an alert acknowledged; false if there is no such unacknowledged alert. */
  acknowledge(id: number, at: number): boolean;
}

export function createAlertStore(store: Store): AlertStore {
  const db: Database = store.db;
  let statements: ReturnType<typeof prepare> | undefined;
  const prepare = () => ({
    firing: db.prepare('SELECT * FROM alerts WHERE resolved_at IS NULL ORDER BY fired_at, id'),
    tracked: db.prepare(
      `SELECT * FROM alerts WHERE id IN (SELECT max(id) FROM alerts GROUP BY key)
         AND (resolved_at IS NULL OR notified_state = 'fired' OR notified_at >= ?)
       ORDER BY fired_at, id`,
    ),
    history: db.prepare('SELECT * FROM alerts WHERE fired_at >= ? ORDER BY fired_at DESC, id DESC LIMIT ?'),
    insert: db.prepare(
      `INSERT INTO alerts (key, rule, subject, severity, value, threshold, message, fired_at, last_seen_at,
         notified_at, notified_state, resolved_at, suppressed_count, refired_count, acknowledged_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    update: db.prepare(
      `UPDATE alerts SET severity = ?, value = ?, threshold = ?, message = ?, last_seen_at = ?, notified_at = ?,
         notified_state = ?, resolved_at = ?, suppressed_count = ?, refired_count = ?, acknowledged_at = ?
       WHERE id = ?`,
    ),
    acknowledge: db.prepare('UPDATE alerts SET acknowledged_at = ? WHERE id = ? AND acknowledged_at IS NULL'),
  });
  const get = () => {
    statements ??= prepare();
    return statements;
  };
  return {
    firing: () => (get().firing.all() as AlertRow[]).map(fromRow),
    tracked: (since) => (get().tracked.all(since) as AlertRow[]).map(fromRow),
    history: (options = {}) =>
      (get().history.all(options.since ?? 0, options.limit ?? 100) as AlertRow[]).map(fromRow),
    insert(alert) {
      const result = get().insert.run(
        alert.key,
        alert.rule,
        alert.subject,
        alert.severity,
        alert.value,
        alert.threshold,
        alert.message,
        alert.firedAt,
        alert.lastSeenAt,
        alert.notifiedAt,
        alert.notifiedState,
        alert.resolvedAt,
        alert.suppressedCount,
        alert.refiredCount,
        alert.acknowledgedAt,
      );
      return { ...alert, id: Number(result.lastInsertRowid) };
    },
    update(alert) {
      get().update.run(
        alert.severity,
        alert.value,
        alert.threshold,
        alert.message,
        alert.lastSeenAt,
        alert.notifiedAt,
        alert.notifiedState,
        alert.resolvedAt,
        alert.suppressedCount,
        alert.refiredCount,
        alert.acknowledgedAt,
        alert.id,
      );
    },
    acknowledge: (id, at) => get().acknowledge.run(at, id).changes > 0,
  };
}
