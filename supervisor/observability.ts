import { z } from 'zod';
import { AlertEngine, type AlertEvent } from './alerts/engine.ts';
import { createWebhookNotifier } from './alerts/webhook.ts';
import type { Config } from './config/schema.ts';
import type { ControlContext } from './control/control-api.ts';
import type { HttpServer } from './control/http-server.ts';
import type { ServerEvent as CoreServerEvent } from './core/server-runtime.ts';
import type { SupervisorCore } from './core/supervisor.ts';
import { SupervisorError } from './errors.ts';
import type { Forwarder, RequestRecord } from './gateway/forward.ts';
import { AdaptiveConcurrency } from './limits/adaptive.ts';
import type { Logger } from './logging.ts';
import { createPrometheusMetrics } from './metrics/prometheus.ts';
import { parseDuration, summarizeServers } from './metrics/summary.ts';
import { createHostSampler } from './monitor/host-sampler.ts';
import { createMonitor, type MonitorSample } from './monitor/monitor.ts';
import { createProcessTreeSampler } from './monitor/process-tree.ts';
import type { Pm2Manager } from './process/pm2-manager.ts';
import { createAlertStore } from './store/alert-store.ts';
import type { Store } from './store/db.ts';
import { createQueries } from './store/queries.ts';
import { RequestRecorder } from './store/recorder.ts';
import { RetentionJob } from './store/retention.ts';
import type { ServerEventKind } from './store/types.ts';

const MINUTE_MS = 60_000;

const seriesQuerySchema = z.object({
  server: z.string().optional(),
  tool: z.string().optional(),
  since: z.string().optional(),
  from: z.coerce.number().optional(),
  to: z.coerce.number().optional(),
  step: z.string().optional(),
});

/**
 * Everything that watches: the request recorder (SQLite, batched), Prometheus metrics, the host
 * and process-tree monitor, alert rules with their cooldown, the webhook, retention, and the
 * routes that show them (`/metrics`, `/health/detailed`, `/api/metrics/…`, `/api/alerts…`).
 */
export class Observability {
  readonly recorder: RequestRecorder;
  readonly alerts: AlertEngine;
  readonly #store: Store;
  readonly #core: SupervisorCore;
  readonly #forwarder: Forwarder;
  readonly #pm2: Pm2Manager;
  readonly #logger: Logger;
  readonly #config: Config;
  readonly #metrics: ReturnType<typeof createPrometheusMetrics>;
  readonly #monitor: ReturnType<typeof createMonitor>;
  readonly #retention: RetentionJob;
  readonly #queries: ReturnType<typeof createQueries>;
  readonly #webhook: ReturnType<typeof createWebhookNotifier> | undefined;
  readonly #adaptive: AdaptiveConcurrency | undefined;
  #lastScale = 1;

