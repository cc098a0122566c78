/**
 * Clean stops and the restart after a crash: SIGTERM to the foreground `start` leaves nothing;
 * SIGKILL of the supervisor leaves its PM2 daemon and servers behind, and the next `start` for the
 * same home removes them before starting anew — one process per server, no orphans after the stop.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { EXIT_CODES } from '../../../supervisor/shared/errors.ts';
import {
  cleanupTempHomes,
  describeProcesses,
  processesUnder,
  runCli,
  serverProcesses,
  startSupervisorProcess,
  tempHome,
  testServers,
  waitFor,
} from '../../helpers/index.ts';

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

  it('after SIGKILL of the supervisor, the next `start` removes what it left: no duplicates, no orphans', async () => {
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
    // The crash leaves the private PM2 daemon running, and server "a": server-everything keeps
    // running when its input ends. (Each server's stdin is its connection to the supervisor, so
    // server-memory, which exits at the end of its input, may be gone already, and its bridge too.)
    const orphans = processesUnder(home.path);
    expect(orphans.filter((p) => p.role === 'pm2')).toHaveLength(1);
    expect(serverProcesses(home.path, 'a')).toHaveLength(1);

    const second = await startSupervisorProcess({ home: home.path });
    const processes = processesUnder(home.path);
    expect(serverProcesses(home.path, 'a'), describeProcesses(processes)).toHaveLength(1);
    expect(serverProcesses(home.path, 'b'), describeProcesses(processes)).toHaveLength(1);
    expect(processes.filter((p) => p.role === 'pm2')).toHaveLength(1);
    expect(processes.filter((p) => p.role === 'bridge')).toHaveLength(2);
    expect(processes.filter((p) => p.role === 'supervisor').map((p) => p.pid)).toEqual([second.pid]);
    // The servers of the first run are gone, not adopted twice.
    for (const pid of firstServers) expect(processes.some((p) => p.pid === pid)).toBe(false);
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
  it.each([['status'], ['stop'], ['reload'], ['logs', 'x'], ['server', 'restart', 'x']])(
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
