import type { Registry } from 'prom-client';
import type { MetricsGetters, PrometheusMetrics } from '../metrics/prometheus.ts';
import { RequestTallies } from '../metrics/request-tally.ts';
import type { Logger } from '../shared/logger.ts';
import type { RequestEvent } from '../store/types.ts';

/** The Prometheus metrics as the supervisor uses them, built on their first scrape. */
export interface LazyMetrics {
  /** Hot path: counts the request (never loads prom-client). */
  observeRequest(event: RequestEvent): void;
  /** Loads the metrics if need be, then the Prometheus text exposition of every metric. */
  metricsText(): Promise<string>;
  /** The exposition's content type (read after {@link metricsText}). */
  readonly contentType: string;
  /**
   * Adds metrics of another part (connections, cluster) to the registry once it exists; parts
   * register here instead of importing prom-client themselves, so nothing loads it early.
   */
  onRegistry(register: (registry: Registry) => void | Promise<void>): void;
}

/**
 * Prometheus metrics (`metrics/prometheus.ts`) loaded on the first scrape of `/metrics` instead
 * of at start or at the first request: prom-client and the registry are ~4 MiB of the
 * supervisor's RSS (measured with `process.memoryUsage()` after each import), which a supervisor
 * nobody scrapes does not need. Requests are counted from the start in `RequestTallies` (plain
 * maps, no prom-client), which the metrics read when they are scraped, so what they report is
 * the same; the gauges read live state at scrape time anyway.
 */
export function lazyPrometheusMetrics(getters: MetricsGetters, logger: Logger): LazyMetrics {
  const tallies = new RequestTallies();
  let metrics: PrometheusMetrics | undefined;
  let loading: Promise<PrometheusMetrics> | undefined;
  const registrations: ((registry: Registry) => void | Promise<void>)[] = [];

  const load = (): Promise<PrometheusMetrics> => {
    loading ??= (async () => {
      const { createPrometheusMetrics } = await import('../metrics/prometheus.ts');
      const created = createPrometheusMetrics(getters, tallies);
      for (const register of registrations) await register(created.registry);
      metrics = created;
      return created;
    })().catch((error: unknown) => {
      // The next scrape tries again.
      loading = undefined;
      throw error;
    });
    return loading;
  };

  return {
    observeRequest: (event) => tallies.observe(event),
    async metricsText() {
      return (await load()).metricsText();
    },
    get contentType() {
      // prom-client's own; the route reads it after metricsText() has loaded the metrics.
      return metrics?.contentType ?? 'text/plain; version=0.0.4; charset=utf-8';
    },
    onRegistry(register) {
      if (!metrics) {
        registrations.push(register);
        return;
      }
      Promise.resolve(register(metrics.registry)).catch((error: unknown) =>
        logger.error({ err: error }, 'could not register metrics'),
      );
    },
  };
}
