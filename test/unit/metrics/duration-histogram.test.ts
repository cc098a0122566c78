import { Histogram, Registry, type RegistryContentType } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { registerDurationHistogram } from '../../../supervisor/metrics/duration-histogram.ts';
import { DURATION_BUCKETS_SECONDS, DurationTally } from '../../../supervisor/metrics/request-tally.ts';

const NAME = 'mcp_supervisor_request_duration_seconds';
const HELP = 'Latency of requests the server answered (ok or its own error; refusals are not in it).';

/** Observations by server, in order: every bucket, its edges, above the last bound, sub-ms sums. */
const OBSERVATIONS: [string, number][] = [
  ['alpha', 0.003],
  ['beta', 0.005],
  ['alpha', 0.0051],
  ['alpha', 0.7],
  ['gamma "q"\\n', 61],
  ['beta', 60],
  ['alpha', 0.1 + 0.2],
  ['alpha', 0.000_123_4],
  ['beta', 29.999],
  ...DURATION_BUCKETS_SECONDS.map((bound, i): [string, number] => ['alpha', bound * (i % 2 ? 1 : 0.9)]),
  ...Array.from({ length: 500 }, (_, i): [string, number] => [`s${i % 3}`, (i * 0.000_731) % 3]),
];

/** The same observations in a real prom-client Histogram and in ours, each on its own registry. */
function pair(isOpenMetrics = false, defaultLabels?: Record<string, string>) {
  const real = new Registry<RegistryContentType>();
  const ours = new Registry<RegistryContentType>();
  if (isOpenMetrics) {
    real.setContentType(Registry.OPENMETRICS_CONTENT_TYPE);
    ours.setContentType(Registry.OPENMETRICS_CONTENT_TYPE);
  }
  if (defaultLabels) {
    real.setDefaultLabels(defaultLabels);
    ours.setDefaultLabels(defaultLabels);
  }
  const histogram = new Histogram({
    name: NAME,
    help: HELP,
    labelNames: ['server'],
    buckets: [...DURATION_BUCKETS_SECONDS],
    registers: [real],
  });
  const tally = new DurationTally(DURATION_BUCKETS_SECONDS);
  registerDurationHistogram(ours, { name: NAME, help: HELP, labelName: 'server', tally });
  for (const [server, seconds] of OBSERVATIONS) {
    histogram.observe({ server }, seconds);
    tally.observe(server, seconds);
  }
  return { real, ours, histogram, tally };
}

describe('registerDurationHistogram', () => {
  it('exposes the text a prom-client Histogram gives for the same observations, byte for byte', async () => {
    const { real, ours } = pair();
    const text = await ours.metrics();
    expect(text).toBe(await real.metrics());
    // The comparison is of something: every bucket, +Inf, _sum and _count of each server.
    expect(text).toContain(`${NAME}_bucket{le="0.005",server="alpha"} 3`);
    expect(text).toContain(`${NAME}_bucket{le="+Inf",server="gamma \\"q\\"\\\\n"} 1`);
    expect(text).toContain(`${NAME}_count{server="beta"} 3`);
    expect(text.split('\n').filter((line) => line.startsWith(`${NAME}_bucket`))).toHaveLength(
      6 * (DURATION_BUCKETS_SECONDS.length + 1),
    );
  });

  it('matches with default labels (the cluster host) and in the OpenMetrics format', async () => {
    for (const [isOpenMetrics, labels] of [
      [false, { host: 'web-1' }],
      [true, undefined],
      [true, { host: 'web-1' }],
    ] as const) {
      const { real, ours } = pair(isOpenMetrics, labels);
      expect(await ours.metrics()).toBe(await real.metrics());
    }
  });

  it('returns what Histogram#get returns (the JSON accessor), and reset() empties it as there', async () => {
    const { real, ours, histogram } = pair();
    expect(await ours.getMetricsAsJSON()).toEqual(await real.getMetricsAsJSON());
    histogram.reset();
    ours.resetMetrics();
    expect(await ours.metrics()).toBe(await real.metrics());
    expect(await ours.metrics()).toBe(`# HELP ${NAME} ${HELP}\n# TYPE ${NAME} histogram\n`);
  });

  it('reads the tally at each scrape: later observations show in the next exposition', async () => {
    const { real, ours, histogram, tally } = pair();
    await ours.metrics();
    histogram.observe({ server: 'late' }, 2);
    tally.observe('late', 2);
    expect(await ours.metrics()).toBe(await real.metrics());
    expect(await ours.metrics()).toContain(`${NAME}_sum{server="late"} 2`);
  });
});

describe('DurationTally', () => {
  it('ignores a non-finite observation and refuses bounds that do not ascend', () => {
    const tally = new DurationTally([1, 2]);
    tally.observe('a', Number.NaN);
    tally.observe('a', Number.POSITIVE_INFINITY);
    expect([...tally.entries()]).toEqual([]);
    tally.observe('a', 1.5);
    expect([...tally.entries()]).toEqual([['a', { perBucket: [0, 1], sum: 1.5, count: 1 }]]);
    expect(() => new DurationTally([1, 1])).toThrow(/ascend/);
  });
});
