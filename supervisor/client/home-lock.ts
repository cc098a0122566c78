/**
 * One supervisor per home, decided by a lock the kernel takes away from a process that dies.
 *
 * Node has no `flock`, so the lock is SQLite's: `DIR/supervisor.lock` is an empty database on
 * which the running supervisor holds an open `BEGIN EXCLUSIVE` transaction (journal in memory, so
 * no journal file is ever left). Not in `locking_mode=EXCLUSIVE`: that mode keeps a shared lock
 * taken on the way, so two takers at once each held the one the other's exclusive lock waited
 * for, and both gave up after {@link LOCK_WAIT_MS} (two starts on a fresh home both exited
 * "already running": no winner in 8 of 30 races here; without the mode, one in 30 of 30).
 * SQLite implements it with POSIX advisory locks (`fcntl`) on Linux and macOS alike, which the kernel releases when
 * the holder exits in any way, `kill -9` included: a stale lock cannot exist, and the file itself
 * may stay forever. Taking the lock is one atomic kernel operation, so two starts racing for a home
 * cannot both win — unlike a pid file (stale after a crash, pid reuse) or a listening Unix socket
 * (deciding "stale" means unlinking it, which races with a second start on macOS, where there is
 * no abstract socket namespace).
 *
 * Who holds the lock is told by the state file (`client/state-file.ts`), which the holder writes
 * right after taking it; the lock file cannot be read while it is held.
 */
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import type Database from 'better-sqlite3';
import { errorMessage, SupervisorError } from '../shared/errors.ts';
import type { HomePaths } from '../shared/home.ts';
import { sleep } from '../shared/timers.ts';
import { isHandingOver, isProcessAlive, readState, type SupervisorState } from './state-file.ts';

/**
 * How long taking the lock may wait for a reader: {@link isHomeLocked} holds a shared lock for a
 * moment, which must not make a start fail. A second supervisor is refused after this too.
 */
const LOCK_WAIT_MS = 500;
/** How long the loser waits for the holder's state file (the holder writes it just after locking). */
const HOLDER_WAIT_MS = 2_000;

/** The held lock of one home. */
export interface HomeLock {
  readonly file: string;
  /** Releases the lock (a no-op the second time). */
  release(): void;
}

const require = createRequire(import.meta.url);
// Loaded on first use: most CLI commands never touch the lock.
const openDatabase = (file: string, options: Database.Options): Database =>
  new (require('better-sqlite3') as typeof Database)(file, options);

/**
 * Takes the home's lock, creating the home (mode 0700) and the lock file as needed. Returns
 * undefined when another process holds it (still after `waitMs`: a holder that is about to let
 * go, such as `start -d` handing the home to the supervisor it launched, is waited for; the wait
 * blocks this thread).
 *
 * @throws SupervisorError `INTERNAL` when the lock file cannot be opened or locked at all.
 */
export function tryLockHome(paths: HomePaths, options: { waitMs?: number } = {}): HomeLock | undefined {
  let db: Database | undefined;
  try {
    mkdirSync(paths.root, { recursive: true, mode: 0o700 });
    db = openDatabase(paths.lockFile, { timeout: options.waitMs ?? LOCK_WAIT_MS });
    db.pragma('journal_mode = MEMORY');
    db.exec('BEGIN EXCLUSIVE');
  } catch (error) {
    db?.close();
    if (isBusy(error)) return undefined;
    throw new SupervisorError(
      'INTERNAL',
      `cannot lock ${paths.lockFile}: ${errorMessage(error)}; check that the home ${paths.root} is a writable local folder`,
      { cause: error },
    );
  }
  const held = db;
  let isReleased = false;
  return {
    file: paths.lockFile,
    release() {
      if (isReleased) return;
      isReleased = true;
      // Closing rolls the transaction back and drops the lock.
      held.close();
    },
  };
}

/**
 * Whether some process holds the home's lock at this moment. It only reads (a shared lock for a
 * moment, never the exclusive one), so it cannot make a start fail.
 */
export function isHomeLocked(paths: HomePaths): boolean {
  let db: Database | undefined;
  try {
    db = openDatabase(paths.lockFile, { readonly: true, fileMustExist: true, timeout: 0 });
    db.pragma('schema_version');
    return false;
  } catch (error) {
    // No lock file: no supervisor ever ran here. Anything but "busy" is not a holder either.
    return isBusy(error);
  } finally {
    db?.close();
  }
}

/**
 * The state of the supervisor holding the home's lock: its state file, once it has written it
 * (it does so right after taking the lock). Undefined when no one holds the lock — unless a
 * `start -d` is handing the home to its supervisor (see `cli/home-handoff.ts`): the lock is free
 * for those few milliseconds, and the state file names the supervisor taking it.
 */
export async function lockHolder(paths: HomePaths): Promise<SupervisorState | undefined> {
  const deadline = Date.now() + HOLDER_WAIT_MS;
  for (;;) {
    const isLocked = isHomeLocked(paths);
    const state = await readState(paths.stateFile);
    if (!isLocked) return isHandingOver(state) ? state : undefined;
    if (state && isProcessAlive(state.pid)) return state;
    if (Date.now() >= deadline) return undefined;
    await sleep(50);
  }
}

/** "pid 123, port 7420, since 2026-01-02 18:41:02" ("starting", "stopping" while it does). */
export function describeHolder(state: SupervisorState | undefined): string {
  if (!state) return 'another process';
  const since = new Date(state.startedAt).toLocaleString('sv-SE');
  const where = [
    ...(state.port > 0 ? [`port ${state.port}`] : []),
    ...(state.phase === 'starting' || state.phase === 'stopping' ? [state.phase] : []),
  ];
  return [`pid ${state.pid}`, ...where, `since ${since}`].join(', ');
}

/** The error a second start for a home gets: who holds it, and how to stop that one. */
export function alreadyRunningError(paths: HomePaths, holder: SupervisorState | undefined): SupervisorError {
  return new SupervisorError(
    'ALREADY_RUNNING',
    `a supervisor is already running for home ${paths.root} (${describeHolder(holder)}); stop it with: mcp-supervisor stop --home ${paths.root}`,
    { details: holder ? { pid: holder.pid, port: holder.port, startedAt: holder.startedAt } : {} },
  );
}

function isBusy(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED';
}
