import type { Registry } from 'prom-client';
import type { MetricsGetters, PrometheusMetrics } from '../metrics/prometheus.ts';
import type { Logger } from '../shared/logger.ts';
import type { RequestEvent } from '../store/types.ts';

/**
 * Requests counted while prom-client loads (the first request starts the load, which takes tens of
 * milliseconds): replayed once it is there. Past this many the rest are dropped and logged; a
 * load that takes long enough for that is a fault of its own.
 */
const MAX_PENDING_EVENTS = 100_000;

/** The Prometheus metrics as the supervisor uses them, built on their first use. */
export interface LazyMetrics {
  /** Hot path: counts the request now, or after the load the first call starts. */
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
 * Prometheus metrics (`metrics/prometheus.ts`) loaded on their first use — a scrape of `/metrics`
 * or the first request to count — instead of at start: prom-client and the registry are ~4 MiB of
 * the supervisor's RSS (measured with `process.memoryUsage()` after each import), which a
 * supervisor nobody has called or scraped yet does not need. What the metrics report is the same:
 * requests counted before the load are replayed into it, and the gauges read live state at scrape
 * time anyway.
 */
export function lazyPrometheusMetrics(getters: MetricsGetters, logger: Logger): LazyMetrics {
  let metrics: PrometheusMetrics | undefined;
  let loading: Promise<PrometheusMetrics> | undefined;
  const registrations: ((registry: Registry) => void | Promise<void>)[] = [];
  let pending: RequestEvent[] = [];
  let dropped = 0;

  const load = (): Promise<PrometheusMetrics> => {
    loading ??= (async () => {
      const { createPrometheusMetrics } = await import('../metrics/prometheus.ts');
      const created = createPrometheusMetrics(getters);
      for (const register of registrations) await register(created.registry);
      metrics = created;
      for (const event of pending) created.observeRequest(event);
      pending = [];
      if (dropped > 0)
        logger.warn({ dropped }, 'requests made while the metrics loaded were not counted in them');
      return created;
    })();
    return loading;
  };
  const loadInBackground = () => {
    load().catch((error: unknown) => {
      pending = [];
      logger.error({ err: error }, 'could not load the Prometheus metrics');
    });
  };

  return {
    observeRequest(event) {
      if (metrics) return metrics.observeRequest(event);
      if (pending.length < MAX_PENDING_EVENTS) pending.push(event);
      else dropped++;
      if (!loading) loadInBackground();
    },
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
