/**
 * One supervisor started by the real CLI with two stdio servers and a crashing one, under a private
 * PM2 daemon that runs the servers themselves: status, kill -9 recovery, crash loop, logs, env
 * isolation, a second start, and a `stop` that leaves nothing behind.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT_CODES } from '../../../supervisor/shared/errors.ts';
import {
  cleanupTempHomes,
  describeProcesses,
  processesUnder,
  runCli,
  SERVER_EVERYTHING,
  type SupervisorProcess,
  serverProcesses,
  serverRow,
  sleep,
  spawnCli,
  startSupervisorProcess,
  type TempHome,
  tempHome,
  testServers,
  waitFor,
} from '../../helpers/index.ts';

const RESTART = {
  maxRestarts: 3,
  backoffMs: 50,
  maxBackoffMs: 1_000,
  minUptimeMs: 1_000,
  killTimeoutMs: 2_000,
};

describe('supervisor process (real PM2, real MCP servers)', () => {
  let home: TempHome;
  let supervisor: SupervisorProcess;

  beforeAll(async () => {
    home = await tempHome();
    supervisor = await startSupervisorProcess({
      home: home.path,
      env: { MCPS_SECRET: 's3cret' },
      config: {
        mcpServers: {
          alpha: testServers.everythingStdio(home.path, 'alpha', { MCPS_VISIBLE: 'yes-visible' }),
          beta: testServers.memory(home.path, 'beta'),
          crashy: testServers.crashing(home.path, 'crashy'),
        },
        supervisor: { restart: RESTART },
      },
      waitForOnline: ['alpha', 'beta'],
    });
  });

  afterAll(async () => {
    // Stops whatever a failed test left running, and fails the file if it had to.
    await cleanupTempHomes();
  });

  it('shows both stdio servers online with their tool counts', async () => {
    const result = await runCli(['status', '--json'], { home: home.path });
    expect(result.code).toBe(0);
    const body = JSON.parse(result.stdout) as {
      servers: { name: string; state: string; toolCount: number; pid: number }[];
    };
    const alpha = body.servers.find((s) => s.name === 'alpha');
    const beta = body.servers.find((s) => s.name === 'beta');
    expect(alpha).toMatchObject({ state: 'online', toolCount: expect.any(Number) });
    expect(alpha!.toolCount).toBeGreaterThan(5);
    expect(alpha!.pid).toBeGreaterThan(0);
    expect(beta).toMatchObject({ state: 'online' });
    expect(beta!.toolCount).toBeGreaterThan(0);

    const table = await runCli(['status'], { home: home.path });
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^NAME\s+STATE\s+PID/);
    expect(table.stdout).toMatch(/alpha\s+online/);
  });

  it('runs each server as the PM2 daemon’s own child: PM2’s pid is the server, one process per server', async () => {
    const processes = processesUnder(home.path);
    const daemons = processes.filter((p) => p.role === 'pm2');
    expect(daemons, describeProcesses(processes)).toHaveLength(1);
    expect(processes.filter((p) => p.role === 'supervisor')).toHaveLength(1);
    expect(serverProcesses(home.path, 'alpha')).toHaveLength(1);
    expect(serverProcesses(home.path, 'beta')).toHaveLength(1);
    const [alpha] = serverProcesses(home.path, 'alpha');
    // No process of ours in between: the launcher's shell exec'd into the server itself.
    expect(alpha!.ppid).toBe(daemons[0]!.pid);
    expect(alpha!.cmdline).toEqual([process.execPath, SERVER_EVERYTHING, 'stdio']);
    // So what PM2 reports is the server's own pid and memory.
    const row = serverRow(await supervisor.status(), 'alpha');
    expect(row.pid).toBe(alpha!.pid);
    expect(row.rssBytes).toBeGreaterThan(10 * 1024 * 1024);
  });

  it("gives a server only its config env plus PATH and HOME, nothing of the supervisor's", () => {
    const supervisorEnv = processesUnder(home.path).find((p) => p.role === 'supervisor')!.environ;
    expect(supervisorEnv.MCPS_SECRET).toBe('s3cret');
    const [alpha] = serverProcesses(home.path, 'alpha');
    expect(alpha!.environ.MCPS_VISIBLE).toBe('yes-visible');
    expect(alpha!.environ.MCPS_SECRET).toBeUndefined();
    expect(JSON.stringify(alpha!.environ)).not.toContain('s3cret');
  });

  it('restarts a server whose real process is killed with SIGKILL, and it answers again', async () => {
    const [before] = serverProcesses(home.path, 'alpha');
    expect(before).toBeDefined();
    process.kill(before!.pid, 'SIGKILL');
    const body = await supervisor.waitForStatus((b) => {
      const row = serverRow(b, 'alpha');
      return row.state === 'online' && row.restarts === 1;
    }, 'alpha restarted and online');
    const row = serverRow(body, 'alpha');
    expect(row.restarts).toBe(1);
    expect(row.toolCount).toBeGreaterThan(5);
    // PM2 itself would say exit code 0; the signal is what ended it.
    expect(row.lastExit).toMatchObject({ exitCode: null, signal: 'SIGKILL' });
    const after = serverProcesses(home.path, 'alpha');
    expect(after).toHaveLength(1);
    expect(after[0]!.pid).not.toBe(before!.pid);
  });

  it('marks a server that exits at once as errored (crash loop), and it stays down', async () => {
    const body = await supervisor.waitForStatus(
      (b) => serverRow(b, 'crashy').state === 'errored',
      'crashy errored',
    );
    const row = serverRow(body, 'crashy');
    expect(row.lastError).toMatch(/^crash loop: \d+ runs shorter than 1000 ms$/);
    // maxRestarts unstable restarts in a row; more when a slow start under load counted as stable.
    expect(row.restarts).toBeGreaterThanOrEqual(RESTART.maxRestarts);
    // It stays down: no new attempts, no process.
    await sleep(1_500);
    const later = serverRow(await supervisor.status(), 'crashy');
    expect(later.state).toBe('errored');
    expect(later.lastExit?.at).toBe(row.lastExit?.at);
    expect(later.pid).toBe(0);
    expect(serverProcesses(home.path, 'crashy')).toHaveLength(0);
  });

  it('`server start` brings an errored server back to trying', async () => {
    const before = serverRow(await supervisor.status(), 'crashy');
    const result = await runCli(['server', 'start', 'crashy'], { home: home.path });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^crashy: /);
    const body = await supervisor.waitForStatus(
      (b) =>
        serverRow(b, 'crashy').state === 'errored' &&
        (serverRow(b, 'crashy').lastExit?.at ?? 0) > (before.lastExit?.at ?? 0),
      'crashy tried again and errored again',
    );
    expect(serverRow(body, 'crashy').restarts).toBeGreaterThan(before.restarts);
  });

  it('answers `server …` for an unknown name with its exit code and the configured names', async () => {
    const result = await runCli(['server', 'restart', 'nope'], { home: home.path });
    expect(result.code).toBe(EXIT_CODES.UNKNOWN_SERVER);
    expect(result.stderr.trim()).toBe(
      'mcp-supervisor: no server named "nope" (configured: alpha, beta, crashy)',
    );
  });

  it('prints the last lines of a server log, and only stderr with --stderr', async () => {
    const result = await runCli(['logs', 'alpha', '-n', '5'], { home: home.path });
    expect(result.code, result.stderr).toBe(0);
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.length).toBeLessThanOrEqual(5);
    expect(result.stdout).toContain('Starting default (STDIO) server...');

    const errOnly = await runCli(['logs', 'alpha', '--stderr', '-n', '50', '--json'], { home: home.path });
    expect(errOnly.code).toBe(0);
    const entries = errOnly.stdout
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as { stream: string; line: string });
    expect(entries.length).toBeGreaterThan(0);
    expect(entries.every((e) => e.stream === 'err')).toBe(true);
    // The file on disk is where PM2 writes the server's stderr.
    const file = readFileSync(`${home.paths.serverLogDir}/alpha.err.log`, 'utf8');
    expect(file).toContain('Starting default (STDIO) server...');
  });

  it('`logs -f` prints a line written after it started', async () => {
    const follower = spawnCli(['logs', 'alpha', '-f', '-n', '0'], { home: home.path });
    try {
      // Let the follower subscribe before the server writes again.
      await sleep(1_000);
      const restart = await runCli(['server', 'restart', 'alpha'], { home: home.path });
      expect(restart.code, restart.stderr).toBe(0);
      await waitFor(
        () => (follower.stdout().includes('Starting default (STDIO) server...') ? true : undefined),
        {
          timeoutMs: 20_000,
          what: 'the restarted server’s startup line in `logs -f`',
          describeLast: () => `stdout: ${follower.stdout()} stderr: ${follower.stderr()}`,
        },
      );
    } finally {
      follower.child.kill('SIGINT');
      const exit = await Promise.race([follower.exited, sleep(5_000).then(() => undefined)]);
      if (!exit) follower.child.kill('SIGKILL');
    }
  });

  it('refuses a second `start` for the same home with ALREADY_RUNNING and one line', async () => {
    const result = await runCli(['start'], { home: home.path, env: { MCP_SUPERVISOR_PORT: '0' } });
    expect(result.code).toBe(EXIT_CODES.ALREADY_RUNNING);
    const lines = result.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toBe(
      `mcp-supervisor: a supervisor (pid ${supervisor.pid}) is already running for home ${home.path}; stop it with: mcp-supervisor stop --home ${home.path}`,
    );
    // The first one is untouched.
    expect(serverRow(await supervisor.status(), 'beta').state).toBe('online');
  });

  it('`stop` exits 0 and leaves zero processes under the home', async () => {
    expect(processesUnder(home.path).length).toBeGreaterThan(3);
    const result = await supervisor.stop();
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout.trim()).toBe('stopped');
    const left = processesUnder(home.path);
    expect(left, describeProcesses(left)).toHaveLength(0);
    const exit = await supervisor.exited;
    expect(exit.code).toBe(0);
  });
});
