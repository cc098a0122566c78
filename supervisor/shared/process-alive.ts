import { readFileSync } from 'node:fs';
import { parseStatLine } from './proc-stat.ts';

/**
 * Whether process `pid` still runs. `kill(pid, 0)` alone also answers yes for a zombie — a process
 * that has exited but that its parent has not reaped yet. A detached supervisor's parent is init
 * once `start -d` has returned; an init that reaps late (some VMs' reap every ~2 s, a container
 * whose PID 1 is a plain program never does) kept `stop` waiting on a supervisor that had
 * finished, up to its timeout. On Linux the state letter in /proc/<pid>/stat tells a zombie
 * (Z, or X while it is being reaped) apart; elsewhere the signal check is all there is.
 */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  return !isZombie(pid);
}

/** Whether `pid` has exited (a zombie, or gone since the signal) by its /proc entry. */
function isZombie(pid: number): boolean {
  if (process.platform !== 'linux') return false;
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
  } catch {
    // No entry: gone since the signal, unless /proc itself is missing (then the signal stands).
    return isProcMounted();
  }
  return parseStatLine(stat)?.isZombie ?? false;
}

function isProcMounted(): boolean {
  try {
    readFileSync('/proc/self/stat', 'latin1');
    return true;
  } catch {
    return false;
  }
}
