/**
 * Cost of the observability path.
 *
 *   npm exec -- node test/bench/store-bench.ts        (prints the JSON results)
 *
 * - hotPath: `RequestRecorder.record` alone, in a tight loop (ns per call, calls per second).
 * - sustained: request events recorded at a paced 120 000 events/s for a few seconds with the
 *   flusher running against a real SQLite file; reports what was recorded and persisted per
 *   second, drops, the longest flush and the event-loop delay p99 (perf_hooks
 *   monitorEventLoopDelay). Targets: ≥ 100 000 events/s, p99 < 20 ms.
 * - monitorIdle: the monitor with the real host and process-tree samplers and five fake servers
 *   (sleeping child processes), ticking at a fast interval for a bounded time; the CPU it used
 *   (process.cpuUsage) is scaled to the default 5 s interval. Target < 1 % of one core.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path, { resolve } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { createHostSampler } from '../../supervisor/monitor/host-sampler.ts';
import { createMonitor } from '../../supervisor/monitor/monitor.ts';
import { createProcessTreeSampler } from '../../supervisor/monitor/process-tree.ts';
import { openStore } from '../../supervisor/store/db.ts';
import { RequestRecorder } from '../../supervisor/store/recorder.ts';
import type { RequestEvent } from '../../supervisor/store/types.ts';

export interface StoreBenchOptions {
  sustainedMs?: number;
  targetEventsPerSecond?: number;
  monitorMs?: number;
  monitorIntervalMs?: number;
}

export interface StoreBenchResults {
  hotPath: { calls: number; nsPerCall: number; callsPerSecond: number };
  sustained: {
    targetEventsPerSecond: number;
    durationMs: number;
    recordedPerSecond: number;
    persistedPerSecond: number;
    droppedEvents: number;
    flushes: number;
    maxFlushMs: number;
    eventLoopDelayP99Ms: number;
    eventLoopDelayMaxMs: number;
    meetsTargets: boolean;
  };
  monitorIdle: {
    intervalMs: number;
    ticks: number;
    cpuMsPerTick: number;
    /** CPU share of one core at the default 5 s interval. */
    percentOfCoreAt5s: number;
    meetsTarget: boolean;
  };
}

const SERVERS = ['alpha', 'beta', 'gamma', 'delta'];
const TOOLS = ['read', 'write', 'search', 'list', 'fetch'];

function makeEvent(i: number, ts: number): RequestEvent {
  return {
    ts,
    server: SERVERS[i % SERVERS.length]!,
    method: 'tools/call',
    tool: TOOLS[i % TOOLS.length]!,
    client: 'bench',
    status: i % 50 === 0 ? 'error' : 'ok',
    latencyMs: 1 + (i % 997),
    errorCode: i % 50 === 0 ? 'TIMEOUT' : null,
  };
}

async function hotPath(dir: string): Promise<StoreBenchResults['hotPath']> {
  const store = openStore(path.join(dir, 'hot.db'));
  try {
    const recorder = new RequestRecorder({ store, capacity: 1_000_000 });
    const calls = 500_000;
    const events = Array.from({ length: 1000 }, (_, i) => makeEvent(i, Date.now()));
    for (let i = 0; i < 50_000; i++) recorder.record(events[i % 1000]!); // warm-up
    const start = process.hrtime.bigint();
    for (let i = 0; i < calls; i++) recorder.record(events[i % 1000]!);
    const ns = Number(process.hrtime.bigint() - start);
    return { calls, nsPerCall: ns / calls, callsPerSecond: Math.round((calls / ns) * 1e9) };
  } finally {
    store.close();
  }
}

