import { errorMessage } from '../shared/errors.ts';
import { type Logger, silentLogger } from '../shared/logger.ts';
import type { Clock, ProcessSample, SystemSample } from '../store/types.ts';
import type { HostSampler } from './host-sampler.ts';
import type { ProcessTreeSampler } from './process-tree.ts';

/** What the monitor needs to know about each running server (from the process manager). */
export interface MonitoredServer {
  name: string;
  /** Root pid of the server's process tree; null when it is not running. */
  pid: number | null;
  restarts: number;
  uptimeMs: number | null;
}

/** Where samples go; the RequestRecorder fits. */
export interface SampleSink {
  recordSystemSample(sample: SystemSample): void;
  recordProcessSample(sample: ProcessSample): void;
}

export interface MonitorSample {
  host: SystemSample;
  processes: ProcessSample[];
}

export interface MonitorOptions {
  intervalMs: number;
  hostSampler: HostSampler;
  processTree: ProcessTreeSampler;
  listServers: () => readonly MonitoredServer[] | Promise<readonly MonitoredServer[]>;
  recorder: SampleSink;
  /** Called after each completed tick (alert evaluation, SSE, Prometheus gauges). Errors are logged. */
  onSample?: (sample: MonitorSample) => void | Promise<void>;
  now?: Clock;
  logger?: Logger;
}

export interface Monitor {
  /** Starts ticking every `intervalMs` (unref'd timer); the first tick runs at once. */
  start(signal?: AbortSignal): void;
  /** Stops the timer and waits for a tick in progress. */
  stop(): Promise<void>;
  /** One sample now (also used by tests); resolves to null if a tick is already running. */
  tick(): Promise<MonitorSample | null>;
  stats(): { ticks: number; skippedTicks: number; failedTicks: number; lastTickMs: number };
  /** The last completed sample, for gauges that are read on demand. */
  latest(): MonitorSample | null;
}

/**
 * Samples the host and every server's process tree on an interval and queues the samples to the
 * recorder. A tick that would start while the previous one still runs is skipped (and counted),
 * so a slow `ps` or a stalled disk cannot pile up work.
 */
export function createMonitor(options: MonitorOptions): Monitor {
  if (!Number.isInteger(options.intervalMs) || options.intervalMs < 100) {
    throw new RangeError(`intervalMs must be an integer ≥ 100, got ${options.intervalMs}`);
  }
  const now = options.now ?? Date.now;
  const logger = options.logger ?? silentLogger;
  let timer: NodeJS.Timeout | undefined;
  let controller: AbortController | undefined;
  let running: Promise<MonitorSample | null> | undefined;
  let latest: MonitorSample | null = null;
  const counters = { ticks: 0, skippedTicks: 0, failedTicks: 0, lastTickMs: 0 };

  async function sampleOnce(signal: AbortSignal): Promise<MonitorSample> {
    const startedAt = performance.now();
    const [host, servers] = await Promise.all([options.hostSampler.sample(), options.listServers()]);
    signal.throwIfAborted();
    const pids = servers.flatMap((server) => (server.pid === null ? [] : [server.pid]));
    const trees = pids.length > 0 ? await options.processTree.sample(pids, signal) : new Map();
    signal.throwIfAborted();
    const ts = now();
    const processes: ProcessSample[] = servers.map((server) => {
      const tree = server.pid === null ? undefined : trees.get(server.pid);
      return {
        ts,
        server: server.name,
        pid: tree ? server.pid : null,
        cpuPercent: tree ? tree.cpuPercent : null,
        rssBytes: tree ? tree.rssBytes : null,
        restarts: server.restarts,
        uptimeMs: server.uptimeMs,
      };
    });
    options.recorder.recordSystemSample(host);
    for (const sample of processes) options.recorder.recordProcessSample(sample);
    const sample = { host, processes };
    latest = sample;
    counters.ticks++;
    counters.lastTickMs = performance.now() - startedAt;
    await options.onSample?.(sample);
    return sample;
  }

  function tick(): Promise<MonitorSample | null> {
    if (running) {
      counters.skippedTicks++;
      return Promise.resolve(null);
    }
    const signal = controller?.signal ?? new AbortController().signal;
    running = sampleOnce(signal)
      .catch((error: unknown) => {
        if (!signal.aborted) {
          counters.failedTicks++;
          logger.warn({ err: errorMessage(error) }, 'monitor sample failed');
        }
        return null;
      })
      .finally(() => {
        running = undefined;
      });
    return running;
  }

  return {
    start(signal) {
      if (timer) return;
      controller = new AbortController();
      timer = setInterval(() => void tick(), options.intervalMs);
      timer.unref();
      signal?.addEventListener('abort', () => void this.stop(), { once: true });
      void tick();
    },
    async stop() {
      if (timer) clearInterval(timer);
      timer = undefined;
      controller?.abort();
      controller = undefined;
      await running;
    },
    tick,
    stats: () => ({ ...counters }),
    latest: () => latest,
  };
}
