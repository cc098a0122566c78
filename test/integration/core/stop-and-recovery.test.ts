/**
 * Clean stops and the restart after a crash: SIGTERM to the foreground `start` leaves nothing;
 * after SIGKILL of the supervisor its PM2 daemon and servers go by themselves, and the next `start`
 * runs each server once; a daemon some earlier run left in the home is emptied and replaced.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { EXIT_CODES } from '../../../supervisor/shared/errors.ts';
import { startFilesFor } from '../../../supervisor/shared/home.ts';
import {
  cleanupTempHomes,
  describeProcesses,
  packageFile,
  processesUnder,
  runCli,
  serverProcesses,
  startSupervisorProcess,
  tempHome,
  testServerEnv,
  testServers,
  waitFor,
  waitForNoProcessesUnder,
} from '../../helpers/index.ts';
import { STUBBORN } from './fixtures.ts';

const PM2_CLI = packageFile('pm2', 'bin/pm2');

afterEach(async () => {
  await cleanupTempHomes();
});

describe('clean stop and crash recovery', () => {
  it('SIGTERM to the foreground `start` exits 0 and leaves zero processes', async () => {
    const home = await tempHome();
    const supervisor = await startSupervisorProcess({
      home: home.path,
      config: {
        mcpServers: { a: testServers.everythingStdio(home.path, 'a'), b: testServers.memory(home.path, 'b') },
      },
    });
    expect(serverProcesses(home.path, 'a')).toHaveLength(1);
    supervisor.child.kill('SIGTERM');
    const exit = await supervisor.exited;
    expect(exit.code, exit.stderr).toBe(0);
    const left = processesUnder(home.path);
    expect(left, describeProcesses(left)).toHaveLength(0);
    // The state file is gone with it, so the CLI knows nothing runs.
    const status = await runCli(['status'], { home: home.path });
    expect(status.code).toBe(EXIT_CODES.NOT_RUNNING);
  });

  it('after SIGKILL of the supervisor, nothing is left and the next `start` runs each server once', async () => {
    const home = await tempHome();
    const config = {
      mcpServers: { a: testServers.everythingStdio(home.path, 'a'), b: testServers.memory(home.path, 'b') },
    };
    const first = await startSupervisorProcess({ home: home.path, config });
    const firstServers = [...serverProcesses(home.path, 'a'), ...serverProcesses(home.path, 'b')].map(
      (p) => p.pid,
    );
    expect(firstServers).toHaveLength(2);
    first.child.kill('SIGKILL');
    await first.exited;
    // The private PM2 daemon sees its owner go and takes its servers with it (see faults.test.ts).
    const orphans = await waitForNoProcessesUnder(home.path, { timeoutMs: 15_000 });
    expect(orphans, describeProcesses(orphans)).toHaveLength(0);
    // The env file (secrets) of a start that never came up, as a crash can leave one.
    const stale = startFilesFor(home.paths, 'gone', 'deadbeef').envFile;
    await writeFile(stale, "export TOKEN='secret'\n", { mode: 0o600 });

    const second = await startSupervisorProcess({ home: home.path });
    expect(existsSync(stale)).toBe(false);
    const processes = processesUnder(home.path);
    expect(serverProcesses(home.path, 'a'), describeProcesses(processes)).toHaveLength(1);
    expect(serverProcesses(home.path, 'b'), describeProcesses(processes)).toHaveLength(1);
    expect(processes.filter((p) => p.role === 'pm2')).toHaveLength(1);
    expect(processes.filter((p) => p.role === 'supervisor').map((p) => p.pid)).toEqual([second.pid]);
    const body = await second.status();
    expect(body.servers.map((s) => `${s.name}:${s.state}:${s.restarts}`).sort()).toEqual([
      'a:online:0',
      'b:online:0',
    ]);

    const stopped = await runCli(['stop', '--timeout', '10000'], { home: home.path });
    expect(stopped.code, `${stopped.stderr}\n${second.stdout().slice(-3000)}\n${second.stderr()}`).toBe(0);
    const left = processesUnder(home.path);
    expect(left, describeProcesses(left)).toHaveLength(0);
  });

  it('a PM2 daemon an earlier run left in the home is emptied and replaced by the next `start`', async () => {
    const home = await tempHome();
    // A daemon with none of our hooks (an older version's, say), running a process of its own.
    const pm2 = spawnSync(process.execPath, [PM2_CLI, 'start', STUBBORN, '--name', 'old'], {
      env: {
        ...process.env,
        PM2_HOME: home.paths.pm2Home,
        PM2_DISABLE_VERSION_CHECK: 'true',
        ...testServerEnv(home.path, 'old'),
      },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(pm2.status, pm2.stderr).toBe(0);
    const before = processesUnder(home.path);
    const oldDaemon = before.find((p) => p.role === 'pm2');
    const oldServer = serverProcesses(home.path, 'old');
    expect(oldDaemon, describeProcesses(before)).toBeDefined();
    expect(oldServer, describeProcesses(before)).toHaveLength(1);

    const supervisor = await startSupervisorProcess({
      home: home.path,
      config: { mcpServers: { b: testServers.memory(home.path, 'b') } },
    });
    const processes = processesUnder(home.path);
    expect(
      processes.some((p) => p.pid === oldDaemon!.pid),
      describeProcesses(processes),
    ).toBe(false);
    expect(serverProcesses(home.path, 'old'), describeProcesses(processes)).toHaveLength(0);
    expect(processes.filter((p) => p.role === 'pm2')).toHaveLength(1);
    expect(supervisor.stdout()).toContain('removed 1 process(es) an earlier run left behind');
    expect((await supervisor.stop()).code).toBe(0);
    const left = await waitForNoProcessesUnder(home.path, { timeoutMs: 5_000 });
    expect(left, describeProcesses(left)).toHaveLength(0);
  });

  it('a stale state file of a dead supervisor does not block `start`', async () => {
    const home = await tempHome();
    const first = await startSupervisorProcess({
      home: home.path,
      config: { mcpServers: { b: testServers.memory(home.path, 'b') } },
    });
    first.child.kill('SIGKILL');
    await first.exited;
    // The dead supervisor's state file is still there; the CLI must not take it for a live one.
    const status = await runCli(['status'], { home: home.path });
    expect(status.code).toBe(EXIT_CODES.NOT_RUNNING);
    const second = await startSupervisorProcess({ home: home.path });
    expect(serverProcesses(home.path, 'b')).toHaveLength(1);
    expect((await second.stop()).code).toBe(0);
    await waitFor(() => (processesUnder(home.path).length === 0 ? true : undefined), {
      what: 'nothing left',
      timeoutMs: 5_000,
    });
  });
});

describe('CLI with no supervisor', () => {
  // `logs`, `metrics`, `events` and `alerts` read what a stopped supervisor recorded instead
  // (test/integration/client/offline.test.ts).
  it.each([['status'], ['stop'], ['reload'], ['server', 'restart', 'x']])(
    '`%s` exits NOT_RUNNING with a one-line message that says how to start one',
    async (...args: string[]) => {
      const home = await tempHome();
      const result = await runCli(args, { home: home.path });
      expect(result.code).toBe(EXIT_CODES.NOT_RUNNING);
      expect(result.stdout).toBe('');
      expect(result.stderr).toBe(
        `mcp-supervisor: no supervisor is running for home ${home.path}; start one with: mcp-supervisor start --home ${home.path}\n`,
      );
    },
  );
});
