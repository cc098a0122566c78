/**
 * Faults, with real processes: kill -9 of a server's launcher (an `npx`-like parent with the real
 * server as its grandchild), of the private PM2 daemon and of the supervisor itself, and servers
 * that ignore the end of their input and SIGTERM. Each test ends with zero processes under its
 * home, and the safety net fails the file if it had to kill anything.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { StatusBody } from '../../../supervisor/client/wire-types.ts';
import {
  cleanupTempHomes,
  describeProcesses,
  type ProcessInfo,
  processesUnder,
  runCli,
  SERVER_EVERYTHING,
  type SupervisorProcess,
  serverProcesses,
  serverRow,
  startSupervisorProcess,
  tempHome,
  testServerEnv,
  testServers,
  waitFor,
  waitForNoProcessesUnder,
} from '../../helpers/index.ts';
import { NPX_LIKE, stubbornServer } from './fixtures.ts';

const KILL_TIMEOUT_MS = 2_000;
const RESTART = {
  maxRestarts: 5,
  backoffMs: 50,
  maxBackoffMs: 500,
  minUptimeMs: 1_000,
  killTimeoutMs: KILL_TIMEOUT_MS,
};

/** `GET /api/status`, failing if it takes longer than `timeoutMs` (a hang is the bug). */
function statusWithin(supervisor: SupervisorProcess, timeoutMs: number): Promise<StatusBody> {
  return supervisor.client.request<StatusBody>('GET', '/api/status', {
    signal: AbortSignal.timeout(timeoutMs),
  });
}

/** Polls the status (each request bounded) until `predicate` holds. */
async function waitForStatus(
  supervisor: SupervisorProcess,
  predicate: (body: StatusBody) => boolean,
  what: string,
  timeoutMs = 30_000,
): Promise<StatusBody> {
  let last: StatusBody | undefined;
  return waitFor(
    async () => {
      last = await statusWithin(supervisor, 5_000);
      return predicate(last) ? last : undefined;
    },
    { timeoutMs, intervalMs: 100, what, describeLast: () => JSON.stringify(last?.servers ?? null) },
  );
}

function isGone(pid: number, processes: readonly ProcessInfo[]): boolean {
  return !processes.some((p) => p.pid === pid);
}

async function stopToNothing(supervisor: SupervisorProcess, home: string): Promise<void> {
  const stopped = await runCli(['stop', '--timeout', '30000'], { home, timeoutMs: 40_000 });
  expect(stopped.code, `${stopped.stderr}\n${supervisor.stderr().slice(-3000)}`).toBe(0);
  const left = await waitForNoProcessesUnder(home, { timeoutMs: 2_000 });
  expect(left, describeProcesses(left)).toHaveLength(0);
}

afterEach(async () => {
  await cleanupTempHomes();
});