async function sustained(
  dir: string,
  durationMs: number,
  rate: number,
): Promise<StoreBenchResults['sustained']> {
  const store = openStore(path.join(dir, 'sustained.db'));
  const recorder = new RequestRecorder({ store });
  recorder.start();
  const delay = monitorEventLoopDelay({ resolution: 1 });
  delay.enable();
  const startedAt = performance.now();
  let recorded = 0;
  try {
    // Paced producer: each turn of the event loop records what the target rate owes so far,
    // so flushes (on timers and setImmediate) interleave as they would with real traffic.
    for (;;) {
      const elapsed = performance.now() - startedAt;
      if (elapsed >= durationMs) break;
      const owed = Math.min(Math.floor((elapsed / 1000) * rate) - recorded, 2_000);
      const ts = Date.now();
      for (let i = 0; i < owed; i++) recorder.record(makeEvent(recorded + i, ts));
      recorded += Math.max(0, owed);
      await nextTurn();
    }
    recorder.stop();
  } finally {
    delay.disable();
    store.close();
  }
  const elapsedMs = performance.now() - startedAt;
  const stats = recorder.stats();
  const p99 = delay.percentile(99) / 1e6;
  const recordedPerSecond = Math.round((stats.recordedEvents / elapsedMs) * 1000);
  return {
    targetEventsPerSecond: rate,
    durationMs: Math.round(elapsedMs),
    recordedPerSecond,
    persistedPerSecond: Math.round((stats.persistedEvents / elapsedMs) * 1000),
    droppedEvents: stats.droppedEvents,
    flushes: stats.flushes,
    maxFlushMs: Math.round(stats.maxFlushDurationMs * 10) / 10,
    eventLoopDelayP99Ms: Math.round(p99 * 10) / 10,
    eventLoopDelayMaxMs: Math.round((delay.max / 1e6) * 10) / 10,
    meetsTargets: recordedPerSecond >= 100_000 && stats.droppedEvents === 0 && p99 < 20,
  };
}

async function monitorIdle(
  dir: string,
  durationMs: number,
  intervalMs: number,
): Promise<StoreBenchResults['monitorIdle']> {
  const children: ChildProcess[] = [];
  for (let i = 0; i < 5; i++) children.push(spawn('sleep', ['600'], { stdio: 'ignore' }));
  const store = openStore(path.join(dir, 'monitor.db'));
  const recorder = new RequestRecorder({ store });
  recorder.start();
  const startedAt = Date.now();
  const monitor = createMonitor({
    intervalMs,
    hostSampler: createHostSampler(),
    processTree: createProcessTreeSampler(),
    listServers: () =>
      children.map((child, i) => ({
        name: `fake-${i}`,
        pid: child.pid ?? null,
        restarts: 0,
        uptimeMs: Date.now() - startedAt,
      })),
    recorder,
  });
  try {
    await monitor.tick(); // warm-up: first systeminformation calls load modules and read statics
    const before = process.cpuUsage();
    const ticksBefore = monitor.stats().ticks;
    monitor.start();
    await new Promise((done) => setTimeout(done, durationMs));
    await monitor.stop();
    recorder.flush();
    const used = process.cpuUsage(before);
    const ticks = monitor.stats().ticks - ticksBefore;
    const cpuMsPerTick = (used.user + used.system) / 1000 / Math.max(1, ticks);
    const percentOfCoreAt5s = (cpuMsPerTick / 5000) * 100;
    return {
      intervalMs,
      ticks,
      cpuMsPerTick: Math.round(cpuMsPerTick * 100) / 100,
      percentOfCoreAt5s: Math.round(percentOfCoreAt5s * 1000) / 1000,
      meetsTarget: percentOfCoreAt5s < 1,
    };
  } finally {
    recorder.stop();
    store.close();
    for (const child of children) child.kill('SIGKILL');
  }
}

export async function runStoreBench(options: StoreBenchOptions = {}): Promise<StoreBenchResults> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'store-bench-'));
  try {
    return {
      hotPath: await hotPath(dir),
      sustained: await sustained(dir, options.sustainedMs ?? 5_000, options.targetEventsPerSecond ?? 120_000),
      monitorIdle: await monitorIdle(dir, options.monitorMs ?? 10_000, options.monitorIntervalMs ?? 250),
    };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const isMain = process.argv[1] !== undefined && resolve(process.argv[1]) === import.meta.filename;
if (isMain) {
  const results = await runStoreBench();
  process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
}
