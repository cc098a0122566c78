import { register as globalRegistry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createPrometheusMetrics, type ServerGaugeSnapshot } from '../../../supervisor/metrics/prometheus.ts';
import { RequestTallies } from '../../../supervisor/metrics/request-tally.ts';
import type { SystemSample } from '../../../supervisor/store/types.ts';

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** A small parser of the Prometheus text format: `name{a="x",b="y"} value`, comments skipped. */
function parse(text: string): { samples: Sample[]; types: Map<string, string> } {
  const samples: Sample[] = [];
  const types = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line.startsWith('# TYPE ')) {
      const [, , name, type] = line.split(' ');
      types.set(name!, type!);
      continue;
    }
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match) throw new Error(`unparsable line: ${line}`);
    const labels: Record<string, string> = {};
    for (const pair of (match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
      labels[pair[1]!] = pair[2]!;
    }
    samples.push({ name: match[1]!, labels, value: Number(match[3]) });
  }
  return { samples, types };
}

function value(samples: Sample[], name: string, labels: Record<string, string> = {}): number | undefined {
  return samples.find(
    (s) =>
      s.name === name &&
      Object.entries(labels).every(([k, v]) => s.labels[k] === v) &&
      Object.keys(s.labels).length === Object.keys(labels).length,
  )?.value;
}

