import { describe, expect, it } from 'vitest';
import {
  type AlertSnapshot,
  evaluateRules,
  type RuleOptions,
  type ServerSnapshot,
} from '../../../supervisor/alerts/rules.ts';
import { thresholdsSchema } from '../../../supervisor/config/schema.ts';

const options: RuleOptions = { thresholds: thresholdsSchema.parse({}), sustainedSamples: 3, minRequests: 20 };
const calmHost = { cpuPercent: 10, memPercent: 20, loadPerCore: 0.2 };

function server(overrides: Partial<ServerSnapshot> = {}): ServerSnapshot {
  return {
    name: 'alpha',
    lastMinute: { count: 100, errors: 0, p95Ms: 100 },
    state: 'online',
    breaker: 'closed',
    queueDepth: 0,
    queueSize: 100,
    ...overrides,
  };
}

const keys = (snapshot: AlertSnapshot) => evaluateRules(snapshot, options).conditions.map((c) => c.key);

describe('alert rules', () => {
  it('is quiet on a healthy snapshot', () => {
    expect(keys({ host: calmHost, servers: [server()] })).toEqual([]);
  });

  it('needs sustainedSamples consecutive host samples, and a calm sample resets the streak', () => {
    const hot = { cpuPercent: 95, memPercent: 90, loadPerCore: 2 };
    let streaks = new Map();
    const run = (host: AlertSnapshot['host']) => {
      const result = evaluateRules({ host, servers: [] }, options, streaks);
      streaks = result.streaks;
      return result.conditions.map((c) => c.key);
    };
    expect(run(hot)).toEqual([]);
    expect(run(hot)).toEqual([]);
    expect(run(calmHost)).toEqual([]);
    expect(run(hot)).toEqual([]);
    expect(run(hot)).toEqual([]);
    expect(run(hot)).toEqual(['host_cpu:host', 'host_memory:host', 'host_load:host']);
    const [cpu] = evaluateRules({ host: hot, servers: [] }, options, streaks).conditions;
    expect(cpu).toMatchObject({
      rule: 'host_cpu',
      subject: 'host',
      value: 95,
      threshold: 80,
      severity: 'warning',
    });
    expect(cpu!.message).toMatch(/CPU at 95% for 4 samples/);
  });

  it('fires latency and error rate only with at least minRequests requests', () => {
    const slow = server({ lastMinute: { count: 20, errors: 2, p95Ms: 6000 } });
    expect(keys({ host: calmHost, servers: [slow] })).toEqual(['latency_p95:alpha', 'error_rate:alpha']);
    const few = server({ lastMinute: { count: 19, errors: 19, p95Ms: 60_000 } });
    expect(keys({ host: calmHost, servers: [few] })).toEqual([]);
    const errorRate = evaluateRules({ host: calmHost, servers: [slow] }, options).conditions[1]!;
    expect(errorRate).toMatchObject({ value: 10, threshold: 10 });
  });

  it('fires crash loop, open breaker and queue saturation per server', () => {
    const snapshot: AlertSnapshot = {
      host: calmHost,
      servers: [
        server({ name: 'a', state: 'errored' }),
        server({ name: 'b', breaker: 'open' }),
        server({ name: 'c', breaker: 'half-open', queueDepth: 80, queueSize: 100 }),
        server({ name: 'd', queueDepth: 5, queueSize: 0 }),
      ],
    };
    const conditions = evaluateRules(snapshot, options).conditions;
    expect(conditions.map((c) => [c.key, c.severity])).toEqual([
      ['crash_loop:a', 'critical'],
      ['breaker_open:b', 'critical'],
      ['queue_saturation:c', 'warning'],
    ]);
  });

  it('fires while the cluster Redis is not connected: warning for local, critical for refuse', () => {
    const cluster = {
      clusterId: 'prod',
      state: 'down',
      onUnavailable: 'local',
      membersSeen: 3,
      lastError: 'ECONNREFUSED',
    };
    expect(keys({ host: calmHost, servers: [], cluster: { ...cluster, state: 'connected' } })).toEqual([]);
    expect(evaluateRules({ host: calmHost, servers: [], cluster }, options).conditions).toEqual([
      {
        key: 'cluster_unavailable:prod',
        rule: 'cluster_unavailable',
        subject: 'prod',
        severity: 'warning',
        value: 2,
        threshold: 1,
        message:
          'cluster prod: Redis is down (ECONNREFUSED); each supervisor enforces its share of the limits alone (1/3)',
      },
    ]);
    const refusing = { ...cluster, state: 'degraded', onUnavailable: 'refuse' };
    expect(
      evaluateRules({ host: calmHost, servers: [], cluster: refusing }, options).conditions[0],
    ).toMatchObject({ severity: 'critical', value: 1 });
  });
});
