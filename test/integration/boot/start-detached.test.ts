/**
 * `start -d` and the first moments of a supervisor (issue 9, item 7): `start -d` returns once the
 * servers are up (progress on stderr while they are slow), or says which failed and why (exit 0,
 * or 7 with `--strict`); meanwhile `status` lists every configured server from its first answer,
 * and `/mcp/<server>` answers `server_unavailable` (-32014) with `retryAfterMs`, never 404.
 */
import { existsSync, watch } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { ControlClient } from '../../../supervisor/client/control-client.ts';
import { readState } from '../../../supervisor/client/state-file.ts';
import { readToken } from '../../../supervisor/client/token.ts';
import type { StatusBody } from '../../../supervisor/client/wire-types.ts';
import { EXIT_CODES } from '../../../supervisor/shared/errors.ts';
import {
  cleanupTempHomes,
  describeProcesses,
  processesUnder,
  runCli,
  serverRow,
  spawnCli,
  type TempHome,
  tempHome,
  testServerEnv,
  waitFor,
} from '../../helpers/index.ts';
import { npxStyleSlowServer, SLOW_START_SERVER } from './fixtures.ts';

afterEach(async () => {
  await cleanupTempHomes();
});

/** The servers wait this long before they speak MCP: `start -d` must outwait them. */
const SERVER_DELAY_MS = 4_000;

async function stopAndCheck(home: TempHome): Promise<void> {
  const stop = await runCli(['stop'], { home: home.path });
  expect(stop.code, stop.stderr).toBe(0);
  const left = processesUnder(home.path);
  expect(left, describeProcesses(left)).toHaveLength(0);
}

