import { Gauge } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { lazyPrometheusMetrics } from '../../../supervisor/boot/lazy-metrics.ts';
import { silentLogger } from '../../../supervisor/shared/logger.ts';
import type { RequestEvent } from '../../../supervisor/store/types.ts';

const getters = { servers: () => [], host: () => null };

function request(server: string): RequestEvent {
  return { ts: Date.now(), server, method: 'tools/call', tool: 'echo', status: 'ok', latencyMs: 3 };
}

describe('lazyPrometheusMetrics', () => {
  it('counts the requests made while prom-client loads, once it is there', async () => {
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
