/**
 * How `start -d` hands its home to the supervisor it launches. The `start -d` process claims the
 * home first (lock and state file, with its own pid), so a `stop` from that very instant finds it
 * and is passed on to the launched supervisor. That one, once it has loaded its code, writes one
 * line on a pipe ({@link HANDOFF_FD}) and then takes the lock, waiting for it: `start -d` hands the
 * home over as soon as it reads the line (the state file names the launched supervisor, as a
 * handoff in flight, then the lock is released). Between the two the lock is free for a few
 * milliseconds; a second start that takes it then sees the handoff and lets go.
 */
import { closeSync, writeSync } from 'node:fs';
import { type ClaimHandoff, HANDOFF_WAIT_MS } from '../boot/home-claim.ts';

/** Names the pipe's fd in the launched supervisor's environment. */
export const HANDOFF_ENV = 'MCP_SUPERVISOR_HANDOFF_FD';
/** The pipe is the launched process's fd 3 (after stdin, stdout, stderr). */
export const HANDOFF_FD = 3;

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
