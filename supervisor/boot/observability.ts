import { AlertEngine, type AlertEvent } from '../alerts/engine.ts';
import { logAlert } from '../alerts/log-channel.ts';
import { createWebhookNotifier } from '../alerts/webhook.ts';
import type { ClusterStatus } from '../client/wire-types.ts';
import type { Config } from '../config/schema.ts';
import type { SupervisorCore } from '../core/supervisor.ts';
import { AdaptiveConcurrency, createAdaptiveLimits } from '../limits/adaptive.ts';
import type { RequestEventSink } from '../limits/forwarder.ts';
import type { ServerGuards } from '../limits/guards.ts';
import { createHostSampler } from '../monitor/host-sampler.ts';
import { createMonitor, type Monitor } from '../monitor/monitor.ts';
import { createProcessTreeSampler } from '../monitor/process-tree.ts';
import type { Pm2Manager } from '../process/pm2-manager.ts';
import type { Logger } from '../shared/logger.ts';
import { createAlertStore } from '../store/alert-store.ts';
import type { Store } from '../store/db.ts';
import { createQueries, type Queries } from '../store/queries.ts';
import { RequestRecorder } from '../store/recorder.ts';
import { RetentionJob } from '../store/retention.ts';
import { toServerEventRow } from '../store/server-events.ts';
import { type LazyMetrics, lazyPrometheusMetrics } from './lazy-metrics.ts';
import { alertSnapshots, gaugeSnapshots, monitoredServers } from './status.ts';

/** The watching parts, wired; `start()` after the listener is up, `stop()` in the stop steps. */
export interface Observability {
  readonly recorder: RequestRecorder;
  readonly queries: Queries;
  readonly alerts: AlertEngine;
  readonly monitor: Monitor;
  /** Loaded on the first request or scrape (`lazy-metrics.ts`). */
  readonly metrics: LazyMetrics;
  /** The forwarder's sink: the hot path, an O(1) append to the recorder and two metric updates. */
  readonly onRequest: RequestEventSink;
  start(): void;
  stop(): Promise<void>;
}

/**
 * Wires everything that watches: the request recorder (SQLite, batched), the alert engine with
 * its channels (log, event stream, webhook), the host and process-tree monitor (whose samples
 * feed the alert rules and the adaptive limits), Prometheus metrics and retention. No IO until
 * `start()`.
 */
export function createObservability(options: {
  store: Store;
  core: SupervisorCore;
  pm2: Pm2Manager;
  guards: ServerGuards;
  config: Config;
  logger: Logger;
  /** The event bus: alerts go out as `alert` events. */
  publish: (type: 'alert', data: AlertEvent) => void;
  /** With `supervisor.cluster`: its gauges (and the `host` label on every metric), its alert. */
  cluster?: { host: string; status(): ClusterStatus };
}): Observability {
  const { store, core, pm2, guards, config, logger } = options;
  const monitorConfig = config.supervisor.monitor;

  const recorder = new RequestRecorder({ store, logger });
  const queries = createQueries(store);
  core.onEvent((event) => {
    const row = toServerEventRow(event);
    if (row) recorder.recordServerEvent(row);
  });

  const alerts = new AlertEngine({
    store: createAlertStore(store),
    cooldownMs: monitorConfig.alertCooldownMs,
    rules: {
      thresholds: monitorConfig.thresholds,
      sustainedSamples: monitorConfig.sustainedSamples,
      minRequests: monitorConfig.minRequests,
      hysteresisPercent: monitorConfig.alertHysteresisPercent,
    },
    logger,
  });
  const webhook = monitorConfig.webhook
    ? createWebhookNotifier({
        url: monitorConfig.webhook.url,
        headers: monitorConfig.webhook.headers,
        logger,
      })
    : undefined;
  alerts.on((event) => {
    logAlert(logger, event);
    options.publish('alert', event);
    webhook?.send(event);
  });

  const adaptive = config.supervisor.limits.adaptive
    ? createAdaptiveLimits({
        adaptive: new AdaptiveConcurrency({
          thresholdPercent: monitorConfig.thresholds.cpuPercent,
          sustainedSamples: monitorConfig.sustainedSamples,
        }),
        apply: (scale) => guards.setConcurrencyScale(scale),
        logger,
      })
    : undefined;

  const monitor = createMonitor({
    intervalMs: monitorConfig.intervalMs,
    hostSampler: createHostSampler(),
    processTree: createProcessTreeSampler(),
    listServers: () => monitoredServers(core, pm2),
    recorder,
    onSample: (sample) => {
      const { cpuPercent, memPercent, loadPerCore } = sample.host;
      alerts.evaluateSnapshot({
        host: { cpuPercent, memPercent, loadPerCore },
        servers: alertSnapshots({ core, guards, lastMinute: (server) => recorder.lastMinuteStats(server) }),
        cluster: options.cluster?.status(),
      });
      adaptive?.sample(cpuPercent);
    },
    logger,
  });

  const metrics = lazyPrometheusMetrics(
    {
      servers: () => gaugeSnapshots({ core, guards, monitor }),
      host: () => monitor.latest()?.host ?? null,
    },
    logger,
  );
  if (options.cluster) {
    const { host, status } = options.cluster;
    metrics.onRegistry(async (registry) => {
      const { registerClusterMetrics } = await import('../cluster/cluster-stats.ts');
      registerClusterMetrics(registry, host, status);
    });
  }
  const retention = new RetentionJob({ store, retention: config.supervisor.retention, logger });

  return {
    recorder,
    queries,
    alerts,
    monitor,
    metrics,
    onRequest: (event) => {
      recorder.record(event);
      metrics.observeRequest(event);
    },
    start() {
      recorder.start();
      alerts.start();
      monitor.start();
      retention.start();
    },
    async stop() {
      await monitor.stop();
      retention.stop();
      await webhook?.stop();
      // The final flush: what the request path appended since the last tick reaches the disk.
      recorder.stop();
    },
  };
}
