import { afterEach, describe, expect, it } from 'vitest';
import { createHealthRoutes, type HealthRoutesDeps } from '../../../supervisor/control/health-routes.ts';
import { registerRoutes } from '../../../supervisor/control/router.ts';
import { HttpServer } from '../../../supervisor/http/server.ts';
import { silentLogger } from '../../../supervisor/shared/logger.ts';
import type { RecorderStats } from '../../../supervisor/store/recorder.ts';

const TOKEN = 'k'.repeat(64);
const servers: HttpServer[] = [];

function deps(overrides: Partial<HealthRoutesDeps> = {}): HealthRoutesDeps {
  return {
    startedAt: Date.now(),
    status: async () =>
      [{ name: 'secret-project', state: 'online', health: 'ok', breaker: 'closed' }] as never,
    pingStore: () => {},
    recorderStats: () => ({}) as RecorderStats,
    monitor: {
      stats: () => ({ ticks: 0, skippedTicks: 0, failedTicks: 0, lastTickMs: 0 }),
      latest: () => null,
    },
    monitorIntervalMs: 5_000,
    firingAlertCount: () => 0,
    token: TOKEN,
    isDetailsPublic: false,
    ...overrides,
  };
}

async function serve(health: HealthRoutesDeps): Promise<string> {
  const http = new HttpServer({ host: '127.0.0.1', port: 0, logger: silentLogger });
  servers.push(http);
  registerRoutes(http, { token: TOKEN, groups: [createHealthRoutes(health)] });
  await http.listen();
  return http.origin;
}

afterEach(async () => {
  for (const http of servers.splice(0)) await http.close(0);
});

// Issue 9 item 3: /health/detailed told anyone server names, states and host figures.
describe('health routes', () => {
  it('/health answers without a token, saying nothing about the servers', async () => {
    const origin = await serve(deps());
    const response = await fetch(`${origin}/health`);
    expect(response.status).toBe(200);
    const text = await response.text();
    expect(JSON.parse(text)).toMatchObject({ status: 'ok' });
    expect(text).not.toContain('secret-project');
  });

  it('/health/detailed needs the control token; with it, it reports the servers', async () => {
    const origin = await serve(deps());
    const anonymous = await fetch(`${origin}/health/detailed`);
    expect(anonymous.status).toBe(401);
    const text = await anonymous.text();
    expect(text).not.toContain('secret-project');
    expect(text).toMatch(/publicHealthDetails/);
    const wrong = await fetch(`${origin}/health/detailed`, { headers: { authorization: 'Bearer nope' } });
    expect(wrong.status).toBe(401);
    const owner = await fetch(`${origin}/health/detailed`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(owner.status).toBe(200);
    expect(await owner.json()).toMatchObject({ status: 'ok', servers: [{ name: 'secret-project' }] });
  });

  it('gateway.publicHealthDetails opens /health/detailed to anyone', async () => {
    const origin = await serve(deps({ isDetailsPublic: true }));
    const response = await fetch(`${origin}/health/detailed`);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ servers: [{ name: 'secret-project' }] });
  });
});