describe('faults (real PM2, real servers)', () => {
  it.each([
    ['an npx-like', () => ({ command: process.execPath, args: [NPX_LIKE, SERVER_EVERYTHING, 'stdio'] })],
    // `; exit $?` keeps the shell from exec'ing its last command: it stays the server's parent.
    [
      'a shell',
      () => ({ command: 'sh', args: ['-c', `"${process.execPath}" "${SERVER_EVERYTHING}" stdio; exit $?`] }),
    ],
  ])(
    'kill -9 of %s parent takes its grandchild (the real server) too; the server comes back once',
    async (_kind, launcher) => {
      const home = await tempHome();
      const supervisor = await startSupervisorProcess({
        home: home.path,
        config: {
          mcpServers: { a: { ...launcher(), env: testServerEnv(home.path, 'a') } },
          supervisor: { restart: RESTART },
        },
      });
      const before = serverProcesses(home.path, 'a');
      const grandchild = before.find((p) => p.cmdline.includes(SERVER_EVERYTHING) && p.cmdline.length === 3);
      const parent = before.find((p) => p.pid === grandchild?.ppid);
      expect(parent, describeProcesses(before)).toBeDefined();
      expect(grandchild, describeProcesses(before)).toBeDefined();

      process.kill(parent!.pid, 'SIGKILL');
      const body = await waitForStatus(
        supervisor,
        (b) => serverRow(b, 'a').state === 'online' && serverRow(b, 'a').restarts === 1,
        'a restarted and online',
      );
      expect(serverRow(body, 'a').toolCount).toBeGreaterThan(5);
      const after = processesUnder(home.path);
      expect(isGone(grandchild!.pid, after), describeProcesses(after)).toBe(true);
      // One launcher and one server, both new.
      expect(serverProcesses(home.path, 'a'), describeProcesses(after)).toHaveLength(2);
      await stopToNothing(supervisor, home.path);
    },
    90_000,
  );

  it('kill -9 of the PM2 daemon: status keeps answering, servers come back under a new daemon, a later crash restarts, stop leaves nothing', async () => {
    const home = await tempHome();
    const supervisor = await startSupervisorProcess({
      home: home.path,
      config: {
        mcpServers: {
          a: testServers.everythingStdio(home.path, 'a'),
          b: stubbornServer(home.path, 'b'),
        },
        supervisor: { restart: RESTART },
      },
    });
    const processes = processesUnder(home.path);
    const daemon = processes.find((p) => p.role === 'pm2');
    expect(daemon, describeProcesses(processes)).toBeDefined();
    const oldServers = [...serverProcesses(home.path, 'a'), ...serverProcesses(home.path, 'b')].map(
      (p) => p.pid,
    );
    expect(oldServers).toHaveLength(2);

    process.kill(daemon!.pid, 'SIGKILL');
    // The supervisor still answers, at once.
    await statusWithin(supervisor, 5_000);
    const body = await waitForStatus(
      supervisor,
      (b) =>
        ['a', 'b'].every((name) => {
          const row = serverRow(b, name);
          return row.state === 'online' && row.pid > 0 && !oldServers.includes(row.pid);
        }),
      'a and b online again with new processes',
    );
    const now = processesUnder(home.path);
    const daemons = now.filter((p) => p.role === 'pm2');
    expect(daemons, describeProcesses(now)).toHaveLength(1);
    expect(daemons[0]!.pid).not.toBe(daemon!.pid);
    for (const pid of oldServers) expect(isGone(pid, now), describeProcesses(now)).toBe(true);
    expect(serverProcesses(home.path, 'a')).toHaveLength(1);
    expect(serverProcesses(home.path, 'b')).toHaveLength(1);

    // The new daemon reports exits again: a server that crashes now comes back.
    const restarts = serverRow(body, 'a').restarts;
    const [a] = serverProcesses(home.path, 'a');
    process.kill(a!.pid, 'SIGKILL');
    await waitForStatus(
      supervisor,
      (b) => serverRow(b, 'a').state === 'online' && serverRow(b, 'a').restarts > restarts,
      'a restarted after a crash under the new daemon',
    );
    await stopToNothing(supervisor, home.path);
  }, 120_000);

  it('kill -9 of the supervisor: the PM2 daemon and every server go by themselves, also one that ignores EOF and SIGTERM, and a running tool probe', async () => {
    const home = await tempHome();
    const supervisor = await startSupervisorProcess({
      home: home.path,
      config: {
        mcpServers: {
          a: testServers.everythingStdio(home.path, 'a'),
          b: testServers.memory(home.path, 'b'),
          c: stubbornServer(home.path, 'c', { ignoreTerm: true }),
        },
        supervisor: { restart: RESTART },
      },
    });
    expect(processesUnder(home.path).filter((p) => p.role === 'pm2')).toHaveLength(1);
    // The gateway's tool probe of a 2025 stdio server runs outside PM2 (a second process of its
    // command, upstream/tool-probe.ts): the kill comes while the stubborn server's probe runs (it
    // ignores the end of its input and SIGTERM too), so that has to go by itself as well.
    await waitFor(
      () =>
        processesUnder(home.path).some((p) => p.role === 'probe' && p.environ.MCPS_TEST_SERVER === 'c') ||
        undefined,
      { timeoutMs: 30_000, intervalMs: 50, what: 'the tool probe of server c' },
    );
    supervisor.child.kill('SIGKILL');
    await supervisor.exited;
    // No later start: whatever the supervisor ran must end on its own, within the kill timeout.
    const left = await waitForNoProcessesUnder(home.path, { timeoutMs: KILL_TIMEOUT_MS + 8_000 });
    expect(left, describeProcesses(left)).toHaveLength(0);
  }, 90_000);

  it('stop SIGKILLs a server that ignores the end of its input and SIGTERM after killTimeoutMs', async () => {
    const home = await tempHome();
    const supervisor = await startSupervisorProcess({
      home: home.path,
      config: {
        mcpServers: {
          c: stubbornServer(home.path, 'c', { ignoreTerm: true }),
          b: testServers.memory(home.path, 'b'),
        },
        supervisor: { restart: RESTART },
      },
    });
    expect(serverProcesses(home.path, 'c')).toHaveLength(1);
    const startedAt = Date.now();
    await stopToNothing(supervisor, home.path);
    // It got its SIGTERM and the whole kill timeout before the SIGKILL.
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(KILL_TIMEOUT_MS - 100);
  }, 90_000);
});
