/**
 * A real supervisor process: a burst of failing requests crosses the error-rate threshold, exactly
 * one alert fires, it reaches the event stream once, and its repeats inside the cooldown are counted
 * rather than sent; requests through the gateway are recorded in SQLite and counted in /metrics;
 * /health/detailed and the CLI reads report them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readEventStream } from '../../../supervisor/client/control-client.ts';
import {
  cleanupTempHomes,
  runCli,
  type SupervisorProcess,
  sleep,
  startSupervisorProcess,
  tempHome,
  testServers,
  waitFor,
} from '../../helpers/index.ts';

let supervisor: SupervisorProcess;
let home: string;
const events: { event: string; data: { type?: string; alert?: { key: string; suppressedCount: number } } }[] =
  [];
const abort = new AbortController();

beforeAll(async () => {
  home = (await tempHome()).path;
  supervisor = await startSupervisorProcess({
    home,
    config: {
      mcpServers: { everything: testServers.everythingStdio(home, 'everything') },
      supervisor: {
        gateway: { auth: 'none' },
        // Host rules are out of the way (a loaded test machine must not fire them); the error-rate
        // rule keeps its defaults: over 10 % of at least 20 requests in the last minute.
        monitor: { intervalMs: 200, thresholds: { cpuPercent: 100, memoryPercent: 100, loadPerCore: 1000 } },
      },
    },
  });
  const response = await supervisor.client.fetch('GET', '/api/events', { signal: abort.signal });
  void readEventStream(response, (event, data) => events.push({ event, data: data as never })).catch(
    () => {},
  );
});

afterAll(async () => {
  abort.abort();
  await supervisor?.stop();
  await cleanupTempHomes();
});

async function call(count: number, method: string, params: Record<string, unknown>): Promise<void> {
  const base = `http://127.0.0.1:${supervisor.port}/mcp/everything`;
  const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
  const init = await fetch(base, {
    method: 'POST',
    headers,
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 0,
      method: 'initialize',
      params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'test', version: '1' } },
    }),
  });
  const session = init.headers.get('mcp-session-id') ?? '';
  await init.text();
  for (let i = 1; i <= count; i++) {
    const response = await fetch(base, {
      method: 'POST',
      headers: { ...headers, 'mcp-session-id': session },
      body: JSON.stringify({ jsonrpc: '2.0', id: i, method, params }),
    });
    expect(response.status).toBe(200);
    await response.text();
  }
}

describe('observability (real supervisor process)', () => {
  it('fires exactly one alert when the error rate crosses its threshold, sends it once, and counts repeats', async () => {
    const key = 'error_rate:everything';
    const fired = () =>
      events.filter((e) => e.event === 'alert' && e.data.type === 'alert.fired' && e.data.alert?.key === key);
    expect(fired()).toHaveLength(0);
    // The server answers a method it does not have with a JSON-RPC error: 25 of those.
    await call(25, 'nonexistent/method', {});
    await waitFor(() => (fired().length > 0 ? true : undefined), {
      what: `the ${key} alert on the event stream`,
      describeLast: () => `events so far: ${JSON.stringify(events).slice(0, 600)}`,
      timeoutMs: 15_000,
    });
    // More failures and many more samples (200 ms apart) inside the 5-minute cooldown: the alert
    // still holds on every one of them, and none of them is sent again.
    await call(10, 'nonexistent/method', {});
    await sleep(2_000);
    expect(fired()).toHaveLength(1);
    const result = await runCli(['alerts', '--json'], { home });
    expect(result.code).toBe(0);
    const firing = (
      JSON.parse(result.stdout) as {
        alerts: { key: string; suppressedCount: number; resolvedAt: number | null }[];
      }
    ).alerts.filter((a) => a.key === key);
    expect(firing).toHaveLength(1);
    expect(firing[0]?.resolvedAt).toBeNull();
    expect(firing[0]?.suppressedCount).toBeGreaterThan(3);
  });

  it('records gateway requests in SQLite and shows them in the metrics summary', async () => {
    await call(25, 'tools/call', { name: 'echo', arguments: { message: 'm' } });
    const summary = await waitFor(
      async () => {
        const result = await runCli(['metrics', '--json', '--server', 'everything', '--since', '10m'], {
          home,
        });
        const body = JSON.parse(result.stdout) as {
          servers: { server: string; requests: number; errors: number; p95Ms: number | null }[];
        };
        const row = body.servers[0];
        return row && row.requests >= 60 ? row : undefined;
      },
      { what: 'the 60 requests in the metrics summary', timeoutMs: 10_000 },
    );
    // The 35 failures of the alert test, and the 25 echoes of this one.
    expect(summary.requests).toBe(60);
    expect(summary.errors).toBe(35);
    expect(summary.p95Ms).not.toBeNull();
    const table = await runCli(['metrics', '--since', '10m'], { home });
    expect(table.stdout).toMatch(/everything\s+\d+/);
  });

  it('serves Prometheus text that parses, with request counters and host gauges', async () => {
    const response = await fetch(`http://127.0.0.1:${supervisor.port}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await response.text();
    const samples = new Map<string, number>();
    for (const line of text.split('\n')) {
      if (line === '' || line.startsWith('#')) continue;
      // name{labels} value — every sample line of the text format.
      const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*(?:\{[^}]*\})?) (-?[0-9.eE+-]+|NaN|\+Inf|-Inf)$/.exec(line);
      expect(match, `not a Prometheus sample line: ${line}`).not.toBeNull();
      samples.set(match?.[1] ?? '', Number(match?.[2]));
    }
    const requests = [...samples.entries()].find(
      ([name]) =>
        name.startsWith('mcp_supervisor_requests_total{') &&
        name.includes('server="everything"') &&
        name.includes('status="ok"'),
    );
    expect(requests?.[1]).toBeGreaterThanOrEqual(25);
    expect(samples.get('mcp_supervisor_host_memory_percent')).toBeGreaterThan(0);
    expect(samples.get('mcp_supervisor_server_up{server="everything"}')).toBe(1);
  });

  it('reports servers, store and monitor on /health/detailed, and lifecycle events', async () => {
    const response = await fetch(`http://127.0.0.1:${supervisor.port}/health/detailed`);
    const body = (await response.json()) as {
      status: string;
      servers: { name: string; state: string }[];
      store: { ok: boolean };
      monitor: { ok: boolean; ticks: number };
    };
    expect(response.status).toBe(200);
    expect(body.status).toBe('ok');
    expect(body.servers).toEqual([expect.objectContaining({ name: 'everything', state: 'online' })]);
    expect(body.store.ok).toBe(true);
    expect(body.monitor.ok).toBe(true);
    expect(body.monitor.ticks).toBeGreaterThan(5);
    const result = await runCli(['events', '--json'], { home });
    const list = (JSON.parse(result.stdout) as { events: { server: string; kind: string }[] }).events;
    expect(list).toContainEqual(expect.objectContaining({ server: 'everything', kind: 'start' }));
  });

  it('answers 503 on /health/detailed when a server is down', async () => {
    const stopped = await runCli(['server', 'stop', 'everything'], { home });
    expect(stopped.code).toBe(0);
    const response = await fetch(`http://127.0.0.1:${supervisor.port}/health/detailed`);
    expect(response.status).toBe(503);
    expect(((await response.json()) as { status: string }).status).toBe('unhealthy');
    expect((await runCli(['server', 'start', 'everything'], { home })).code).toBe(0);
  });
});
