import fs from 'node:fs';
import Database from 'better-sqlite3';
import { errorMessage, SupervisorError } from '../shared/errors.ts';
import { silentLogger } from '../shared/logger.ts';
import type { Store } from './db.ts';
import { SCHEMA_VERSION, schemaVersion } from './migrations.ts';

/**
 * Opens the metrics database of a home for reading only, as the CLI does when no supervisor
 * runs: it never creates the file, never migrates it and never writes a row. SQLite may add the
 * `-wal`/`-shm` files a WAL database is read through (it reads what a crashed supervisor left in
 * the WAL too). Returns undefined when the file does not exist (nothing was recorded yet).
 *
 * @throws SupervisorError('STORE') when the file cannot be read, or its schema is not the one
 *   this program reads (older: start the supervisor once to migrate it; newer: upgrade).
 */
export function openReadOnlyStore(file: string): Store | undefined {
  if (!fs.existsSync(file)) return undefined;
  let db: Database;
  try {
    db = new Database(file, { readonly: true, fileMustExist: true, timeout: 5_000 });
  } catch (error) {
    throw new SupervisorError('STORE', `cannot read the metrics database ${file}: ${errorMessage(error)}`, {
      cause: error,
      details: { file },
    });
  }
  try {
    const version = schemaVersion(db);
    if (version !== SCHEMA_VERSION) {
      throw new SupervisorError(
        'STORE',
        version < SCHEMA_VERSION
          ? `the database ${file} was written by an older mcp-supervisor (schema ${version} of ${SCHEMA_VERSION}); start the supervisor once to bring it up to date`
          : `the database ${file} has schema version ${version}, newer than this mcp-supervisor (${SCHEMA_VERSION}); upgrade mcp-supervisor`,
        { details: { file, version, supported: SCHEMA_VERSION } },
      );
    }
  } catch (error) {
    db.close();
    throw error;
  }
  let isClosed = false;
  return {
    db,
    file,
    logger: silentLogger,
    close() {
      if (isClosed) return;
      isClosed = true;
      db.close();
    },
  };
}
