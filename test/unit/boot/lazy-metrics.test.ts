import { execFileSync } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { Gauge } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { lazyPrometheusMetrics } from '../../../supervisor/boot/lazy-metrics.ts';
import { silentLogger } from '../../../supervisor/shared/logger.ts';
import type { RequestEvent } from '../../../supervisor/store/types.ts';

const getters = { servers: () => [], host: () => null };

function request(server: string): RequestEvent {
  return { ts: Date.now(), server, method: 'tools/call', tool: 'echo', status: 'ok', latencyMs: 3 };
}

const LAZY_METRICS_URL = pathToFileURL(
  new URL('../../../supervisor/boot/lazy-metrics.ts', import.meta.url).pathname,
).href;

describe('lazyPrometheusMetrics', () => {
  // Issue 13 goal 3: prom-client (~4 MiB) loaded at the first request, so every supervisor that
  // served one carried it; the requests are now tallied without it until the first scrape.
  it('does not load prom-client for requests, only for the first scrape', () => {
    const script = `
      import { createRequire } from 'node:module';
      const { lazyPrometheusMetrics } = await import(${JSON.stringify(LAZY_METRICS_URL)});
      const loaded = () => Object.keys(createRequire(import.meta.url).cache).some((f) => f.includes('/prom-client/'));
      const logger = { warn() {}, error() {}, info() {}, debug() {} };
      const metrics = lazyPrometheusMetrics({ servers: () => [], host: () => null }, logger);
      for (let i = 0; i < 1000; i++) {
        metrics.observeRequest({ ts: 0, server: 'a', method: 'tools/call', status: 'ok', latencyMs: 3 });
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
      const afterRequests = loaded();
      const text = await metrics.metricsText();
      console.log(JSON.stringify({ afterRequests, afterScrape: loaded(), counted: text.includes('status="ok"} 1000') }));
    `;
    const output = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
      encoding: 'utf8',
    });
    expect(JSON.parse(output)).toEqual({ afterRequests: false, afterScrape: true, counted: true });
  });

  it('counts the requests made before prom-client loads', async () => {
    const metrics = lazyPrometheusMetrics(getters, silentLogger);
    metrics.observeRequest(request('a'));
    metrics.observeRequest(request('a'));
    metrics.observeRequest(request('b'));
    const text = await metrics.metricsText();
    expect(text).toMatch(/mcp_supervisor_requests_total\{server="a",method="tools\/call",status="ok"\} 2/);
    expect(text).toMatch(/mcp_supervisor_requests_total\{server="b",method="tools\/call",status="ok"\} 1/);
    expect(metrics.contentType).toMatch(/^text\/plain/);
  });

  it('adds the metrics registered before and after the load to the one registry', async () => {
    const metrics = lazyPrometheusMetrics(getters, silentLogger);
    const gauge = (name: string) => (registry: Parameters<Parameters<typeof metrics.onRegistry>[0]>[0]) => {
      new Gauge({ name, help: name, registers: [registry] }).set(7);
    };
    metrics.onRegistry(gauge('early_gauge'));
    expect(await metrics.metricsText()).toContain('early_gauge 7');
    metrics.onRegistry(gauge('late_gauge'));
    expect(await metrics.metricsText()).toContain('late_gauge 7');
  });
});
