/**
 * One start per home (issue 9, item 4d): two `start` for one home at once, on different ports,
 * end with exactly one supervisor and one PM2 daemon; the loser exits 5 naming the holder (pid,
 * port, since when), never with advice about the database; `start -d` says the same; after `stop`
 * nothing is left.
 */
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { isProcessAlive, readState } from '../../../supervisor/client/state-file.ts';
import { EXIT_CODES } from '../../../supervisor/shared/errors.ts';
import {
  type CliResult,
  cleanupTempHomes,
  describeProcesses,
  freePort,
  processesUnder,
  runCli,
  spawnCli,
  tempHome,
  testServers,
  waitFor,
  withDeadline,
} from '../../helpers/index.ts';

const CLAIMER = path.join(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/home-claimer.ts');

afterEach(async () => {
  await cleanupTempHomes();
});

describe('one start per home', () => {
  it('two `start` at once on a fresh home: one runs, the other exits 5 naming it', async () => {
    const home = await tempHome();
    await writeFile(
      home.paths.configFile,
      JSON.stringify({ mcpServers: { memory: testServers.memory(home.path, 'memory') } }),
    );
    const [portA, portB] = [await freePort(), await freePort()];
    const a = spawnCli(['start'], { home: home.path, env: { MCP_SUPERVISOR_PORT: String(portA) } });
    const b = spawnCli(['start'], { home: home.path, env: { MCP_SUPERVISOR_PORT: String(portB) } });
    // Seen once in a full run: the test's 60 s ran out, at a step not known. Each wait is bounded
    // and says what it waited for, with what runs under the home and what both starts said.
    const within = <T>(promise: Promise<T>, what: string): Promise<T> =>
      withDeadline(promise, 30_000, () => {
        const running = describeProcesses(processesUnder(home.path));
        return `${what}\nunder the home:\n${running}\na: ${a.stderr().slice(-500)}\nb: ${b.stderr().slice(-500)}`;
      });
    // The loser ends by itself; the winner runs on.
    const loser = await within(
      Promise.race([
        a.exited.then((result) => ({ name: 'a', result, winner: b })),
        b.exited.then((result) => ({ name: 'b', result, winner: a })),
      ]),
      'one of the two starts to exit',
    );
    let lastState: unknown;
    const state = await waitFor(
      async () => {
        const found = await readState(home.paths.stateFile);
        lastState = found;
        return found && found.port > 0 ? found : undefined;
      },
      {
        what: 'the winner to listen',
        timeoutMs: 30_000,
        describeLast: () =>
          `state ${JSON.stringify(lastState)}; ${loser.name} exited ${loser.result.code}: ${loser.result.stderr.slice(-400)}; the other exited ${loser.winner.child.exitCode}: ${loser.winner.stderr().slice(-600)}\nunder the home:\n${describeProcesses(processesUnder(home.path))}`,
      },
    );
    expect(state.pid).toBe(loser.winner.child.pid);
    expect(loser.result.code, loser.result.stderr).toBe(EXIT_CODES.ALREADY_RUNNING);
    const message = loser.result.stderr.trim();
    expect(message).toMatch(
      new RegExp(
        `^mcp-supervisor: a supervisor is already running for home ${home.path} \\(pid ${state.pid}, (port \\d+, starting|port \\d+|starting), since \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d\\); stop it with: mcp-supervisor stop --home ${home.path}$`,
      ),
    );
    expect(message).not.toMatch(/database|move the file/);

    // `start -d` is refused the same way, naming the holder and its port now.
    const detached = await runCli(['start', '-d'], { home: home.path });
    expect(detached.code, detached.stderr).toBe(EXIT_CODES.ALREADY_RUNNING);
    expect(detached.stderr).toContain(`(pid ${state.pid}, port ${state.port}, since `);

    await waitFor(() => (processesUnder(home.path).some((p) => p.role === 'server') ? true : undefined), {
      what: 'the winner’s server',
      timeoutMs: 60_000,
    });
    const processes = processesUnder(home.path);
    expect(
      processes.filter((p) => p.role === 'pm2'),
      describeProcesses(processes),
    ).toHaveLength(1);
    expect(processes.filter((p) => p.role === 'supervisor').map((p) => p.pid)).toEqual([state.pid]);

    const stop = await runCli(['stop'], { home: home.path });
    expect(stop.code, stop.stderr).toBe(0);
    const winnerExit: CliResult = await within(loser.winner.exited, 'the winner to exit after stop');
    expect(winnerExit.code, winnerExit.stderr.slice(-1000)).toBe(0);
    const left = processesUnder(home.path);
    expect(left, describeProcesses(left)).toHaveLength(0);
  });

  it('two `start -d` at once: one supervisor, the other exits 5 with the holder', async () => {
    const home = await tempHome();
    await writeFile(
      home.paths.configFile,
      JSON.stringify({ mcpServers: { memory: testServers.memory(home.path, 'memory') } }),
    );
    const [portA, portB] = [await freePort(), await freePort()];
    const runs = await Promise.all([
      runCli(['start', '-d'], { home: home.path, env: { MCP_SUPERVISOR_PORT: String(portA) } }),
      runCli(['start', '-d'], { home: home.path, env: { MCP_SUPERVISOR_PORT: String(portB) } }),
    ]);
    const codes = runs.map((run) => run.code).sort();
    expect(codes, runs.map((r) => r.stderr).join('\n')).toEqual([0, EXIT_CODES.ALREADY_RUNNING]);
    const loser = runs.find((run) => run.code === EXIT_CODES.ALREADY_RUNNING)!;
    const state = await readState(home.paths.stateFile);
    // The holder named is the winning supervisor, or the winning `start -d` that held the home
    // for it until the handoff (gone by now).
    const named = /a supervisor is already running for home \S+ \(pid (\d+)/.exec(loser.stderr);
    expect(named, loser.stderr).not.toBeNull();
    const namedPid = Number(named![1]);
    expect(namedPid === state?.pid || !isProcessAlive(namedPid), loser.stderr).toBe(true);
    const processes = processesUnder(home.path);
    expect(
      processes.filter((p) => p.role === 'pm2'),
      describeProcesses(processes),
    ).toHaveLength(1);
    expect(
      processes.filter((p) => p.role === 'supervisor'),
      describeProcesses(processes),
    ).toHaveLength(1);
    const stop = await runCli(['stop'], { home: home.path });
    expect(stop.code, stop.stderr).toBe(0);
    const left = processesUnder(home.path);
    expect(left, describeProcesses(left)).toHaveLength(0);
  });

  it('`start -d` hands its home to its supervisor with no gap a second start can take', async () => {
    const home = await tempHome();
    await writeFile(
      home.paths.configFile,
      JSON.stringify({ mcpServers: { memory: testServers.memory(home.path, 'memory') } }),
    );
    // Another start that tries to take the home every 2 ms, all along the handoff.
    const claimer = spawn(process.execPath, [CLAIMER, home.path], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let said = '';
    claimer.stdout!.setEncoding('utf8').on('data', (text: string) => {
      said += text;
    });
    try {
      await waitFor(() => (said.includes('ready') ? true : undefined), {
        what: 'the claimer',
        timeoutMs: 30_000,
      });
      const started = await runCli(['start', '-d'], { home: home.path, env: { MCP_SUPERVISOR_PORT: '0' } });
      expect(started.code, started.stderr).toBe(0);
      expect(said).not.toContain('won');
      const state = await readState(home.paths.stateFile);
      expect(state && isProcessAlive(state.pid)).toBe(true);
    } finally {
      claimer.kill('SIGKILL');
    }
    const stop = await runCli(['stop'], { home: home.path });
    expect(stop.code, stop.stderr).toBe(0);
    const left = processesUnder(home.path);
    expect(left, describeProcesses(left)).toHaveLength(0);
  });
});