  constructor(options: {
    store: Store;
    core: SupervisorCore;
    forwarder: Forwarder;
    pm2: Pm2Manager;
    config: Config;
    logger: Logger;
    publish: (type: string, data: unknown) => void;
  }) {
    const { store, core, config, logger } = options;
    const monitorConfig = config.supervisor.monitor;
    this.#store = store;
    this.#core = core;
    this.#forwarder = options.forwarder;
    this.#pm2 = options.pm2;
    this.#logger = logger;
    this.#config = config;
    this.recorder = new RequestRecorder({ store, logger });
    this.#queries = createQueries(store);
    this.alerts = new AlertEngine({
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
    this.#webhook = monitorConfig.webhook
      ? createWebhookNotifier({
          url: monitorConfig.webhook.url,
          headers: monitorConfig.webhook.headers,
          logger,
        })
      : undefined;
    this.alerts.on((event) => {
      this.#logAlert(event);
      options.publish('alert', event);
      this.#webhook?.send(event);
    });
    this.#adaptive = config.supervisor.limits.adaptive
      ? new AdaptiveConcurrency({
          thresholdPercent: monitorConfig.thresholds.cpuPercent,
          sustainedSamples: monitorConfig.sustainedSamples,
        })
      : undefined;
    this.#metrics = createPrometheusMetrics({
      servers: () =>
        [...core.servers.values()].map((server) => {
          const stats = this.#forwarder.guards.get(server.name)?.stats();
          const sample = this.#monitor.latest()?.processes.find((p) => p.server === server.name);
          return {
            name: server.name,
            isUp: server.state === 'online',
            queueDepth: stats?.queued ?? 0,
            breaker: stats?.breaker ?? 'closed',
            cpuPercent: sample?.cpuPercent ?? null,
            rssBytes: sample?.rssBytes ?? null,
            restarts: server.restarts,
          };
        }),
      host: () => this.#monitor.latest()?.host ?? null,
    });
    const processTree = createProcessTreeSampler();
    this.#monitor = createMonitor({
      intervalMs: monitorConfig.intervalMs,
      hostSampler: createHostSampler(),
      processTree,
      listServers: async () => {
        const processes = await this.#pm2.list().catch(() => []);
        const pids = new Map(processes.map((p) => [p.name, p.pid]));
        const now = Date.now();
        return [...core.servers.values()]
          .filter((server) => server.isManaged)
          .map((server) => ({
            name: server.name,
            pid: pids.get(server.name) || null,
            restarts: server.restarts,
            uptimeMs: server.state === 'online' && server.startedAt > 0 ? now - server.startedAt : null,
          }));
      },
      recorder: this.recorder,
      onSample: (sample) => this.#onSample(sample),
      logger,
    });
    this.#retention = new RetentionJob({ store, retention: config.supervisor.retention, logger });
    core.setProcessTreeUsage((pid) => {
      const sample = this.#monitor.latest()?.processes.find((p) => p.pid === pid);
      return sample && sample.cpuPercent !== null && sample.rssBytes !== null
        ? { cpuPercent: sample.cpuPercent, rssBytes: sample.rssBytes }
        : undefined;
    });
  }

  start(): void {
    this.recorder.start();
    this.alerts.start();
    this.#monitor.start();
    this.#retention.start();
  }

  async stop(): Promise<void> {
    await this.#monitor.stop();
    this.#retention.stop();
    await this.#webhook?.stop();
    // The final flush: what the request path appended since the last tick reaches the disk.
    this.recorder.stop();
  }

  /** The hot path: an O(1) append to the recorder's buffer and two metric increments. */
  onRequest(record: RequestRecord): void {
    const event = {
      ts: record.at,
      server: record.server,
      method: record.method,
      tool: record.tool ?? null,
      client: record.client,
      status: record.status,
      latencyMs: record.latencyMs,
      errorCode: record.errorCode ?? null,
    };
    this.recorder.record(event);
    this.#metrics.observeRequest(event);
  }

  onServerEvent(event: CoreServerEvent): void {
    const kind = STORED_KINDS[event.kind];
    if (!kind) return;
    const detail: Record<string, unknown> = { state: event.state };
    if (event.message !== undefined) detail.message = event.message;
    if (event.delayMs !== undefined) detail.delayMs = event.delayMs;
    if (event.signal) detail.signal = event.signal;
    this.recorder.recordServerEvent({
      ts: event.at,
      server: event.server,
      kind,
      detail,
      exitCode: event.exitCode ?? null,
    });
  }

  #onSample(sample: MonitorSample): void {
    const servers = [...this.#core.servers.values()].map((server) => {
      const stats = this.#forwarder.guards.get(server.name)?.stats();
      const lastMinute = this.recorder.lastMinuteStats(server.name);
      return {
        name: server.name,
        lastMinute: { count: lastMinute.count, errors: lastMinute.errors, p95Ms: lastMinute.p95Ms },
        state: server.state,
        breaker: stats?.breaker ?? 'closed',
        queueDepth: stats?.queued ?? 0,
        queueSize: stats?.queueSize ?? 0,
      };
    });
    this.alerts.evaluateSnapshot({
      host: {
        cpuPercent: sample.host.cpuPercent,
        memPercent: sample.host.memPercent,
        loadPerCore: sample.host.loadPerCore,
      },
      servers,
    });
    if (this.#adaptive) {
      const scale = this.#adaptive.sample(sample.host.cpuPercent);
      if (scale !== this.#lastScale) {
        this.#lastScale = scale;
        this.#logger.warn(
          { scale, cpuPercent: sample.host.cpuPercent },
          'adaptive limits: per-server concurrency scaled',
        );
        void this.#forwarder.setConcurrencyScale(scale);
      }
    }
  }

  #logAlert(event: AlertEvent): void {
    const { alert } = event;
    const fields = {
      alert: alert.key,
      rule: alert.rule,
      subject: alert.subject,
      value: alert.value,
      threshold: alert.threshold,
    };
    if (event.type === 'alert.fired') {
      this.#logger.warn(
        {
          ...fields,
          isRepeat: event.isRepeat,
          suppressed: alert.suppressedCount,
          refired: alert.refiredCount,
        },
        `alert: ${alert.message}`,
      );
    } else {
      // The message words the reading that cleared it; a value the rule could not judge anew (too
      // few requests) is still the one that fired, and is left out.
      const { value, ...cleared } = fields;
      this.#logger.info(value < alert.threshold ? fields : cleared, `alert resolved: ${alert.message}`);
    }
  }

  /** `/metrics`, `/health/detailed`, and the read routes of the control API. */
  register(http: HttpServer, context: ControlContext): void {
    http.route('/metrics', async (_req, res) => {
      const text = await this.#metrics.metricsText();
      res.writeHead(200, { 'content-type': this.#metrics.contentType });
      res.end(text);
    });
    http.route('/health/detailed', async (_req, res) => {
      const body = await this.healthDetails();
      res.writeHead(body.status === 'ok' ? 200 : 503, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    });
    const routes = context.extraRoutes ?? new Map();
    routes.set('/metrics/summary', (url: URL) => this.summary(url));
    routes.set('/metrics/series', (url: URL) => {
      const query = this.#rangeOf(url);
      return { points: this.#queries.series(query) };
    });
    routes.set('/metrics/host', (url: URL) => ({ points: this.#queries.hostSeries(this.#rangeOf(url)) }));
    routes.set('/metrics/process', (url: URL) => {
      const { server, ...range } = this.#rangeOf(url);
      if (!server)
        throw new SupervisorError('BAD_REQUEST', 'add ?server=NAME: whose process samples to chart');
      if (!this.#core.servers.has(server))
        throw new SupervisorError('UNKNOWN_SERVER', `no server named "${server}"`);
      return { points: this.#queries.processSeries({ ...range, server }) };
    });
    routes.set('/alerts', (url: URL) =>
      url.searchParams.get('all') === 'true'
        ? { alerts: this.#queries.alertHistory({ limit: 500 }) }
        : { alerts: this.alerts.firing() },
    );
    routes.set('/events/history', (url: URL) => {
      const since = Date.now() - parseDuration(url.searchParams.get('since') ?? '24h');
      const server = url.searchParams.get('server') ?? undefined;
      return { events: this.#queries.events({ since, limit: 500, ...(server ? { server } : {}) }) };
    });
    context.extraPostRoutes ??= new Map();
    context.extraPostRoutes.set('/alerts/ack', (id: string) => {
      const numeric = Number(id);
      if (!Number.isInteger(numeric))
        throw new SupervisorError('BAD_REQUEST', `alert id must be a number, got "${id}"`);
      const ok = this.alerts.acknowledge(numeric);
      if (!ok) throw new SupervisorError('BAD_REQUEST', `no unacknowledged alert ${numeric}`);
      return { ok: true };
    });
  }

  /** Each server, the store and the monitor; `status` is `unhealthy` when any of them is. */
  async healthDetails() {
    const servers = (await this.#core.status()).map((s) => ({
      name: s.name,
      state: s.state,
      health: s.health,
      breaker: s.breaker ?? 'closed',
      isHealthy: s.state === 'online' && s.health !== 'failing' && s.breaker !== 'open',
    }));
    let isStoreOk = true;
    let storeError: string | undefined;
    try {
      this.#store.db.prepare('SELECT 1').get();
    } catch (error) {
      isStoreOk = false;
      storeError = (error as Error).message;
    }
    const recorder = this.recorder.stats();
    const monitor = this.#monitor.stats();
    const lastSample = this.#monitor.latest();
    const isMonitorOk =
      lastSample === null
        ? monitor.ticks === 0
        : Date.now() - lastSample.host.ts < 3 * this.#config.supervisor.monitor.intervalMs;
    const isHealthy = isStoreOk && isMonitorOk && servers.every((s) => s.isHealthy);
    return {
      status: isHealthy ? 'ok' : 'unhealthy',
      servers,
      store: { ok: isStoreOk, ...(storeError ? { error: storeError } : {}), ...recorder },
      monitor: { ok: isMonitorOk, ...monitor, host: lastSample?.host ?? null },
      alerts: { firing: this.alerts.firing().length },
    };
  }

  /**
   * Per server over `since` (default 1h): requests, errors, refusals, p50/p95/p99 from the minute
   * rollups, plus current CPU/RSS — the table `mcp-supervisor metrics` prints.
   */
  summary(url: URL) {
    const to = Date.now();
    const sinceMs = parseDuration(url.searchParams.get('since') ?? '1h');
    const from = to - sinceMs;
    const only = url.searchParams.get('server') ?? undefined;
    const names = [...this.#core.servers.keys()].filter((name) => !only || name === only);
    if (only && names.length === 0) {
      throw new SupervisorError('UNKNOWN_SERVER', `no server named "${only}"`);
    }
    this.recorder.flush();
    const latest = this.#monitor.latest();
    const servers = summarizeServers(this.#queries, names, { from, to }, (name) =>
      latest?.processes.find((p) => p.server === name),
    );
    return { from, to, servers, host: latest?.host ?? null, droppedEvents: this.recorder.droppedEvents };
  }

  #rangeOf(url: URL): { from: number; to: number; stepMs: number; server?: string; tool?: string } {
    const query = seriesQuerySchema.safeParse(Object.fromEntries(url.searchParams));
    if (!query.success)
      throw new SupervisorError('BAD_REQUEST', `bad series query: ${query.error.issues[0]?.message}`);
    const to = query.data.to ?? Date.now();
    const from = query.data.from ?? to - parseDuration(query.data.since ?? '1h');
    const stepMs = query.data.step ? parseDuration(query.data.step) : roundStep(to - from);
    const range: { from: number; to: number; stepMs: number; server?: string; tool?: string } = {
      from,
      to,
      stepMs,
    };
    if (query.data.server) range.server = query.data.server;
    if (query.data.tool) range.tool = query.data.tool;
    return range;
  }
}

/** About 60 points, in whole minutes (rollups are per minute). */
function roundStep(spanMs: number): number {
  return Math.max(1, Math.ceil(spanMs / 60 / MINUTE_MS)) * MINUTE_MS;
}

const STORED_KINDS: Partial<Record<CoreServerEvent['kind'], ServerEventKind>> = {
  start: 'start',
  exit: 'exit',
  restart: 'restart',
  crash_loop: 'crash_loop',
  stop: 'stop',
  error: 'error',
};
