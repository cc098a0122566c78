import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { isSupervisorError } from '../../../supervisor/shared/errors.ts';
import { openStore } from '../../../supervisor/store/db.ts';
import { MIGRATIONS, migrate, SCHEMA_VERSION, schemaVersion } from '../../../supervisor/store/migrations.ts';
import { useTempStores } from './helpers.ts';

const EXPECTED_TABLES = [
  'alerts',
  'client_keys',
  'process_samples',
  'request_rollups',
  'requests',
  'server_events',
  'system_samples',
];

function tables(db: Database): string[] {
  return (
    db
      .prepare(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
      )
      .all() as { name: string }[]
  ).map((row) => row.name);
}

describe('migrations', () => {
  const temp = useTempStores();

  it('has more than one step, so upgrades from earlier versions are exercised', () => {
    expect(MIGRATIONS.length).toBeGreaterThanOrEqual(2);
    expect(SCHEMA_VERSION).toBe(MIGRATIONS.length);
  });

  it('creates the whole schema in an empty file, with WAL and NORMAL sync', () => {
    const store = temp.open();
    expect(schemaVersion(store.db)).toBe(SCHEMA_VERSION);
    expect(tables(store.db)).toEqual(EXPECTED_TABLES);
    expect(store.db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(store.db.pragma('synchronous', { simple: true })).toBe(1);
    expect(store.db.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(store.db.pragma('busy_timeout', { simple: true })).toBe(5000);
  });

  for (let version = 0; version < SCHEMA_VERSION; version++) {
    it(`upgrades a database at version ${version} and keeps its rows`, () => {
      const dir = temp.dir();
      const file = path.join(dir, 'old.db');
      const old = openStore(file, { toVersion: version });
      expect(schemaVersion(old.db)).toBe(version);
      if (version >= 1) {
        old.db
          .prepare(
            "INSERT INTO requests (ts, server, method, status, latency_ms) VALUES (1, 'a', 'm', 'ok', 5)",
          )
          .run();
      }
      old.close();

      const store = openStore(file);
      try {
        expect(schemaVersion(store.db)).toBe(SCHEMA_VERSION);
        expect(tables(store.db)).toEqual(EXPECTED_TABLES);
        expect(store.db.prepare('SELECT count(*) FROM requests').pluck().get()).toBe(version >= 1 ? 1 : 0);
        // The upgraded schema works: a rollup and an alert can be written.
        store.db.prepare("INSERT INTO request_rollups VALUES ('a', '', 0, 1, 0, 0, 5, '[1]')").run();
        expect(store.db.prepare('SELECT count(*) FROM request_rollups').pluck().get()).toBe(1);
      } finally {
        store.close();
      }
    });
  }

  it('marks the resolutions of alerts written before incidents were tracked as already told', () => {
    const file = path.join(temp.dir(), 'alerts.db');
    const old = openStore(file, { toVersion: 4 });
    const insert = old.db.prepare(
      `INSERT INTO alerts (key, rule, subject, severity, value, threshold, message, fired_at, last_seen_at,
         notified_at, resolved_at) VALUES (?, 'host_cpu', 'host', 'warning', 90, 80, 'cpu', 1, 1, 1, ?)`,
    );
    insert.run('resolved', 2);
    insert.run('open', null);
    old.close();
    const store = openStore(file);
    try {
      const rows = store.db
        .prepare('SELECT key, notified_state, refired_count FROM alerts ORDER BY key')
        .all();
      expect(rows).toEqual([
        { key: 'open', notified_state: 'fired', refired_count: 0 },
        { key: 'resolved', notified_state: 'resolved', refired_count: 0 },
      ]);
    } finally {
      store.close();
    }
  });

  it('is a no-op on an up-to-date database', () => {
    const store = temp.open();
    expect(migrate(store.db)).toEqual([]);
  });

  it('refuses a database written by a newer version', () => {
    const dir = temp.dir();
    const file = path.join(dir, 'future.db');
    const db = new Database(file);
    db.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    db.close();
    let caught: unknown;
    try {
      openStore(file);
    } catch (error) {
      caught = error;
    }
    expect(isSupervisorError(caught, 'STORE')).toBe(true);
    expect((caught as Error).message).toMatch(/newer than this mcp-supervisor/);
  });

  it('reports an unopenable path as a STORE error', () => {
    const dir = temp.dir();
    fs.writeFileSync(path.join(dir, 'a-file'), '');
    let caught: unknown;
    try {
      openStore(path.join(dir, 'a-file', 'sub', 'metrics.db'));
    } catch (error) {
      caught = error;
    }
    expect(isSupervisorError(caught, 'STORE')).toBe(true);
  });
});
