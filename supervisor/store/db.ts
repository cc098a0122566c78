import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { errorMessage, SupervisorError } from '../shared/errors.ts';
import { type Logger, silentLogger } from '../shared/logger.ts';
import { migrate } from './migrations.ts';

/** An open metrics database. Every access is synchronous (better-sqlite3); keep statements short. */
export interface Store {
  readonly db: Database;
  readonly file: string;
  readonly logger: Logger;
  /** Closes the database; further calls are no-ops. */
  close(): void;
}

export interface OpenStoreOptions {
  logger?: Logger;
  /** How long a statement waits for a lock held by another connection; default 5000 ms. */
  busyTimeoutMs?: number;
  /** Migrate to this version instead of the latest (tests build old databases with it). */
  toVersion?: number;
}

/**
 * A `prepare` that compiles each SQL text once and reuses the statement: for readers whose SQL is
 * built per query from a few shapes.
 */
export function preparedCache(db: Database): (sql: string) => Database.Statement {
  const cache = new Map<string, Database.Statement>();
  return (sql) => {
    let statement = cache.get(sql);
    if (!statement) {
      statement = db.prepare(sql);
      cache.set(sql, statement);
    }
    return statement;
  };
}

/**
 * SQLite's page cache per connection, in KiB (a negative `cache_size` is KiB). better-sqlite3
 * builds SQLite with a 16 MiB default (`SQLITE_DEFAULT_CACHE_SIZE=-16000`) instead of SQLite's own
 * 2 000 KiB, and the supervisor's one long-lived connection filled it with the request log's pages:
 * 17 MiB of malloc'd memory that never came back, most of the RSS growth after the memory
 * bench's gateway rounds (heaptrack: `pcache1Alloc` under `sqlite3_step`). The writes append at
 * the right edge of the table and its indexes, a handful of pages; the queries read from the WAL
 * and the OS page cache. Measured on a 300 000-row database, 10 servers: flush CPU per event and
 * console-style query times the same at 512 KiB, 1, 2 and 16 MiB (within the run-to-run noise).
 */
export const PAGE_CACHE_KIB = 2_000;

/** Read and write for the owner only, like the control token. */
const OWNER_ONLY = 0o600;

/**
 * Creates `file` 0600 if it is missing (SQLite then gives its `-wal` and `-shm` the same mode) and
 * makes an existing one and its `-wal` / `-shm` 0600: they hold the client keys' hashes and the
 * metadata of every request, and were created with the umask's 0644 before.
 */
function restrictToOwner(file: string, logger: Logger): void {
  fs.closeSync(fs.openSync(file, 'a', OWNER_ONLY));
  for (const name of [file, `${file}-wal`, `${file}-shm`]) {
    try {
      fs.chmodSync(name, OWNER_ONLY);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
      logger.warn({ file: name, err: error }, 'cannot make the metrics database readable by its owner only');
    }
  }
}

/**
 * Opens (creating if needed, mode 0600) the SQLite database at `file`, sets WAL + `synchronous=NORMAL` (a
 * process crash loses nothing committed; a power cut may lose the last transactions, never
 * corrupt) and a page cache of {@link PAGE_CACHE_KIB}, and applies pending migrations.
 *
 * @throws SupervisorError('STORE') when the file cannot be opened or migrated.
 */
export function openStore(file: string, options: OpenStoreOptions = {}): Store {
  const logger = options.logger ?? silentLogger;
  const busyTimeoutMs = options.busyTimeoutMs ?? 5_000;
  let db: Database;
  try {
    if (file !== ':memory:') {
      fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
      restrictToOwner(file, logger);
    }
    db = new Database(file, { timeout: busyTimeoutMs });
  } catch (error) {
    throw new SupervisorError(
      'STORE',
      `cannot open the metrics database ${file}: ${errorMessage(error)}; check that the folder is writable`,
      { cause: error, details: { file } },
    );
  }
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma(`busy_timeout = ${Math.trunc(busyTimeoutMs)}`);
    db.pragma('foreign_keys = ON');
    db.pragma(`cache_size = -${PAGE_CACHE_KIB}`);
    const applied = migrate(db, options.toVersion === undefined ? {} : { toVersion: options.toVersion });
    if (applied.length > 0) logger.info({ file, applied }, 'metrics database migrated');
  } catch (error) {
    db.close();
    if (error instanceof SupervisorError) throw error;
    throw new SupervisorError(
      'STORE',
      `cannot prepare the metrics database ${file}: ${errorMessage(error)}; move the file aside to start afresh`,
      { cause: error, details: { file } },
    );
  }
  let isClosed = false;
  return {
    db,
    file,
    logger,
    close() {
      if (isClosed) return;
      isClosed = true;
      db.close();
    },
  };
}
