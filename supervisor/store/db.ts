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
 * Opens (creating if needed) the SQLite database at `file`, sets WAL + `synchronous=NORMAL` (a
 * process crash loses nothing committed; a power cut may lose the last transactions, never
 * corrupt), and applies pending migrations.
 *
 * @throws SupervisorError('STORE') when the file cannot be opened or migrated.
 */
export function openStore(file: string, options: OpenStoreOptions = {}): Store {
  const logger = options.logger ?? silentLogger;
  const busyTimeoutMs = options.busyTimeoutMs ?? 5_000;
  let db: Database;
  try {
    if (file !== ':memory:') fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
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