async function initializeOn(origin: string, token: string, server: string) {
  const response = await fetch(`${origin}/mcp/${server}`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${token}`,
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
    },
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '1' } },
    }),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe('start -d', () => {
  it('waits for slow servers (progress on stderr); meanwhile status lists them and /mcp/<server> says -32014', async () => {
    const home = await tempHome();
    await writeFile(
      home.paths.configFile,
      JSON.stringify({
        mcpServers: {
          one: npxStyleSlowServer(home.path, 'one', SERVER_DELAY_MS),
          two: npxStyleSlowServer(home.path, 'two', SERVER_DELAY_MS),
        },
        supervisor: { port: 0 },
      }),
    );
    const start = spawnCli(['start', '-d'], { home: home.path });
    // The first status the supervisor answers already lists both servers, on their way up.
    const first = await waitFor(
      async () => {
        const state = await readState(home.paths.stateFile);
        if (!state?.port) return undefined;
        return new ControlClient(home.paths).request<StatusBody>('GET', '/api/status');
      },
      { what: 'the first status', timeoutMs: 60_000, intervalMs: 20 },
    );
    expect(first.servers.map((s) => s.name).sort()).toEqual(['one', 'two']);
    for (const row of first.servers) expect(['starting', 'installing']).toContain(row.state);

    // The gateway knows them before they are up: a retryable refusal, never 404.
    const state = await readState(home.paths.stateFile);
    const token = (await readToken(home.paths.tokenFile)) ?? '';
    const early = await initializeOn(`http://127.0.0.1:${state!.port}`, token, 'one');
    expect(early.status).toBe(200);
    expect(early.body.error).toMatchObject({
      code: -32014,
      data: { reason: 'server_unavailable', server: 'one', retryAfterMs: expect.any(Number) },
    });
    const unknown = await initializeOn(`http://127.0.0.1:${state!.port}`, token, 'nope');
    expect(unknown.status).toBe(404);

    const result = await start.exited;
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(
      /^started \(pid \d+\), control API and gateway at http:\/\/127\.0\.0\.1:\d+; 2 server\(s\) online\n$/,
    );
    expect(result.stderr).toMatch(/waiting for (one|two) (installing|starting)/);
    // Returned only once they were up.
    const body = await new ControlClient(home.paths).request<StatusBody>('GET', '/api/status');
    expect(body.servers.map((s) => s.state)).toEqual(['online', 'online']);
    const late = await initializeOn(`http://127.0.0.1:${state!.port}`, token, 'one');
    expect(late.body.result).toBeDefined();
    await stopAndCheck(home);
  });

  it('says which server failed and why (exit 0), or exits 7 with --strict', async () => {
    const home = await tempHome();
    await writeFile(
      home.paths.configFile,
      JSON.stringify({
        mcpServers: {
          good: npxStyleSlowServer(home.path, 'good', 0),
          broken: {
            command: process.execPath,
            args: [SLOW_START_SERVER, '--fail', 'cannot reach the database at db.invalid'],
            env: testServerEnv(home.path, 'broken'),
          },
        },
        supervisor: { port: 0 },
      }),
    );
    const lenient = await runCli(['start', '-d'], { home: home.path });
    expect(lenient.code, lenient.stderr).toBe(0);
    expect(lenient.stdout).toMatch(/; 1 online, 1 errored\n$|; 1 errored, 1 online\n$/);
    expect(lenient.stderr).toMatch(
      /mcp-supervisor: server broken is errored: exit code 1 before it answered initialize: cannot reach the database at db\.invalid/,
    );
    await stopAndCheck(home);

    const strict = await runCli(['start', '-d', '--strict', '--json'], { home: home.path });
    expect(strict.code, strict.stderr).toBe(EXIT_CODES.SERVER_UNAVAILABLE);
    const answer = JSON.parse(strict.stdout) as { ok: boolean; servers: { name: string; state: string }[] };
    expect(answer.ok).toBe(false);
    expect(answer.servers.find((s) => s.name === 'broken')?.state).toBe('errored');
    const body = await new ControlClient(home.paths).request<StatusBody>('GET', '/api/status');
    expect(serverRow(body, 'good').state).toBe('online');
    await stopAndCheck(home);
  });
  it('a stop at the instant it claims the home: exits 4, nothing runs, nothing is left', async () => {
    // Once killed by it: `stop` signals the pid that holds the home from the instant it is claimed,
    // and `start -d` listened for SIGTERM only once it had launched the supervisor. Signalled
    // between the two, it died of the signal (no exit code) and left its state file behind.
    const outcomes: string[] = [];
    for (let attempt = 0; attempt < 4; attempt++) {
      const home = await tempHome();
      await writeFile(
        home.paths.configFile,
        JSON.stringify({
          mcpServers: { one: npxStyleSlowServer(home.path, 'one', 0) },
          supervisor: { port: 0 },
        }),
      );
      const start = spawnCli(['start', '-d'], { home: home.path });
      let signalledAt: string | undefined;
      const watcher = watch(home.path, (_event, file) => {
        if (signalledAt !== undefined || (file !== 'supervisor.lock' && file !== 'supervisor.json')) return;
        signalledAt = file;
        start.child.kill('SIGTERM');
      });
      const result = await start.exited;
      watcher.close();
      const left = await waitFor(() => (processesUnder(home.path).length === 0 ? [] : undefined), {
        what: 'nothing running under the home',
        timeoutMs: 10_000,
      }).catch(() => processesUnder(home.path));
      outcomes.push(
        `signalled at ${signalledAt}: exit ${result.code} signal ${result.signal}, state file ${existsSync(home.paths.stateFile) ? 'left' : 'gone'}, ${left.length} left`,
      );
      expect(signalledAt, outcomes.join('\n')).toBeDefined();
      expect(result.code, outcomes.join('\n')).toBe(EXIT_CODES.NOT_RUNNING);
      expect(result.stderr).toMatch(/stopped while it started/);
      expect(existsSync(home.paths.stateFile), outcomes.join('\n')).toBe(false);
      expect(left, describeProcesses(left)).toHaveLength(0);
      await home.cleanup();
    }
  });
});
