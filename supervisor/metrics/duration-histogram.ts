import type { Metric, Registry, RegistryContentType } from 'prom-client';
import type { DurationTally } from './request-tally.ts';

type Labels = Record<string, string | number>;

/** One line of the exposition, in the shape prom-client's registry formats. */
interface HistogramValue {
  value: number;
  labels: Labels;
  /** The histogram's own labels; the registry prints them after `le` (and after default labels). */
  sharedLabels: Labels;
  metricName: string;
  exemplar: null | undefined;
}

interface HistogramData {
  name: string;
  help: string;
  type: 'histogram';
  aggregator: 'sum';
  values: HistogramValue[];
}

export interface DurationHistogramOptions {
  name: string;
  help: string;
  /** The one label the tally is kept by (e.g. `server`). */
  labelName: string;
  tally: DurationTally;
}

/**
 * Registers on `registry` a histogram whose state is a {@link DurationTally} kept outside
 * prom-client, exposed exactly as a prom-client `Histogram` with the same buckets and
 * observations would be (names, help, `le` values, `+Inf`, `_sum`, `_count`, label order, also
 * with the registry's default labels; `test/unit/metrics/duration-histogram.test.ts` compares
 * the two byte for byte).
 *
 * prom-client has no bulk observe, so a Histogram cannot be handed counts made elsewhere; this is
 * a metric of its own, as prom-client's Registry takes any: it reads `name` when registering,
 * `reset()` from `resetMetrics()`, and the values from `getForPromString()` for the text
 * exposition (prom-client's own metrics have it; without it the registry calls `get()`, the
 * documented accessor, which returns the same values with every label in `labels`, as
 * `Histogram#get` does).
 */
export function registerDurationHistogram(
  registry: Registry<RegistryContentType>,
  options: DurationHistogramOptions,
): void {
  const { name, help, labelName, tally } = options;
  const data = (values: HistogramValue[]): HistogramData => ({
    name,
    help,
    type: 'histogram',
    aggregator: 'sum',
    values,
  });
  const metric = {
    name,
    help,
    type: 'histogram',
    aggregator: 'sum',
    labelNames: [labelName],
    async getForPromString(): Promise<HistogramData> {
      return data(exposition(name, labelName, tally));
    },
    async get() {
      const { values, ...rest } = data(exposition(name, labelName, tally));
      return {
        ...rest,
        values: values.map(({ sharedLabels, ...value }) => ({
          ...value,
          labels: { ...value.labels, ...sharedLabels },
        })),
      };
    },
    reset() {
      tally.clear();
    },
  };
  // The Registry's type admits only its own metric classes; at run time it takes any object of
  // this shape (see above).
  registry.registerMetric(metric as unknown as Metric);
}

/** The bucket lines (cumulative), `+Inf`, `_sum` and `_count` of every label value, in order. */
function exposition(name: string, labelName: string, tally: DurationTally): HistogramValue[] {
  const values: HistogramValue[] = [];
  const bucketName = `${name}_bucket`;
  for (const [label, counts] of tally.entries()) {
    // One object per label value, as prom-client does: its registry caches the formatted text by it.
    const sharedLabels: Labels = { [labelName]: label };
    let cumulative = 0;
    tally.bounds.forEach((bound, i) => {
      cumulative += counts.perBucket[i]!;
      values.push({
        labels: { le: bound },
        sharedLabels,
        value: cumulative,
        metricName: bucketName,
        exemplar: null,
      });
    });
    values.push(
      { labels: { le: '+Inf' }, sharedLabels, value: counts.count, metricName: bucketName, exemplar: null },
      { labels: {}, sharedLabels, value: counts.sum, metricName: `${name}_sum`, exemplar: undefined },
      { labels: {}, sharedLabels, value: counts.count, metricName: `${name}_count`, exemplar: undefined },
    );
  }
  return values;
}
