/**
 * The PM2 manager against a real private daemon: no call waits forever, the daemon's death is
 * noticed at once (and fails what was in flight), the next start launches a new daemon, and an
 * exit is reported with its pid and signal.
 */
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type ExitEvent, Pm2Manager } from '../../../supervisor/process/pm2-manager.ts';
import {
  cleanupTempHomes,
  describeProcesses,
  processesUnder,
  tempHome,
  testServerEnv,
  waitForNoProcessesUnder,
} from '../../helpers/index.ts';
import { timersLeftBy } from '../../helpers/pending-timers.ts';

afterAll(async () => {
  await cleanupTempHomes();
});

describe('Pm2Manager (real PM2 daemon)', () => {
  it('times out an unanswered call, notices the daemon’s death at once, and launches a new one to start', async () => {
    const home = await tempHome();
    const pm2 = new Pm2Manager({ pm2Home: home.paths.pm2Home, timeouts: { callMs: 1_000 } });
    try {
      expect(await pm2.connect({ runDir: home.paths.runDir })).toEqual([]);
      const first = pm2.daemonPid!;
      expect(processesUnder(home.path).find((p) => p.role === 'pm2')?.pid).toBe(first);

      // A daemon that answers nothing fails the call with TIMEOUT instead of hanging it.
      process.kill(first, 'SIGSTOP');
      const startedAt = Date.now();
      await expect(pm2.list()).rejects.toMatchObject({ code: 'TIMEOUT' });
      expect(Date.now() - startedAt).toBeLessThan(3_000);

      // Its death is noticed at once, and fails the call that was waiting for it.
      const lost = new Promise((resolve) => pm2.onDaemonLost(resolve));
      const pending = pm2.list();
      process.kill(first, 'SIGKILL');
      expect(await lost).toEqual({ pid: first });
      await expect(pending).rejects.toMatchObject({ code: 'PROCESS_MANAGER' });
      expect(pm2.isConnected).toBe(false);
      // Nothing waits for a daemon that is not there.
      expect(await pm2.list()).toEqual([]);
      await pm2.delete('nothing');

      // The next start launches a new daemon.
      const exits: ExitEvent[] = [];
      pm2.onExit((event) => exits.push(event));
      const { pid } = await pm2.start({
        name: 'sleeper',
        command: process.execPath,
        args: ['-e', 'setInterval(() => {}, 1000)'],
        cwd: home.path,
        env: { PATH: process.env.PATH ?? '', ...testServerEnv(home.path, 'sleeper') },
        outLogFile: path.join(home.paths.serverLogDir, 'sleeper.out.log'),
        errLogFile: path.join(home.paths.serverLogDir, 'sleeper.err.log'),
        killTimeoutMs: 1_000,
      });
      expect(pm2.daemonPid).toBeGreaterThan(0);
      expect(pm2.daemonPid).not.toBe(first);
      expect((await pm2.list()).map((p) => [p.name, p.pid])).toEqual([['sleeper', pid]]);

      // PM2 itself would report this as exit code 0.
      process.kill(pid, 'SIGKILL');
      await expect.poll(() => exits.length, { timeout: 10_000 }).toBe(1);
      expect(exits[0]).toMatchObject({ name: 'sleeper', pid, exitCode: null, signal: 'SIGKILL' });
    } finally {
      await pm2.kill();
    }
    const left = await waitForNoProcessesUnder(home.path, { timeoutMs: 5_000 });
    expect(left, describeProcesses(left)).toHaveLength(0);
  });
  it('leaves nothing to keep the process alive once it has killed its daemon', async () => {
    // Once held every stop for up to 0.1 s more: the daemon's exit closed PM2's RPC and bus
    // sockets before they were closed on purpose, and each armed a reconnect timer.
    const home = await tempHome();
    const pm2 = new Pm2Manager({ pm2Home: home.paths.pm2Home });
    const left = await timersLeftBy(async () => {
      await pm2.connect({ runDir: home.paths.runDir });
      await pm2.kill();
    }, /pm2|supervisor\/process/);
    expect(left).toEqual([]);
    const remaining = await waitForNoProcessesUnder(home.path, { timeoutMs: 10_000 });
    expect(remaining, describeProcesses(remaining)).toHaveLength(0);
  });
});
