import { alreadyRunningError, lockHolder, tryLockHome } from '../client/home-lock.ts';
import {
  isHandingOver,
  readState,
  removeState,
  type SupervisorState,
  writeState,
} from '../client/state-file.ts';
import type { HomePaths } from '../shared/home.ts';

/** How long a supervisor launched by `start -d` waits to take the home it is handed. */
export const HANDOFF_WAIT_MS = 10_000;

/** A home this process holds: its lock, and the state file that says who holds it. */
export interface HomeClaim {
  /** Rewrites the state file: the port once the control API listens, the phase as it moves on. */
  update(patch: Partial<Pick<SupervisorState, 'phase' | 'host' | 'port'>>): Promise<void>;
  /** Removes the state file, then releases the lock: the next start may begin. */
  release(): Promise<void>;
  /**
   * Gives the home to process `pid`, which waits for the lock (the supervisor `start -d`
   * launched): the state file names it, as a handoff in flight for {@link HANDOFF_WAIT_MS}, then
   * the lock is released. A start that takes the lock in between lets go of it at once.
   */
  handOver(pid: number): Promise<void>;
}

/**
 * A process that holds the home for this one until it takes it over: `start -d` claims the home
 * before it launches the supervisor, so that a stop reaches the start from its first instant.
 */
export interface ClaimHandoff {
  /** Tells the holder to let go of the home (it removes its state file and releases the lock). */
  release(): void;
  /** How long to wait for it to have let go. */
  lockWaitMs: number;
}

/**
 * Claims a home for this process, before anything else of the home is touched: takes its lock
 * (see `client/home-lock.ts`), then writes the state file (`phase: 'starting'`, no port yet) so
 * that from this instant `stop` finds this process (a signal to its pid until the control API
 * listens) and a second start is told who holds the home.
 *
 * @throws SupervisorError `ALREADY_RUNNING` naming the holder (pid, port, since when).
 */
export async function claimHome(
  paths: HomePaths,
  info: { startedAt: number; version: string; handoff?: ClaimHandoff },
): Promise<HomeClaim> {
  info.handoff?.release();
  const lock = tryLockHome(paths, info.handoff ? { waitMs: info.handoff.lockWaitMs } : {});
  if (!lock) throw alreadyRunningError(paths, await lockHolder(paths));
  // The lock was free for a moment because a `start -d` is handing the home to its supervisor,
  // which waits for it: not ours to take.
  const handing = await readState(paths.stateFile).catch(() => undefined);
  if (isHandingOver(handing) && handing.pid !== process.pid) {
    lock.release();
    throw alreadyRunningError(paths, handing);
  }
  let state: SupervisorState = {
    pid: process.pid,
    phase: 'starting',
    host: '',
    port: 0,
    startedAt: info.startedAt,
    version: info.version,
  };
  let isReleased = false;
  try {
    await writeState(paths.stateFile, state);
  } catch (error) {
    lock.release();
    throw error;
  }
  return {
    async update(patch) {
      if (isReleased) return;
      state = { ...state, ...patch };
      await writeState(paths.stateFile, state);
    },
    async release() {
      if (isReleased) return;
      isReleased = true;
      try {
        await removeState(paths.stateFile);
      } finally {
        lock.release();
      }
    },
    async handOver(pid) {
      if (isReleased) return;
      isReleased = true;
      try {
        await writeState(paths.stateFile, { ...state, pid, handoffUntil: Date.now() + HANDOFF_WAIT_MS });
      } finally {
        lock.release();
      }
    },
  };
}
