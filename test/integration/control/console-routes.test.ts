/**
 * The console's control API routes against a real supervisor process with real servers: live
 * overview, server detail with prompts and resources, the request log, the merged timeline, the
 * masked config with check/apply, and the supervisor's own log with a live follow.
 */
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readEventStream } from '../../../supervisor/client/control-client.ts';
import { consoleServers, mcpSession } from '../../e2e/fixtures/index.ts';
import {
  cleanupTempHomes,
  type SupervisorProcess,
  startSupervisorProcess,
  tempHome,
  waitFor,
} from '../../helpers/index.ts';

let supervisor: SupervisorProcess;
let home: string;
const abort = new AbortController();

const get = <T>(path: string) => supervisor.client.request<T>('GET', path);

async function post(path: string, body: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await supervisor.client.fetch('POST', path, { body });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

beforeAll(async () => {
  home = (await tempHome()).path;
  supervisor = await startSupervisorProcess({
    home,
    config: {
      mcpServers: {
        chatty: consoleServers.chatty(home, 'chatty', {
          env: { ...consoleServers.chatty(home, 'chatty').env, API_TOKEN: 'tok-secret-1' },
        }),
      },
      supervisor: {
        gateway: { auth: 'none' },
        monitor: { intervalMs: 500, thresholds: { cpuPercent: 100, memoryPercent: 100, loadPerCore: 1000 } },
      },
    },
    // Environment overrides of the file's settings (the helper also sets MCP_SUPERVISOR_PORT=0).
    env: { LOG_LEVEL: 'debug' },
  });
});

afterAll(async () => {
  abort.abort();
  await supervisor?.stop();
  await cleanupTempHomes();
});

describe('console routes (real supervisor process)', () => {
  // First: a reload that applies a file changes what the running config holds.
  it('finds no change in the unchanged file, whatever the environment overrides', async () => {
    const view = await get<{ text: string }>('/api/config');
    const check = await post('/api/config/check', view.text);
    expect(check).toMatchObject({
      status: 200,
      body: { ok: true, diff: { added: [], changed: [], removed: [], supervisorChanged: false } },
    });
    const reload = await supervisor.client.request<{ result: { supervisorChanged: boolean } }>(
      'POST',
      '/api/reload',
    );
    expect(reload.result.supervisorChanged).toBe(false);
  });

  it('shows live request numbers and a CPU/RSS sparkline per server', async () => {
    const session = await mcpSession(supervisor.port, 'chatty');
    for (let i = 0; i < 5; i++) await session.callTool('wait', { ms: 20 });
    await session.callTool('fail', { message: 'nope' });
    const overview = await waitFor(
      async () => {
        const body = await get<{
          servers: {
            name: string;
            lastMinute: { count: number; errors: number; p95Ms: number | null };
            spark: { cpuPercent: (number | null)[]; rssBytes: (number | null)[] };
          }[];
        }>('/api/overview');
        const row = body.servers.find((s) => s.name === 'chatty');
        return row && row.lastMinute.count >= 6 && row.spark.rssBytes.some((v) => v !== null)
          ? row
          : undefined;
      },
      { what: 'live numbers and a sampled RSS for chatty', timeoutMs: 20_000 },
    );
    expect(overview.lastMinute.errors).toBeGreaterThanOrEqual(1);
    // Twenty-millisecond calls: the interpolated p95 sits near them, not at a bucket bound.
    expect(overview.lastMinute.p95Ms).toBeGreaterThan(15);
    expect(overview.lastMinute.p95Ms).toBeLessThan(200);
  });

  it('details a server: tools, prompts, resources, masked config, endpoint', async () => {
    const detail = await get<
      Record<string, unknown> & { tools: { name: string }[]; catalog: Record<string, unknown> }
    >('/api/server?name=chatty');
    expect(detail.endpointPath).toBe('/mcp/chatty');
    expect(detail.tools.map((t) => t.name)).toEqual(['say', 'wait', 'fail', 'spam']);
    expect(detail.catalog).toMatchObject({
      prompts: [{ name: 'greeting', description: 'Says hello.' }],
      resources: [{ uri: 'console://readme', name: 'readme' }],
      resourceTemplates: [{ uriTemplate: 'console://notes/{id}' }],
      problems: [],
    });
    expect(detail.upstream).toMatchObject({ state: 'ready', serverInfo: { name: 'console-fixture' } });
    expect(JSON.stringify(detail.config)).not.toContain('tok-secret-1');
    const unknown = await supervisor.client.fetch('GET', '/api/server?name=nope');
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as { error: { message: string } }).error.message).toBe(
      'no server named "nope" (configured: chatty)',
    );
  });

  it('pages the request log with filters', async () => {
    const session = await mcpSession(supervisor.port, 'chatty');
    await session.callTool('fail', { message: 'again' });
    const errors = await get<{
      rows: { tool: string; status: string; errorCode: string }[];
      next: string | null;
    }>('/api/requests?server=chatty&status=error&since=10m');
    expect(errors.rows.length).toBeGreaterThanOrEqual(2);
    expect(errors.rows.every((row) => row.status === 'error' && row.tool === 'fail')).toBe(true);
    // Payload capture is off unless the config turns it on.
    expect(errors.rows.every((row) => (row as { params?: unknown }).params === null)).toBe(true);
    const page = await get<{ rows: unknown[]; next: string | null }>('/api/requests?limit=2');
    expect(page.rows).toHaveLength(2);
    expect(page.next).toMatch(/^\d+:\d+$/);
    const older = await get<{ rows: unknown[] }>(`/api/requests?limit=2&before=${page.next}`);
    expect(older.rows).not.toEqual(page.rows);
    const bad = await supervisor.client.fetch('GET', '/api/requests?status=sideways');
    expect(bad.status).toBe(400);
    expect(await bad.text()).toMatch(/bad requests query: status/);
  });

  it('shows the config masked, checks edits with the schema’s words, applies them as a reload', async () => {
    const view = await get<{ text: string; form: string; isDefault: boolean; revision: string }>(
      '/api/config',
    );
    expect(view.isDefault).toBe(false);
    expect(view.text).not.toContain('tok-secret-1');
    expect(view.text).toContain('"API_TOKEN": "••••••"');

    const broken = view.text.replace('"intervalMs": 500', '"intervalMs": "fast"');
    const check = await post('/api/config/check', broken);
    expect(check.status).toBe(422);
    expect(check.body.problems).toEqual(['supervisor.monitor.intervalMs: expected number, received string']);

    const parsed = JSON.parse(view.text) as { mcpServers: Record<string, unknown> };
    parsed.mcpServers.second = consoleServers.chatty(home, 'second');
    const edited = JSON.stringify(parsed, null, 2);
    const preview = await post('/api/config/check', edited);
    expect(preview).toMatchObject({
      status: 200,
      body: { ok: true, diff: { added: ['second'], changed: [] } },
    });
    const applied = await post('/api/config/apply', edited);
    expect(applied).toMatchObject({ status: 200, body: { ok: true, diff: { added: ['second'] } } });
    // The file on disk got the real secret back, not the mask.
    const onDisk = await readFile(supervisor.paths.configFile, 'utf8');
    expect(onDisk).toContain('tok-secret-1');
    expect(onDisk).not.toContain('••••••');
    // An apply based on what the page showed before that change is refused, not written over it.
    const stale = await post(`/api/config/apply?revision=${view.revision}`, view.text);
    expect(stale.status).toBe(409);
    expect((stale.body.error as { message: string }).message).toMatch(/changed on disk since it was opened/);
    await supervisor.waitForStatus(
      (s) => s.servers.some((r) => r.name === 'second' && r.state === 'online'),
      'second online',
    );
  });

  it('merges lifecycle events, reloads and alerts into one timeline', async () => {
    await supervisor.client.request('POST', '/api/servers/second/restart');
    const timeline = await waitFor(
      async () => {
        const body = await get<{
          entries: { category: string; type: string; server: string | null; detail: unknown }[];
        }>('/api/timeline?since=10m');
        const hasReload = body.entries.some((e) => e.category === 'reload');
        const hasStop = body.entries.some((e) => e.server === 'second' && e.type === 'stop');
        return hasReload && hasStop ? body : undefined;
      },
      { what: 'a reload and a stop of "second" on the timeline' },
    );
    const reload = timeline.entries.find((e) => e.category === 'reload');
    expect(reload).toMatchObject({ server: null, detail: { ok: true, added: ['second'] } });
    const onlyReloads = await get<{ entries: { category: string }[] }>(
      '/api/timeline?since=10m&category=reload',
    );
    expect(onlyReloads.entries.every((e) => e.category === 'reload')).toBe(true);
  });

  it('tails and follows the supervisor’s own JSON log', async () => {
    const tail = await get<{ lines: string[] }>('/api/logs/supervisor?lines=50');
    expect(tail.lines.length).toBeGreaterThan(0);
    expect(JSON.parse(tail.lines.at(-1) ?? '{}')).toHaveProperty('level');
    const received: string[] = [];
    const response = await supervisor.client.fetch('GET', '/api/logs/supervisor/follow', {
      signal: abort.signal,
    });
    void readEventStream(response, (_event, data) =>
      received.push(...(data as { lines: string[] }).lines),
    ).catch(() => {});
    await supervisor.client.request('POST', '/api/servers/second/stop');
    await waitFor(
      () => (received.some((line) => line.includes('server second: stopped')) ? true : undefined),
      {
        what: 'the stop of "second" on the followed supervisor log',
        timeoutMs: 10_000,
        describeLast: () => received.slice(-3).join('\n'),
      },
    );
  });
});
