import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { isProcessAlive } from '../../../supervisor/client/state-file.ts';

/** The state letter of /proc/<pid>/stat (R, S, D, Z…), or undefined once the pid is gone. */
function procState(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  } catch {
    return undefined;
  }
}

const parents: ReturnType<typeof spawn>[] = [];

afterEach(() => {
  for (const parent of parents.splice(0)) parent.kill('SIGKILL');
});

describe('isProcessAlive', () => {
  it('is true for a running process and for this one', () => {
    expect(isProcessAlive(process.pid)).toBe(true);
  });

  it('is false for a pid that no longer exists', async () => {
    const child = spawn('true');
    await new Promise((resolve) => child.on('exit', resolve));
    expect(isProcessAlive(child.pid ?? 0)).toBe(false);
  });

  // A detached supervisor's parent is init once `start -d` has returned. An init that reaps late
  // (this machine's reaps every ~2 s; a container's PID 1 that is a plain program never does)
  // leaves the exited supervisor a zombie, which kill(pid, 0) still reports: `stop` then waited
  // for the reaping, or until its timeout, though the supervisor had finished.
  it('is false for a zombie: a process that exited and that no one has reaped yet', async () => {
    // The forked child exits at once and its parent never waits for it. (Not a shell: one may reap
    // a background job that ends before it exec's. Perl is in every Debian.)
    const script = '$| = 1; my $pid = fork(); exit 0 unless $pid; print "$pid\n"; sleep 30';
    const parent = spawn('perl', ['-e', script], {
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    parents.push(parent);
    const zombie = await new Promise<number>((resolve) =>
      parent.stdout?.once('data', (data: Buffer) => resolve(Number(data.toString().trim()))),
    );
    const deadline = Date.now() + 5_000;
    while (procState(zombie) !== 'Z' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(procState(zombie)).toBe('Z');
    expect(isProcessAlive(zombie)).toBe(false);
  });
});
