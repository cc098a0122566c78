/**
 * What the clustered limiter adds to a request through the gateway: two real supervisors, one
 * with `supervisor.cluster` on a local redis-server and one without, each serving
 * server-everything's `echo` over stdio at `/mcp/everything`, called by the gateway bench's HTTP
 * client at concurrency 1 and 16 in interleaved rounds (medians reported).
 *
 *   npm exec -- node test/bench/cluster-gateway-bench.ts
 *
 * Both run `maxConcurrentPerClient: 64` (as the gateway bench), at or above the server's
 * `maxConcurrent` 50: the clustered one then leaves the per-client cap out of Redis (it cannot
 * bind), so each request costs the shared server limiter's three scripts (submit, register, free).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path, { resolve } from 'node:path';
import { type RedisServer, startRedis } from '../helpers/redis.ts';
import { LeanMcpClient } from './lib/mcp-http-client.ts';
import { median, type RunStats, round, runFixed } from './lib/measure.ts';
import {
  BENCH_MARKER_VAR,
  cpuTimeMs,
  killLeftovers,
  SERVER_EVERYTHING,
  type SupervisorProcess,
  startSupervisor,
} from './lib/processes.ts';
import { waitUntilServing } from './lib/serving.ts';

export type ClusterGatewayTarget = 'local' | 'clustered';

export type ClusterGatewayCase = {
  target: ClusterGatewayTarget;
  concurrency: number;
  requests: number;
  /** Medians over the rounds. */
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** CPU of the supervisor process per request, µs (median over rounds). */
  supervisorCpuUsPerRequest: number;
  /** CPU of redis-server per request, µs (0 for the local target). */
  redisCpuUsPerRequest: number;
  failures: number;
};

export type ClusterGatewayResults = {
  cases: ClusterGatewayCase[];
  /** clustered − local, at each concurrency. */
  added: { concurrency: number; p50Ms: number; supervisorCpuUs: number; redisCpuUs: number }[];
  method: Record<string, string>;
};

export type ClusterGatewayOptions = {
  requestsC1?: number;
  requestsC16?: number;
  warmupRequests?: number;
  rounds?: number;
  log?: (line: string) => void;
};

const ECHO_ARGS = { message: 'bench' };
const TARGETS: readonly ClusterGatewayTarget[] = ['local', 'clustered'];
const CONCURRENCIES = [1, 16] as const;

function config(marker: string, redisUrl: string | undefined, clusterId: string) {
  return {
    mcpServers: {
      everything: {
        command: process.execPath,
        args: [SERVER_EVERYTHING, 'stdio'],
        env: { [BENCH_MARKER_VAR]: marker },
      },
    },
    supervisor: {
      gateway: { auth: 'none' },
      limits: { maxConcurrentPerClient: 64, adaptive: false },
      ...(redisUrl
        ? { cluster: { redis: redisUrl, id: clusterId, timeoutMs: 2_000, hostLabel: 'bench' } }
        : {}),
    },
  };
}

async function connected(port: number, concurrency: number): Promise<LeanMcpClient> {
  const url = `http://127.0.0.1:${port}/mcp/everything`;
  await waitUntilServing(url, 'server "everything" online behind the gateway');
  const client = new LeanMcpClient({ url, maxSockets: concurrency });
  await client.connect(AbortSignal.timeout(30_000));
  return client;
}

type Run = { stats: RunStats; supervisorCpuMs: number; redisCpuMs: number };

/**
 * Runs the bench and stops everything it started (also on failure): the two supervisors (and
 * their PM2 daemons and servers), the redis-server, the temp homes.
 */
