/**
 * With the supervisor stopped, `metrics`, `events`, `alerts` and `logs` read what it recorded —
 * the database read-only (never created, never migrated) and the servers' log files — and say
 * that the supervisor is stopped.
 */
import fs from 'node:fs';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../../../supervisor/store/db.ts';
import {
  cleanupTempHomes,
  runCli,
  type SupervisorProcess,
  startSupervisorProcess,
  type TempHome,
  tempHome,
  testServers,
  waitFor,
} from '../../helpers/index.ts';
import { connectClient, mcpUrl } from '../gateway/helpers.ts';

let home: TempHome;
let supervisor: SupervisorProcess;

beforeAll(async () => {
  home = await tempHome();
  supervisor = await startSupervisorProcess({
    home: home.path,
    config: {
      mcpServers: { everything: testServers.everythingStdio(home.path, 'everything') },
      supervisor: {
        gateway: { auth: 'none' },
        monitor: { intervalMs: 200, thresholds: { cpuPercent: 100, memoryPercent: 100, loadPerCore: 1000 } },
      },
    },
  });
  // 25 tool errors and 5 good calls: an error-rate alert that is still firing when it stops.
  const { client, close } = await connectClient(mcpUrl(supervisor.port, 'everything'));
  for (let i = 0; i < 25; i++) await client.callTool({ name: 'echo', arguments: {} });
  for (let i = 0; i < 5; i++) await client.callTool({ name: 'echo', arguments: { message: 'hi' } });
  await close();
  await waitFor(
    async () => {
      const body = await supervisor.client.request<{ alerts: { key: string }[] }>('GET', '/api/alerts');
      return body.alerts.some((a) => a.key === 'error_rate:everything') ? true : undefined;
    },
    { what: 'the error-rate alert', timeoutMs: 15_000 },
  );
  const stopped = await supervisor.stop();
  expect(stopped.code, stopped.stderr).toBe(0);
});

afterAll(cleanupTempHomes);

const STOPPED = /the supervisor of home .* is stopped; showing what it recorded/;

describe('reads of a stopped supervisor', () => {
  it('metrics: the totals per server from the database', async () => {
    const result = await runCli(['metrics', '--json', '--since', '1h'], { home: home.path });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(STOPPED);
    const body = JSON.parse(result.stdout) as { offline: boolean; servers: Record<string, unknown>[] };
    expect(body.offline).toBe(true);
    // The 30 tool calls and the gateway's own list/initialize traffic of the session.
    expect(body.servers).toEqual([
      expect.objectContaining({ server: 'everything', errors: 25, cpuPercent: null, rssBytes: null }),
    ]);
    expect(body.servers[0]!.requests).toBeGreaterThanOrEqual(30);
    const table = await runCli(['metrics', '--server', 'everything'], { home: home.path });
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/everything\s+\d+\s+25/);
    const unknown = await runCli(['metrics', '--server', 'nope'], { home: home.path });
    expect(unknown.code).toBe(6);
  });

  it('events and alerts: lifecycle and the alert that was firing', async () => {
    const events = await runCli(['events', '--json'], { home: home.path });
    expect(events.code, events.stderr).toBe(0);
    const kinds = (JSON.parse(events.stdout) as { events: { server: string; kind: string }[] }).events.map(
      (e) => `${e.server}:${e.kind}`,
    );
    expect(kinds).toEqual(expect.arrayContaining(['everything:start', 'everything:stop']));
    const alerts = await runCli(['alerts', '--json'], { home: home.path });
    expect(alerts.code, alerts.stderr).toBe(0);
    expect(alerts.stderr).toMatch(STOPPED);
    const firing = (JSON.parse(alerts.stdout) as { alerts: { key: string }[] }).alerts.map((a) => a.key);
    // (A saturated test machine may add host_cpu: 100 % is reached.)
    expect(firing).toContain('error_rate:everything');
    const table = await runCli(['alerts', '--all', '-f'], { home: home.path });
    expect(table.code).toBe(0);
    expect(table.stdout).toContain('error_rate:everything');
  });

  it('logs: the tail of a server’s log files', async () => {
    const result = await runCli(['logs', 'everything', '-n', '5'], { home: home.path });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(STOPPED);
    expect(result.stdout).toMatch(/Starting default \(STDIO\) server/);
    expect((await runCli(['logs', 'nope'], { home: home.path })).code).toBe(6);
  });

  it('never writes the database: no file on a fresh home, no migration of an old one', async () => {
    const fresh = await tempHome();
    const result = await runCli(['alerts', '--json'], { home: fresh.path });
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({ alerts: [], offline: true });
    expect(fs.existsSync(fresh.paths.databaseFile)).toBe(false);

    const old = await tempHome();
    openStore(old.paths.databaseFile, { toVersion: 4 }).close();
    const refused = await runCli(['events'], { home: old.path });
    expect(refused.code).toBe(13);
    expect(refused.stderr).toMatch(
      /written by an older mcp-supervisor \(schema 4 of \d+\); start the supervisor once/,
    );
    const db = new Database(old.paths.databaseFile, { readonly: true });
    expect(db.pragma('user_version', { simple: true })).toBe(4);
    db.close();
  });
});
