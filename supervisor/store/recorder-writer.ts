import type Database from 'better-sqlite3';
import { createHistogram, decodeHistogram, encodeHistogram, mergeHistogram } from './histogram.ts';
import type { PendingWrites } from './pending-writes.ts';

/** Request rows per multi-row INSERT (9 parameters each; SQLite allows 32 766). */
const INSERT_BATCH = 64;

interface RollupRow {
  count: number;
  errors: number;
  refused: number;
  latency_sum_ms: number;
  histogram: string;
}

/**
 * Writes what a {@link PendingWrites} holds to SQLite: raw request rows, rollup rows merged
 * with what the table already has for their minute, samples and server events, all in ONE
 * immediate transaction (so rollups and raw events are committed together, or neither).
 * Statements are prepared once, on the first write.
 */
export class RecorderWriter {
  readonly #db: Database;
  #statements: ReturnType<typeof prepareStatements> | undefined;

  constructor(db: Database) {
    this.#db = db;
  }

  get isOpen(): boolean {
    return this.#db.open;
  }

  /** Throws (and commits nothing) when the database refuses the transaction. */
  write(pending: PendingWrites): void {
    this.#statements ??= prepareStatements(this.#db);
    const statements = this.#statements;
    this.#db
      .transaction(() => {
        // Rows go in INSERT_BATCH at a time: one statement call per batch costs a fraction of
        // one per row (better-sqlite3's per-call overhead dominated the flush).
        const appendRow = (values: unknown[], i: number) => {
          const event = pending.requestAt(i);
          values.push(
            event.ts,
            event.server,
            event.method,
            event.tool ?? null,
            event.client ?? null,
            event.status,
            event.latencyMs,
            event.errorCode ?? null,
            event.reason ?? null,
          );
          return values;
        };
        const size = pending.size;
        let i = 0;
        for (; i + INSERT_BATCH <= size; i += INSERT_BATCH) {
          const values: unknown[] = [];
          for (let j = i; j < i + INSERT_BATCH; j++) appendRow(values, j);
          statements.insertRequests.run(values);
        }
        for (; i < size; i++) statements.insertRequest.run(appendRow([], i));
        for (const delta of pending.rollups()) {
          const existing = statements.selectRollup.get(delta.server, delta.tool, delta.minute) as
            | RollupRow
            | undefined;
          const histogram = createHistogram();
          mergeHistogram(histogram, delta.histogram);
          let { count, errors, refused, latencySumMs } = delta;
          if (existing) {
            mergeHistogram(histogram, decodeHistogram(existing.histogram));
            count += existing.count;
            errors += existing.errors;
            refused += existing.refused;
            latencySumMs += existing.latency_sum_ms;
          }
          statements.upsertRollup.run(
            delta.server,
            delta.tool,
            delta.minute,
            count,
            errors,
            refused,
            latencySumMs,
            encodeHistogram(histogram),
          );
        }
        for (const s of pending.systemSamples()) {
          statements.insertSystem.run(
            s.ts,
            s.cpuPercent,
            s.memPercent,
            s.load1,
            s.load5,
            s.load15,
            s.loadPerCore,
          );
        }
        for (const s of pending.processSamples()) {
          statements.insertProcess.run(
            s.ts,
            s.server,
            s.pid,
            s.cpuPercent,
            s.rssBytes === null ? null : Math.round(s.rssBytes),
            s.restarts,
            s.uptimeMs === null ? null : Math.round(s.uptimeMs),
          );
        }
        for (const e of pending.serverEvents()) {
          statements.insertEvent.run(
            e.ts,
            e.server,
            e.kind,
            e.detail ? JSON.stringify(e.detail) : null,
            e.exitCode ?? null,
          );
        }
      })
      .immediate();
  }
}

function prepareStatements(db: Database) {
  const columns = '(ts, server, method, tool, client, status, latency_ms, error_code, reason)';
  const placeholders = '(?, ?, ?, ?, ?, ?, ?, ?, ?)';
  return {
    insertRequest: db.prepare(`INSERT INTO requests ${columns} VALUES ${placeholders}`),
    insertRequests: db.prepare(
      `INSERT INTO requests ${columns} VALUES ${Array(INSERT_BATCH).fill(placeholders).join(', ')}`,
    ),
    selectRollup: db.prepare(
      `SELECT count, errors, refused, latency_sum_ms, histogram FROM request_rollups
       WHERE server = ? AND tool = ? AND minute = ?`,
    ),
    upsertRollup: db.prepare(
      `INSERT INTO request_rollups (server, tool, minute, count, errors, refused, latency_sum_ms, histogram)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (server, tool, minute) DO UPDATE SET
         count = excluded.count, errors = excluded.errors, refused = excluded.refused,
         latency_sum_ms = excluded.latency_sum_ms, histogram = excluded.histogram`,
    ),
    insertSystem: db.prepare(
      `INSERT INTO system_samples (ts, cpu_percent, mem_percent, load1, load5, load15, load_per_core)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
    ),
    insertProcess: db.prepare(
      `INSERT INTO process_samples (ts, server, pid, cpu_percent, rss_bytes, restarts, uptime_ms)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
    ),
    insertEvent: db.prepare(
      `INSERT INTO server_events (ts, server, kind, detail, exit_code) VALUES (?, ?, ?, ?, ?)`,
    ),
  };
}