export async function runClusterGatewayBench(
  options: ClusterGatewayOptions = {},
): Promise<ClusterGatewayResults> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const rounds = options.rounds ?? 3;
  const requestsOf = (concurrency: number) =>
    concurrency === 1 ? (options.requestsC1 ?? 500) : (options.requestsC16 ?? 2_000);
  const warmup = options.warmupRequests ?? 2_000;
  const runId = `cgw-${process.pid}-${Date.now().toString(36)}`;
  const homes: string[] = [];
  const supervisors = new Map<ClusterGatewayTarget, SupervisorProcess>();
  const clients = new Map<string, LeanMcpClient>();
  let redis: RedisServer | undefined;
  try {
    redis = await startRedis({ maxMemoryMb: 128 });
    const redisPid = redis.pid ?? 0;
    for (const target of TARGETS) {
      const home = await mkdtemp(path.join(os.tmpdir(), 'mcps-cbench-'));
      homes.push(home);
      const marker = `${runId}-${target}`;
      const supervisor = await startSupervisor({
        home,
        marker,
        config: config(marker, target === 'clustered' ? redis.url : undefined, runId),
      });
      supervisors.set(target, supervisor);
      for (const concurrency of CONCURRENCIES) {
        clients.set(`${target}/${concurrency}`, await connected(supervisor.port, concurrency));
      }
    }
    const call = (client: LeanMcpClient) => async () => {
      const outcome = await client.callTool('echo', ECHO_ARGS);
      return outcome.kind === 'result' && outcome.result.isError !== true;
    };
    for (const [key, client] of clients) {
      const stats = await runFixed(16, warmup, call(client));
      log(`cluster gateway bench: warm-up ${key} ${stats.requestsPerSecond} req/s`);
    }
    const runs = new Map<string, Run[]>();
    for (let roundIndex = 0; roundIndex < rounds; roundIndex++) {
      const order = roundIndex % 2 === 0 ? TARGETS : [...TARGETS].reverse();
      for (const concurrency of CONCURRENCIES) {
        for (const target of order) {
          const key = `${target}/${concurrency}`;
          const supervisor = supervisors.get(target) as SupervisorProcess;
          const supervisorBefore = cpuTimeMs(supervisor.pid) ?? 0;
          const redisBefore = cpuTimeMs(redisPid) ?? 0;
          const stats = await runFixed(
            concurrency,
            requestsOf(concurrency),
            call(clients.get(key) as LeanMcpClient),
          );
          const run = {
            stats,
            supervisorCpuMs: (cpuTimeMs(supervisor.pid) ?? 0) - supervisorBefore,
            redisCpuMs: (cpuTimeMs(redisPid) ?? 0) - redisBefore,
          };
          runs.set(key, [...(runs.get(key) ?? []), run]);
          log(
            `round ${roundIndex + 1}/${rounds} ${key.padEnd(14)} ${String(stats.requestsPerSecond).padStart(6)} req/s  p50 ${stats.p50Ms} ms${stats.failures ? `  FAILURES ${stats.failures}` : ''}`,
          );
        }
      }
    }
    const cases: ClusterGatewayCase[] = [];
    for (const concurrency of CONCURRENCIES) {
      for (const target of TARGETS) {
        const list = runs.get(`${target}/${concurrency}`) ?? [];
        const of = (value: (run: Run) => number) => median(list.map(value));
        cases.push({
          target,
          concurrency,
          requests: requestsOf(concurrency),
          requestsPerSecond: Math.round(of((run) => run.stats.requestsPerSecond)),
          p50Ms: round(of((run) => run.stats.p50Ms)),
          p99Ms: round(of((run) => run.stats.p99Ms)),
          supervisorCpuUsPerRequest: Math.round(
            of((run) => (run.supervisorCpuMs * 1000) / run.stats.requests),
          ),
          redisCpuUsPerRequest:
            target === 'local' ? 0 : Math.round(of((run) => (run.redisCpuMs * 1000) / run.stats.requests)),
          failures: list.reduce((sum, run) => sum + run.stats.failures, 0),
        });
      }
    }
    const find = (target: ClusterGatewayTarget, concurrency: number) =>
      cases.find((c) => c.target === target && c.concurrency === concurrency) as ClusterGatewayCase;
    const added = CONCURRENCIES.map((concurrency) => {
      const local = find('local', concurrency);
      const clustered = find('clustered', concurrency);
      return {
        concurrency,
        p50Ms: round(clustered.p50Ms - local.p50Ms),
        supervisorCpuUs: clustered.supervisorCpuUsPerRequest - local.supervisorCpuUsPerRequest,
        redisCpuUs: clustered.redisCpuUsPerRequest,
      };
    });
    return {
      cases,
      added,
      method: {
        targets:
          'two mcp-supervisor processes, /mcp/everything (server-everything echo over stdio); one with supervisor.cluster on a local redis-server',
        limits:
          'maxConcurrent 50, maxConcurrentPerClient 64 (the per-client cap stays out of Redis), no rate limit, adaptive off',
        rounds: `${rounds} interleaved rounds after ${warmup} warm-up requests per case; medians`,
        cpu: 'utime + stime from /proc of the supervisor process and of redis-server, per request',
      },
    };
  } finally {
    for (const client of clients.values()) await client.close().catch(() => undefined);
    for (const supervisor of supervisors.values()) await supervisor.stop().catch(() => undefined);
    for (const home of homes) {
      const killed = killLeftovers(runId, home);
      if (killed.length > 0) log(`cluster gateway bench: killed leftovers ${killed.join('; ')}`);
      await rm(home, { recursive: true, force: true, maxRetries: 3 }).catch(() => undefined);
    }
    await redis?.stop();
  }
}

const isMain = process.argv[1] !== undefined && resolve(process.argv[1]) === import.meta.filename;
if (isMain) {
  const results = await runClusterGatewayBench();
  console.table(results.cases);
  console.table(results.added);
  console.log(JSON.stringify(results));
}
