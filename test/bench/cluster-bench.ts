/**
 * Cost per request of the clustered guard (Bottleneck's Redis datastore on a local redis-server)
 * against the local guard, on trivial tasks, then what it adds through the gateway of a real
 * supervisor (cluster-gateway-bench.ts).
 *
 *   npm exec -- node test/bench/cluster-bench.ts            (prints the tables and the JSON results)
 *
 * Cases: local guard; clustered guard (shared client-key + server slots: 6 Redis scripts per
 * request); clustered with a per-client cap that cannot bind (server slot only: 3); clustered with
 * a rate limit (plus a shared token, one register script: 7). Each with 1 caller (latency ≈ added
 * cost per request) and 16 concurrent callers (throughput), callers awaiting their requests one by
 * one; fixed counts, so a run is bounded. CPU is measured for this process (process.cpuUsage) and
 * for redis-server (/proc/<pid>/stat), per request.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { createClusteredGuard } from '../../supervisor/cluster/clustered-guard.ts';
import { parseClusterConfig } from '../../supervisor/cluster/config.ts';
import { ClusterConnection } from '../../supervisor/cluster/connection.ts';
import { createGlobalLimiter } from '../../supervisor/limits/global-limiter.ts';
import { createServerGuard, type ServerGuard } from '../../supervisor/limits/server-guard.ts';
import { startRedis } from '../helpers/redis.ts';
import {
  type ClusterGatewayOptions,
  type ClusterGatewayResults,
  runClusterGatewayBench,
} from './cluster-gateway-bench.ts';

export type ClusterBenchCase = {
  mode: 'local' | 'clustered' | 'clustered, no client cap' | 'clustered+rate';
  callers: number;
  jobs: number;
  jobsPerSecond: number;
  /** Mean time a caller waits for one request, µs (elapsed × callers / jobs). */
  meanLatencyUs: number;
  /** Median latency of one request, µs. */
  p50LatencyUs: number;
  /** CPU of this process per request, µs. */
  cpuUsPerJob: number;
  /** CPU of redis-server per request, µs. */
  redisCpuUsPerJob: number;
};

export type ClusterBenchResults = {
  node: string;
  redis: string;
  cases: ClusterBenchCase[];
  /** Through the gateway: two real supervisors, with and without the cluster. */
  gateway?: ClusterGatewayResults;
};

const CLOCK_TICKS_PER_SECOND = 100;

/** utime + stime of a process in µs, from /proc (Linux). */
function processCpuUs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1_000_000) / CLOCK_TICKS_PER_SECOND;
}

async function measure(
  mode: ClusterBenchCase['mode'],
  guard: ServerGuard,
  callers: number,
  jobs: number,
  redisPid: number,
): Promise<ClusterBenchCase> {
  const task = async () => 1;
  const latencies: number[] = [];
  let issued = 0;
  const cpuBefore = process.cpuUsage();
  const redisBefore = processCpuUs(redisPid);
  const startedAt = performance.now();
  await Promise.all(
    Array.from({ length: callers }, async (_, index) => {
      while (issued < jobs) {
        issued++;
        const at = performance.now();
        await guard.run(task, { clientKey: `client-${index % 4}` });
        latencies.push(performance.now() - at);
      }
    }),
  );
  const elapsedMs = performance.now() - startedAt;
  const cpu = process.cpuUsage(cpuBefore);
  const redisCpu = processCpuUs(redisPid) - redisBefore;
  latencies.sort((a, b) => a - b);
  return {
    mode,
    callers,
    jobs,
    jobsPerSecond: Math.round((jobs / elapsedMs) * 1000),
    meanLatencyUs: Math.round(((elapsedMs * callers) / jobs) * 1000),
    p50LatencyUs: Math.round((latencies[Math.floor(latencies.length / 2)] ?? 0) * 1000),
    cpuUsPerJob: Math.round((cpu.user + cpu.system) / jobs),
    redisCpuUsPerJob: Math.round(redisCpu / jobs),
  };
}

export async function runClusterBench(
  options: { jobs?: number; gateway?: ClusterGatewayOptions | false } = {},
): Promise<ClusterBenchResults> {
  const jobs = options.jobs ?? 1_000;
  const redis = await startRedis();
  const connection = new ClusterConnection({
    config: parseClusterConfig({ redis: redis.url, id: `bench-${process.pid}`, timeoutMs: 2_000 }),
  });
  connection.start();
  const global = createGlobalLimiter({ maxTotalConcurrent: 500 });
  const cases: ClusterBenchCase[] = [];
  try {
    if (!(await connection.waitUntilConnected(10_000)))
      throw new Error('the bench could not reach its Redis');
    const limits = { maxConcurrent: 50, queueSize: 1_000, requestTimeoutMs: 30_000 };
    const guards: [ClusterBenchCase['mode'], ServerGuard][] = [
      ['local', createServerGuard({ server: 'bench-local', limits, perClientConcurrent: 10, global })],
      [
        'clustered',
        createClusteredGuard({
          server: 'bench',
          limits,
          perClientConcurrent: 10,
          global,
          cluster: connection,
        }),
      ],
      [
        'clustered, no client cap',
        // A per-client cap at or above the server's is not enforced in Redis (it cannot bind).
        createClusteredGuard({
          server: 'bench-server-only',
          limits,
          perClientConcurrent: 50,
          global,
          cluster: connection,
        }),
      ],
      [
        'clustered+rate',
        createClusteredGuard({
          server: 'bench-rate',
          // A rate high enough never to refuse here: the case measures the token's cost.
          limits: { ...limits, requestsPerMinute: 6_000_000, burst: 1_000_000 },
          perClientConcurrent: 10,
          global,
          cluster: connection,
        }),
      ],
    ];
    const redisPid = redis.pid ?? 0;
    for (const callers of [1, 16]) {
      for (const [mode, guard] of guards) {
        await measure(mode, guard, callers, Math.min(200, jobs), redisPid); // warm-up
        cases.push(await measure(mode, guard, callers, mode === 'local' ? jobs * 3 : jobs, redisPid));
      }
    }
    for (const [, guard] of guards) await guard.dispose();
  } finally {
    await global.dispose();
    await connection.stop();
    await redis.stop();
  }
  const redisVersion = execFileSync('redis-server', ['--version'], { encoding: 'utf8' }).trim();
  const gateway = options.gateway === false ? undefined : await runClusterGatewayBench(options.gateway);
  return { node: process.version, redis: redisVersion, cases, ...(gateway ? { gateway } : {}) };
}

const isMain = process.argv[1] !== undefined && resolve(process.argv[1]) === import.meta.filename;
if (isMain) {
  const results = await runClusterBench();
  console.log(`node ${results.node}, ${results.redis}`);
  console.table(results.cases);
  if (results.gateway) {
    console.table(results.gateway.cases);
    console.table(results.gateway.added);
  }
  console.log(JSON.stringify(results));
}
