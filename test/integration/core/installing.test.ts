/**
 * The first start of a package server (issue 11): a server run through a real `npx -y` of a local
 * tarball (a fresh npm cache, so npx really installs it) is `installing`, then `online`; one whose
 * command fails is `errored` with its stderr at once, not a restart loop; `startTimeoutMs` bounds
 * the whole first start, after which the server is `errored` and stays down.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { readEventStream } from '../../../supervisor/client/control-client.ts';
import {
  cleanupTempHomes,
  describeProcesses,
  processesUnder,
  type SupervisorProcess,
  serverProcesses,
  serverRow,
  sleep,
  startSupervisorProcess,
  tempHome,
  testServerEnv,
} from '../../helpers/index.ts';
import { npxStyleSlowServer, SLOW_START_PACKAGE } from '../boot/fixtures.ts';

let packDir: string;
let tarball: string;

beforeAll(async () => {
  packDir = await mkdtemp(path.join(os.tmpdir(), 'mcps-pack-'));
  const name = execFileSync('npm', ['pack', '--silent', '--pack-destination', packDir, SLOW_START_PACKAGE], {
    encoding: 'utf8',
  }).trim();
  tarball = path.join(packDir, name);
});

afterAll(async () => {
  await rm(packDir, { recursive: true, force: true });
});

afterEach(async () => {
  await cleanupTempHomes();
});

/** `npx -y` of the fixture's tarball with its own npm cache: the first run installs it. */
function npxServer(home: string, name: string, serverArgs: string[]) {
  return {
    command: 'npx',
    args: ['-y', '--package', tarball, 'mcps-slow-start-server', ...serverArgs],
    env: {
      ...testServerEnv(home, name),
      npm_config_cache: path.join(home, 'npm-cache'),
      npm_config_update_notifier: 'false',
      npm_config_fund: 'false',
      npm_config_audit: 'false',
    },
  };
}

/** Every state `server` was reported in on the event stream, in order, until `signal` aborts. */
function recordStates(supervisor: SupervisorProcess, server: string, signal: AbortSignal): string[] {
  const states: string[] = [];
  void supervisor.client
    .fetch('GET', '/api/events', { signal })
    .then((response) =>
      readEventStream(response, (event, data) => {
        const payload = data as { server?: string; state?: string };
        if (
          event === 'server' &&
          payload.server === server &&
          payload.state &&
          states.at(-1) !== payload.state
        )
          states.push(payload.state);
      }),
    )
    .catch(() => {});
  return states;
}

describe('first start of a package server', () => {
  it('a real `npx -y` install shows `installing`, then `online`', async () => {
    const home = await tempHome();
    const supervisor = await startSupervisorProcess({
      home: home.path,
      config: { mcpServers: { pkg: npxServer(home.path, 'pkg', ['--delay-ms', '1500']) } },
      // The states are followed from the first moment the API answers, not awaited here.
      waitForOnline: [],
    });
    const abort = new AbortController();
    const states = recordStates(supervisor, 'pkg', abort.signal);
    const seen = new Set<string>();
    const body = await supervisor.waitForStatus(
      (b) => {
        const row = serverRow(b, 'pkg');
        seen.add(row.state);
        return row.state === 'online' || row.state === 'errored';
      },
      'pkg online',
      90_000,
    );
    abort.abort();
    const row = serverRow(body, 'pkg');
    expect(row.state, row.lastError).toBe('online');
    expect(row.toolCount).toBe(1);
    // Seen by polling or on the event stream (which may have connected after it began).
    expect([...seen, ...states], JSON.stringify({ seen: [...seen], states })).toContain('installing');
    if (states.includes('installing')) {
      expect(states.indexOf('installing')).toBeLessThan(states.indexOf('online'));
    }
    expect(row.restarts).toBe(0);
    const stop = await supervisor.stop();
    expect(stop.code, stop.stderr).toBe(0);
    const left = processesUnder(home.path);
    expect(left, describeProcesses(left)).toHaveLength(0);
  });

  it('a command that fails is `errored` with its stderr, and is not restarted', async () => {
    const home = await tempHome();
    const supervisor = await startSupervisorProcess({
      home: home.path,
      config: {
        mcpServers: { broken: npxServer(home.path, 'broken', ['--fail', 'Error: GITHUB_TOKEN is not set']) },
      },
      waitForOnline: [],
    });
    const body = await supervisor.waitForStatus(
      (b) => serverRow(b, 'broken').state === 'errored',
      'broken errored',
      90_000,
    );
    const row = serverRow(body, 'broken');
    expect(row.lastError).toMatch(
      /^exit code 1 before it answered initialize: .*Error: GITHUB_TOKEN is not set/,
    );
    expect(row.lastExit?.exitCode).toBe(1);
    // It stays down: no restart, no process.
    await sleep(2_000);
    const later = serverRow(await supervisor.status(), 'broken');
    expect(later.state).toBe('errored');
    expect(later.restarts).toBe(0);
    expect(later.lastExit?.at).toBe(row.lastExit?.at);
    expect(serverProcesses(home.path, 'broken')).toHaveLength(0);
    const stop = await supervisor.stop();
    expect(stop.code, stop.stderr).toBe(0);
  });

  it('startTimeoutMs bounds the whole first start: then `errored`, stopped, not retried', async () => {
    const home = await tempHome();
    const supervisor = await startSupervisorProcess({
      home: home.path,
      config: {
        mcpServers: {
          sluggish: { ...npxStyleSlowServer(home.path, 'sluggish', 60_000), startTimeoutMs: 3_000 },
        },
      },
      waitForOnline: [],
    });
    const body = await supervisor.waitForStatus(
      (b) => serverRow(b, 'sluggish').state === 'errored',
      'sluggish errored',
      60_000,
    );
    const row = serverRow(body, 'sluggish');
    expect(row.lastError).toMatch(
      /^no answer to initialize within startTimeoutMs 3000 ms: slow-start fixture: waiting 60000 ms before speaking MCP$/,
    );
    await sleep(1_500);
    const later = serverRow(await supervisor.status(), 'sluggish');
    expect(later.state).toBe('errored');
    expect(later.restarts).toBe(0);
    expect(serverProcesses(home.path, 'sluggish')).toHaveLength(0);
    const stop = await supervisor.stop();
    expect(stop.code, stop.stderr).toBe(0);
  });
});
