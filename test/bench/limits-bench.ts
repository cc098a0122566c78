/**
 * Throughput and per-job overhead of the limits layer, on trivial async jobs.
 *
 *   npm exec -- node test/bench/limits-bench.ts            (prints a table and the JSON results)
 *
 * Modes: (a) one bare Bottleneck limiter; (b) the full server guard: circuit breaker, client-key
 * group limiter, server limiter and the global limiter. Each mode runs with 1 caller (per-job
 * latency ≈ overhead) and 16 concurrent callers (throughput), every caller awaiting its jobs one by
 * one. The counts are fixed, so a run is bounded (a few thousand jobs per case).
 */
import { resolve } from 'node:path';
import Bottleneck from 'bottleneck/light.js';
import { createGlobalLimiter } from '../../supervisor/limits/global-limiter.ts';
import { createServerGuard } from '../../supervisor/limits/server-guard.ts';

export type LimitsBenchCase = {
  mode: 'direct' | 'bottleneck' | 'guard';
  callers: number;
  jobs: number;
  elapsedMs: number;
  jobsPerSecond: number;
  /** Mean time a caller waits for one job, in microseconds (elapsed × callers / jobs). */
  meanLatencyUs: number;
};

export type LimitsBenchResults = {
  node: string;
  bottleneck: string;
  isBottleneckPatched: boolean;
  cases: LimitsBenchCase[];
};

type RunJob = (callerIndex: number) => Promise<unknown>;

const trivialJob = async () => 1;

async function measure(
  mode: LimitsBenchCase['mode'],
  callers: number,
  jobs: number,
  runJob: RunJob,
): Promise<LimitsBenchCase> {
  let issued = 0;
  const startedAt = performance.now();
  await Promise.all(
    Array.from({ length: callers }, async (_, callerIndex) => {
      while (issued < jobs) {
        issued++;
        await runJob(callerIndex);
      }
    }),
  );
  const elapsedMs = performance.now() - startedAt;
  return {
    mode,
    callers,
    jobs,
    elapsedMs: Math.round(elapsedMs * 10) / 10,
    jobsPerSecond: Math.round((jobs / elapsedMs) * 1000),
    meanLatencyUs: Math.round(((elapsedMs * callers) / jobs) * 1000),
  };
}

/** Whether node_modules/bottleneck carries patches/bottleneck+2.19.5.patch. */
async function isBottleneckPatched(): Promise<boolean> {
  const { readFile } = await import('node:fs/promises');
  const { createRequire } = await import('node:module');
  const require = createRequire(import.meta.url);
  const file = require.resolve('bottleneck/light.js');
  return (await readFile(file, 'utf8')).includes('patched (mcp-supervisor)');
}

export async function runLimitsBench(options: { jobs?: number } = {}): Promise<LimitsBenchResults> {
  const jobs = options.jobs ?? 3_000;
  const cases: LimitsBenchCase[] = [];
  for (const callers of [1, 16]) {
    cases.push(await measure('direct', callers, jobs, trivialJob));

    const limiter = new Bottleneck({ maxConcurrent: 50 });
    await measure('bottleneck', callers, Math.min(jobs, 200), () => limiter.schedule(trivialJob)); // warm-up
    cases.push(await measure('bottleneck', callers, jobs, () => limiter.schedule(trivialJob)));
    await limiter.disconnect();

    const global = createGlobalLimiter({ maxTotalConcurrent: 500 });
    const guard = createServerGuard({
      server: 'bench',
      limits: { maxConcurrent: 50, queueSize: 1_000, requestTimeoutMs: 30_000 },
      perClientConcurrent: 10,
      global,
    });
    const runGuarded: RunJob = (callerIndex) => guard.run(trivialJob, { clientKey: `client-${callerIndex}` });
    await measure('guard', callers, Math.min(jobs, 200), runGuarded); // warm-up
    cases.push(await measure('guard', callers, jobs, runGuarded));
    await guard.dispose();
    await global.dispose();
  }
  return {
    node: process.version,
    // The typings omit the static `version` the library sets.
    bottleneck: (Bottleneck as unknown as { version: string }).version,
    isBottleneckPatched: await isBottleneckPatched(),
    cases,
  };
}

const isMain = process.argv[1] !== undefined && resolve(process.argv[1]) === import.meta.filename;
if (isMain) {
  const results = await runLimitsBench();
  console.log(
    `node ${results.node}, bottleneck ${results.bottleneck} (${results.isBottleneckPatched ? 'patched' : 'UNPATCHED'})`,
  );
  console.table(results.cases);
  console.log(JSON.stringify(results));
}
