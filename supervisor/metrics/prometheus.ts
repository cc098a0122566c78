import { Counter, Gauge, Registry } from 'prom-client';
import type { BreakerState } from '../limits/breaker.ts';
import type { SystemSample } from '../store/types.ts';
import { registerDurationHistogram } from './duration-histogram.ts';
import type { RequestTallies } from './request-tally.ts';

export interface ServerGaugeSnapshot {
  name: string;
  isUp: boolean;
  queueDepth: number;
  breaker: BreakerState;
  /** From the last monitor sample; null when not running or not sampled yet. */
  cpuPercent: number | null;
  rssBytes: number | null;
  restarts: number;
}

/** Cheap, synchronous readers of current state; called on each scrape, never on the hot path. */
export interface MetricsGetters {
  servers: () => readonly ServerGaugeSnapshot[];
  host: () => SystemSample | null;
}

export interface PrometheusMetrics {
  /** The Prometheus text exposition of every metric. */
  metricsText(): Promise<string>;
  readonly contentType: string;
  readonly registry: Registry;
}

const BREAKER_VALUE: Record<BreakerState, number> = { closed: 0, 'half-open': 1, open: 2 };

/**
 * Metrics on a private prom-client Registry (never the global one, so two supervisors in one
 * process — or in tests — do not collide). Gauges are filled by `collect()` callbacks at scrape
 * time from the getters, and reset first so that removed servers disappear. The host gauges have
 * no labels, and prom-client always exposes an unlabelled gauge: they read 0 until the first
 * monitor sample. The request metrics read `tallies` (counted on the hot path without prom-client,
 * `request-tally.ts`): the counters drain them at each scrape, the histogram reads them.
 */
export function createPrometheusMetrics(getters: MetricsGetters, tallies: RequestTallies): PrometheusMetrics {
  const registry = new Registry();
  const registers = [registry];

  new Counter({
    name: 'mcp_supervisor_requests_total',
    help: 'Requests handled by the gateway, by server, JSON-RPC method and outcome.',
    labelNames: ['server', 'method', 'status'] as const,
    registers,
    collect() {
      tallies.requests.drain((server, method, status, n) => this.inc({ server, method, status }, n));
    },
  });
  new Counter({
    name: 'mcp_supervisor_request_errors_total',
    help: 'Failed or refused requests, by server and reason.',
    labelNames: ['server', 'reason'] as const,
    registers,
    collect() {
      tallies.errors.drain((server, reason, _, n) => this.inc({ server, reason }, n));
    },
  });
  registerDurationHistogram(registry, {
    name: 'mcp_supervisor_request_duration_seconds',
    help: 'Latency of requests the server answered (ok or its own error; refusals are not in it).',
    labelName: 'server',
    tally: tallies.durations,
  });

  const perServer = (
    name: string,
    help: string,
    value: (server: ServerGaugeSnapshot) => number | null,
  ): Gauge<'server'> =>
    new Gauge({
      name,
      help,
      labelNames: ['server'] as const,
      registers,
      collect() {
        this.reset();
        for (const server of getters.servers()) {
          const v = value(server);
          if (v !== null) this.set({ server: server.name }, v);
        }
      },
    });
  perServer('mcp_supervisor_queue_depth', 'Requests waiting in the server queue.', (s) => s.queueDepth);
  perServer(
    'mcp_supervisor_breaker_state',
    'Circuit breaker: 0 closed, 1 half-open, 2 open.',
    (s) => BREAKER_VALUE[s.breaker],
  );
  perServer('mcp_supervisor_server_up', '1 when the server is online.', (s) => (s.isUp ? 1 : 0));
  perServer(
    'mcp_supervisor_process_cpu_percent',
    'CPU of the server process tree, percent of one core.',
    (s) => s.cpuPercent,
  );
  perServer(
    'mcp_supervisor_process_resident_memory_bytes',
    'Resident memory of the server process tree.',
    (s) => s.rssBytes,
  );
  perServer(
    'mcp_supervisor_process_restarts',
    'Restarts of the server counted by the process manager.',
    (s) => s.restarts,
  );

  const hostGauge = (name: string, help: string, value: (host: SystemSample) => number) =>
    new Gauge({
      name,
      help,
      registers,
      collect() {
        this.reset();
        const host = getters.host();
        if (host) this.set(value(host));
      },
    });
  hostGauge('mcp_supervisor_host_cpu_percent', 'Host CPU in use, percent.', (h) => h.cpuPercent);
  hostGauge(
    'mcp_supervisor_host_memory_percent',
    'Host memory held by applications, percent.',
    (h) => h.memPercent,
  );
  hostGauge('mcp_supervisor_host_load1', 'Host load average over 1 minute.', (h) => h.load1);
  hostGauge('mcp_supervisor_host_load5', 'Host load average over 5 minutes.', (h) => h.load5);
  hostGauge('mcp_supervisor_host_load15', 'Host load average over 15 minutes.', (h) => h.load15);

  return {
    metricsText: () => registry.metrics(),
    contentType: registry.contentType,
    registry,
  };
}