describe('Prometheus metrics', () => {
  it('exposes request counters, errors, the duration histogram and gauges from the getters', async () => {
    let servers: ServerGaugeSnapshot[] = [
      {
        name: 'alpha',
        isUp: true,
        queueDepth: 3,
        breaker: 'half-open',
        cpuPercent: 12.5,
        rssBytes: 5e7,
        restarts: 2,
      },
      {
        name: 'beta',
        isUp: false,
        queueDepth: 0,
        breaker: 'open',
        cpuPercent: null,
        rssBytes: null,
        restarts: 7,
      },
    ];
    const host: SystemSample = {
      ts: 0,
      cpuPercent: 33,
      memPercent: 44,
      load1: 1.5,
      load5: 1,
      load15: 0.5,
      loadPerCore: 0.75,
    };
    const tallies = new RequestTallies();
    const metrics = createPrometheusMetrics({ servers: () => servers, host: () => host }, tallies);

    const base = { ts: 0, server: 'alpha', method: 'tools/call' } as const;
    tallies.observe({ ...base, status: 'ok', latencyMs: 3 });
    tallies.observe({ ...base, status: 'ok', latencyMs: 700 });
    tallies.observe({ ...base, status: 'error', latencyMs: 40, errorCode: 'TIMEOUT' });
    tallies.observe({ ...base, status: 'refused', latencyMs: 0, errorCode: 'QUEUE_FULL' });
    tallies.observe({
      ...base,
      server: 'beta',
      method: 'tools/list',
      status: 'refused',
      latencyMs: 0,
    });

    const { samples, types } = parse(await metrics.metricsText());
    expect(metrics.contentType).toMatch(/^text\/plain/);
    expect(types.get('mcp_supervisor_requests_total')).toBe('counter');
    expect(types.get('mcp_supervisor_request_duration_seconds')).toBe('histogram');
    expect(types.get('mcp_supervisor_breaker_state')).toBe('gauge');

    expect(
      value(samples, 'mcp_supervisor_requests_total', {
        server: 'alpha',
        method: 'tools/call',
        status: 'ok',
      }),
    ).toBe(2);
    expect(
      value(samples, 'mcp_supervisor_requests_total', {
        server: 'alpha',
        method: 'tools/call',
        status: 'error',
      }),
    ).toBe(1);
    expect(
      value(samples, 'mcp_supervisor_requests_total', {
        server: 'beta',
        method: 'tools/list',
        status: 'refused',
      }),
    ).toBe(1);
    expect(
      value(samples, 'mcp_supervisor_request_errors_total', { server: 'alpha', reason: 'TIMEOUT' }),
    ).toBe(1);
    expect(
      value(samples, 'mcp_supervisor_request_errors_total', { server: 'alpha', reason: 'QUEUE_FULL' }),
    ).toBe(1);
    expect(value(samples, 'mcp_supervisor_request_errors_total', { server: 'beta', reason: 'refused' })).toBe(
      1,
    );

    // Refusals are not latencies: 3 observations (3 ms, 40 ms, 700 ms).
    expect(value(samples, 'mcp_supervisor_request_duration_seconds_count', { server: 'alpha' })).toBe(3);
    expect(value(samples, 'mcp_supervisor_request_duration_seconds_sum', { server: 'alpha' })).toBeCloseTo(
      0.743,
      6,
    );
    expect(
      value(samples, 'mcp_supervisor_request_duration_seconds_bucket', { server: 'alpha', le: '0.005' }),
    ).toBe(1);
    expect(
      value(samples, 'mcp_supervisor_request_duration_seconds_bucket', { server: 'alpha', le: '0.05' }),
    ).toBe(2);
    expect(
      value(samples, 'mcp_supervisor_request_duration_seconds_bucket', { server: 'alpha', le: '+Inf' }),
    ).toBe(3);

    expect(value(samples, 'mcp_supervisor_queue_depth', { server: 'alpha' })).toBe(3);
    expect(value(samples, 'mcp_supervisor_breaker_state', { server: 'alpha' })).toBe(1);
    expect(value(samples, 'mcp_supervisor_breaker_state', { server: 'beta' })).toBe(2);
    expect(value(samples, 'mcp_supervisor_server_up', { server: 'alpha' })).toBe(1);
    expect(value(samples, 'mcp_supervisor_server_up', { server: 'beta' })).toBe(0);
    expect(value(samples, 'mcp_supervisor_process_cpu_percent', { server: 'alpha' })).toBe(12.5);
    expect(value(samples, 'mcp_supervisor_process_cpu_percent', { server: 'beta' })).toBeUndefined();
    expect(value(samples, 'mcp_supervisor_process_resident_memory_bytes', { server: 'alpha' })).toBe(5e7);
    expect(value(samples, 'mcp_supervisor_process_restarts', { server: 'beta' })).toBe(7);
    expect(value(samples, 'mcp_supervisor_host_cpu_percent')).toBe(33);
    expect(value(samples, 'mcp_supervisor_host_memory_percent')).toBe(44);
    expect(value(samples, 'mcp_supervisor_host_load1')).toBe(1.5);
    expect(value(samples, 'mcp_supervisor_host_load5')).toBe(1);
    expect(value(samples, 'mcp_supervisor_host_load15')).toBe(0.5);

    // A removed server disappears from the gauges at the next scrape.
    servers = servers.slice(0, 1);
    const next = parse(await metrics.metricsText()).samples;
    expect(value(next, 'mcp_supervisor_server_up', { server: 'beta' })).toBeUndefined();
    expect(value(next, 'mcp_supervisor_server_up', { server: 'alpha' })).toBe(1);
  });

  it('uses its own registry, never the global one, so two instances coexist', async () => {
    const aTallies = new RequestTallies();
    createPrometheusMetrics({ servers: () => [], host: () => null }, aTallies);
    const b = createPrometheusMetrics({ servers: () => [], host: () => null }, new RequestTallies());
    aTallies.observe({ ts: 0, server: 's', method: 'm', status: 'ok', latencyMs: 1 });
    expect(await globalRegistry.getSingleMetric('mcp_supervisor_requests_total')).toBeUndefined();
    const bText = parse(await b.metricsText()).samples;
    expect(
      value(bText, 'mcp_supervisor_requests_total', { server: 's', method: 'm', status: 'ok' }),
    ).toBeUndefined();
    // An unlabelled prom-client gauge always exposes a value: 0 until the first host sample.
    expect(value(bText, 'mcp_supervisor_host_cpu_percent')).toBe(0);
  });
});
