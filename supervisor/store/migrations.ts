import type Database from 'better-sqlite3';
import { SupervisorError } from '../shared/errors.ts';

/**
 * Schema migrations, applied in order. Step `i` (0-based) takes the database from
 * `user_version = i` to `user_version = i + 1`. Steps are append-only: a released step is never
 * edited, a change is a new step, so a database written by any earlier version can be brought up.
 */
export interface Migration {
  readonly description: string;
  readonly up: (db: Database) => void;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    description: 'raw requests, host and process samples, server events',
    up: (db) => {
      db.exec(`
        CREATE TABLE requests (
          ts INTEGER NOT NULL,
          server TEXT NOT NULL,
          method TEXT NOT NULL,
          tool TEXT,
          client TEXT,
          status TEXT NOT NULL CHECK (status IN ('ok', 'error', 'refused')),
          latency_ms REAL NOT NULL,
          error_code TEXT,
          reason TEXT
        );
        CREATE INDEX requests_ts ON requests (ts);
        CREATE INDEX requests_server_ts ON requests (server, ts);

        CREATE TABLE system_samples (
          ts INTEGER NOT NULL,
          cpu_percent REAL NOT NULL,
          mem_percent REAL NOT NULL,
          load1 REAL NOT NULL,
          load5 REAL NOT NULL,
          load15 REAL NOT NULL,
          load_per_core REAL NOT NULL
        );
        CREATE INDEX system_samples_ts ON system_samples (ts);

        CREATE TABLE process_samples (
          ts INTEGER NOT NULL,
          server TEXT NOT NULL,
          pid INTEGER,
          cpu_percent REAL,
          rss_bytes INTEGER,
          restarts INTEGER NOT NULL DEFAULT 0,
          uptime_ms INTEGER
        );
        CREATE INDEX process_samples_ts ON process_samples (ts);
        CREATE INDEX process_samples_server_ts ON process_samples (server, ts);

        CREATE TABLE server_events (
          ts INTEGER NOT NULL,
          server TEXT NOT NULL,
          kind TEXT NOT NULL
            CHECK (kind IN ('start', 'exit', 'restart', 'crash_loop', 'stop', 'reload', 'error')),
          detail TEXT,
          exit_code INTEGER
        );
        CREATE INDEX server_events_ts ON server_events (ts);
        CREATE INDEX server_events_server_ts ON server_events (server, ts);
      `);
    },
  },
  {
    description: 'per-minute request rollups with a latency histogram',
    up: (db) => {
      // `minute` is the start of the minute in ms since the epoch. `count` includes every request,
      // `errors` those the server failed, `refused` those the gateway turned away (limits, breaker).
      // `histogram` is a JSON array of bucket counts (see histogram.ts) of the requests that reached
      // the server (ok + error): refusals take microseconds and would drag the percentiles down.
      // `tool` is '' for requests without a tool so that it can be part of the primary key.
      db.exec(`
        CREATE TABLE request_rollups (
          server TEXT NOT NULL,
          tool TEXT NOT NULL,
          minute INTEGER NOT NULL,
          count INTEGER NOT NULL,
          errors INTEGER NOT NULL,
          refused INTEGER NOT NULL,
          latency_sum_ms REAL NOT NULL,
          histogram TEXT NOT NULL,
          PRIMARY KEY (server, tool, minute)
        );
        CREATE INDEX request_rollups_minute ON request_rollups (minute);
      `);
    },
  },
  {
    description: 'alerts',
    up: (db) => {
      db.exec(`
        CREATE TABLE alerts (
          id INTEGER PRIMARY KEY AUTOINCREMENT,
          key TEXT NOT NULL,
          rule TEXT NOT NULL,
          subject TEXT NOT NULL,
          severity TEXT NOT NULL,
          value REAL NOT NULL,
          threshold REAL NOT NULL,
          message TEXT NOT NULL,
          fired_at INTEGER NOT NULL,
          last_seen_at INTEGER NOT NULL,
          notified_at INTEGER NOT NULL,
          resolved_at INTEGER,
          suppressed_count INTEGER NOT NULL DEFAULT 0,
          acknowledged_at INTEGER
        );
        CREATE INDEX alerts_fired_at ON alerts (fired_at);
        -- At most one open alert per key; resolved ones are history.
        CREATE UNIQUE INDEX alerts_open_key ON alerts (key) WHERE resolved_at IS NULL;
      `);
    },
  },
  {
    description: 'gateway client keys (SHA-256 hashes, optional server scope)',
    up: (db) => {
      db.exec(`
        CREATE TABLE client_keys (
          id TEXT PRIMARY KEY,
          name TEXT NOT NULL,
          hash TEXT NOT NULL UNIQUE,
          prefix TEXT NOT NULL,
          servers TEXT,
          created_at INTEGER NOT NULL,
          revoked_at INTEGER,
          last_used_at INTEGER
        );
        CREATE INDEX client_keys_name ON client_keys (name);
      `);
    },
  },
  {
    description: 'alerts: one incident across flaps, and the state last notified',
    up: (db) => {
      // `refired_count`: times the condition cleared and came back inside the cooldown, counted on
      // the one incident instead of opening (and notifying) a new alert. `notified_state`: what the
      // last notification said, so a resolution inside the cooldown is told when it ends. Every
      // earlier version sent each resolution at once.
      db.exec(`
        ALTER TABLE alerts ADD COLUMN refired_count INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE alerts ADD COLUMN notified_state TEXT NOT NULL DEFAULT 'fired'
          CHECK (notified_state IN ('fired', 'resolved'));
        UPDATE alerts SET notified_state = 'resolved' WHERE resolved_at IS NOT NULL;
        CREATE INDEX alerts_key ON alerts (key, id);
      `);
    },
  },
];

export const SCHEMA_VERSION = MIGRATIONS.length;

export function schemaVersion(db: Database): number {
  return db.pragma('user_version', { simple: true }) as number;
}

/**
 * Brings the database to `toVersion` (default: the latest). Each step runs in its own transaction
 * together with its `user_version` bump, so a crash mid-migration leaves a consistent version.
 *
 * @returns the versions applied, in order.
 * @throws SupervisorError('STORE') if the database is newer than this program.
 */
export function migrate(db: Database, options: { toVersion?: number } = {}): number[] {
  const target = options.toVersion ?? SCHEMA_VERSION;
  if (!Number.isInteger(target) || target < 0 || target > SCHEMA_VERSION) {
    throw new RangeError(`toVersion must be an integer in 0..${SCHEMA_VERSION}, got ${target}`);
  }
  const current = schemaVersion(db);
  if (current > SCHEMA_VERSION) {
    throw new SupervisorError(
      'STORE',
      `the database ${db.name} has schema version ${current}, newer than this mcp-supervisor (${SCHEMA_VERSION}); upgrade mcp-supervisor or use another --home`,
      { details: { file: db.name, version: current, supported: SCHEMA_VERSION } },
    );
  }
  const applied: number[] = [];
  for (let version = current; version < target; version++) {
    const step = MIGRATIONS[version]!;
    db.transaction(() => {
      step.up(db);
      db.pragma(`user_version = ${version + 1}`);
    }).immediate();
    applied.push(version + 1);
  }
  return applied;
}
