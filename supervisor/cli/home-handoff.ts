/**
 * How `start -d` hands its home to the supervisor it launches. The `start -d` process claims the
 * home first (lock and state file, with its own pid), so a `stop` from that very instant finds it
 * and is passed on to the launched supervisor. That one, once it has loaded its code, writes one
 * line on a pipe ({@link HANDOFF_FD}) and then takes the lock, waiting for it: `start -d` releases
 * the home as soon as it reads the line. Between the two, the home is unheld for a few
 * milliseconds at most.
 */
import { closeSync, writeSync } from 'node:fs';
import type { ClaimHandoff } from '../boot/home-claim.ts';

/** Names the pipe's fd in the launched supervisor's environment. */
export const HANDOFF_ENV = 'MCP_SUPERVISOR_HANDOFF_FD';
/** The pipe is the launched process's fd 3 (after stdin, stdout, stderr). */
export const HANDOFF_FD = 3;
/** How long the launched supervisor waits for `start -d` to let go of the home. */
const HANDOFF_WAIT_MS = 10_000;

/**
 * In a supervisor launched by `start -d`: the handoff to pass to `runSupervisor`, else undefined.
 * The variable is removed from the environment at once, so nothing this process starts (PM2, the
 * servers) sees it.
 */
export function takeHandoff(): ClaimHandoff | undefined {
  const fd = Number(process.env[HANDOFF_ENV]);
  delete process.env[HANDOFF_ENV];
  if (fd !== HANDOFF_FD) return undefined;
  return {
    lockWaitMs: HANDOFF_WAIT_MS,
    release() {
      try {
        writeSync(fd, 'claim\n');
        closeSync(fd);
      } catch {
        // `start -d` is gone: the kernel released its lock already.
      }
    },
  };
}
