import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { openStore, PAGE_CACHE_KIB } from '../../../supervisor/store/db.ts';
import { useTempStores } from './helpers.ts';

const modeOf = (file: string) => fs.statSync(file).mode & 0o777;

// Issue 9 item 3: supervisor.db and its -wal/-shm were created 0644 (the client keys' hashes and
// every request's metadata, readable by any local user); the token file is 0600.
describe('openStore file modes', () => {
  const temp = useTempStores();

  it('creates the database, its -wal and -shm 0600 whatever the umask', () => {
    const previous = process.umask(0o022);
    try {
      const file = path.join(temp.dir(), 'supervisor.db');
      const store = openStore(file);
      store.db.exec('CREATE TABLE t (x); INSERT INTO t VALUES (1)');
      for (const name of [file, `${file}-wal`, `${file}-shm`]) expect(modeOf(name), name).toBe(0o600);
      store.close();
    } finally {
      process.umask(previous);
    }
  });

  it('makes the files of an existing home 0600 at open', () => {
    const file = path.join(temp.dir(), 'supervisor.db');
    // A home from an older version: the files exist with the umask's 0644.
    const old = new Database(file);
    old.pragma('journal_mode = WAL');
    old.exec('CREATE TABLE t (x); INSERT INTO t VALUES (1)');
    for (const name of [file, `${file}-wal`, `${file}-shm`]) fs.chmodSync(name, 0o644);
    const store = openStore(file);
    for (const name of [file, `${file}-wal`, `${file}-shm`]) expect(modeOf(name), name).toBe(0o600);
    store.close();
    old.close();
  });
});

// Issue 13 goal 3: better-sqlite3's 16 MiB default page cache filled with the request log's pages
// and stayed, most of the supervisor's RSS growth under load.
describe('openStore page cache', () => {
  const temp = useTempStores();

  it("caps the connection's page cache at SQLite's own 2 000 KiB, not better-sqlite3's 16 MiB", () => {
    // The premise: a connection opened without the pragma gets better-sqlite3's 16 MiB.
    const plain = new Database(':memory:');
    expect(plain.pragma('cache_size', { simple: true })).toBe(-16_000);
    plain.close();
    const store = temp.open();
    expect(store.db.pragma('cache_size', { simple: true })).toBe(-PAGE_CACHE_KIB);
    expect(PAGE_CACHE_KIB).toBeLessThanOrEqual(2_000);
  });
});
