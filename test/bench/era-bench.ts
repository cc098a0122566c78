/**
 * The gateway bench's two client revisions alone, for A/B work on the 2026-07-28 path: one
 * supervisor (auth, limits and metrics on, as in gateway-bench.ts), server-everything's `echo` on
 * `/mcp/everything` from a 2025 session and from a stateless 2026-07-28 client (the same
 * {@link LeanMcpClient}), in interleaved rounds, reporting per round and as medians the
 * supervisor's CPU ms per request (utime+stime from /proc: the figure a loaded machine leaves
 * usable), req/s, p50 and the load average.
 *
 *   node test/bench/era-bench.ts                 (4 rounds, c1 and c16)
 *   ERA_ROUNDS=6 ERA_CASES=2026/16 ERA_PROF_DIR=/tmp/prof node test/bench/era-bench.ts
 *
 * Environment: `ERA_ROUNDS` (default 4), `ERA_REQUESTS_C1` (3 000), `ERA_REQUESTS_C16`
 * (10 000), `ERA_WARMUP` (20 000 per case), `ERA_CASES` (comma list of `2025/1`, `2026/1`,
 * `2025/16`, `2026/16`; default all), `ERA_PROF_DIR` (run the supervisor with `--cpu-prof` there).
 * About 2 minutes with the defaults on an idle 2-core machine.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path, { resolve } from 'node:path';
import { LeanMcpClient, MODERN_PROTOCOL_VERSION } from './lib/mcp-http-client.ts';
import { median, round, runFixed } from './lib/measure.ts';
import {
  BENCH_MARKER_VAR,
  killLeftovers,
  measureCpu,
  SERVER_EVERYTHING,
  startSupervisor,
} from './lib/processes.ts';
import { createClientKey, waitUntilCallable } from './lib/serving.ts';

const ECHO_ARGS = { message: 'bench' };
const ALL_CASES = ['2025/1', '2026/1', '2025/16', '2026/16'];

type Round = {
  cpuMsPerRequest: number;
  /** Less the idle CPU the supervisor spends in the same time. */
  netCpuMsPerRequest: number;
  requestsPerSecond: number;
  p50Ms: number;
  load1: number;
};

/** How long the idle CPU of the supervisor is measured, after the warm-up. */
const IDLE_MS = 5_000;

function numberEnv(name: string, fallback: number): number {
  const value = process.env[name];
  if (value === undefined || value === '') return fallback;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed <= 0)
    throw new Error(`${name}: expected a positive integer, got "${value}"`);
  return parsed;
}

async function main(): Promise<void> {
  const rounds = numberEnv('ERA_ROUNDS', 4);
  const requestsC1 = numberEnv('ERA_REQUESTS_C1', 3_000);
  const requestsC16 = numberEnv('ERA_REQUESTS_C16', 10_000);
  const warmup = numberEnv('ERA_WARMUP', 20_000);
  const cases = (process.env.ERA_CASES ?? ALL_CASES.join(',')).split(',').filter(Boolean);
  for (const name of cases)
    if (!ALL_CASES.includes(name))
      throw new Error(`ERA_CASES: unknown case "${name}" (${ALL_CASES.join(', ')})`);
  const profDir = process.env.ERA_PROF_DIR;
  const runId = `era-${process.pid}-${Date.now().toString(36)}`;
  const marker = `${runId}-supervisor`;
  const home = await mkdtemp(path.join(os.tmpdir(), 'mcps-era-'));
  const clients: LeanMcpClient[] = [];
  const supervisor = await startSupervisor({
    home,
    marker,
    config: {
      mcpServers: {
        everything: {
          command: process.execPath,
          args: [SERVER_EVERYTHING, 'stdio'],
          env: { [BENCH_MARKER_VAR]: marker },
        },
      },
      supervisor: { gateway: { auth: 'keys' }, limits: { maxConcurrentPerClient: 64 } },
    },
    ...(profDir ? { execArgv: ['--cpu-prof', `--cpu-prof-dir=${profDir}`] } : {}),
  });
  try {
    const url = `http://127.0.0.1:${supervisor.port}/mcp/everything`;
    const headers = {
      authorization: `Bearer ${await createClientKey(home, supervisor.port, 'era-bench')}`,
    };
    const clientOf = async (name: string) => {
      const [era, concurrency] = name.split('/');
      const client = new LeanMcpClient({
        url,
        maxSockets: Number(concurrency),
        headers,
        ...(era === '2026' && { revision: MODERN_PROTOCOL_VERSION }),
      });
      clients.push(client);
      await client.connect(AbortSignal.timeout(30_000));
      return client;
    };
    await waitUntilCallable({
      url,
      tool: 'echo',
      args: ECHO_ARGS,
      headers,
      what: 'server "everything" online behind the gateway',
    });
    const byCase = new Map<string, LeanMcpClient>();
    for (const name of cases) byCase.set(name, await clientOf(name));
    const call = (client: LeanMcpClient) => async () => {
      const outcome = await client.callTool('echo', ECHO_ARGS);
      return outcome.kind === 'result' && outcome.result.isError !== true;
    };
    process.stderr.write(`warm-up: ${warmup} requests per case\n`);
    for (const [name, client] of byCase) await runFixed(Number(name.split('/')[1]), warmup, call(client));
    // The supervisor's own background work (samplers, flushes) runs per second, not per request:
    // measured idle and taken out, so a slower round does not look costlier per request.
    const idleMeter = measureCpu(supervisor.pid);
    const idleStartedAt = performance.now();
    await new Promise((done) => setTimeout(done, IDLE_MS));
    const idleCpuMsPerSecond = ((idleMeter.stop() ?? 0) / (performance.now() - idleStartedAt)) * 1_000;
    process.stderr.write(`idle: ${round(idleCpuMsPerSecond, 2)} CPU ms/s\n`);
    const results = new Map<string, Round[]>();
    for (let index = 0; index < rounds; index++) {
      const order = index % 2 === 0 ? cases : [...cases].reverse();
      for (const name of order) {
        const concurrency = Number(name.split('/')[1]);
        const requests = concurrency === 1 ? requestsC1 : requestsC16;
        const meter = measureCpu(supervisor.pid);
        const stats = await runFixed(concurrency, requests, call(byCase.get(name) as LeanMcpClient));
        const cpuMs = meter.stop() ?? Number.NaN;
        const measured: Round = {
          cpuMsPerRequest: round(cpuMs / requests, 4),
          netCpuMsPerRequest: round((cpuMs - (idleCpuMsPerSecond * stats.elapsedMs) / 1_000) / requests, 4),
          requestsPerSecond: stats.requestsPerSecond,
          p50Ms: stats.p50Ms,
          load1: round(os.loadavg()[0] as number, 2),
        };
        results.set(name, [...(results.get(name) ?? []), measured]);
        process.stderr.write(
          `round ${index + 1}/${rounds} ${name.padEnd(8)} cpu ${measured.cpuMsPerRequest} ms/req (net ${measured.netCpuMsPerRequest})  ${stats.requestsPerSecond} req/s  p50 ${stats.p50Ms} ms  load ${measured.load1}${stats.failures ? `  FAILURES ${stats.failures}` : ''}\n`,
        );
      }
    }
    const summary = Object.fromEntries(
      [...results].map(([name, list]) => [
        name,
        {
          cpuMsPerRequest: round(median(list.map((r) => r.cpuMsPerRequest)), 4),
          netCpuMsPerRequest: round(median(list.map((r) => r.netCpuMsPerRequest)), 4),
          requestsPerSecond: median(list.map((r) => r.requestsPerSecond)),
          p50Ms: round(median(list.map((r) => r.p50Ms)), 3),
          load1: round(median(list.map((r) => r.load1)), 2),
        },
      ]),
    );
    console.table(summary);
    const pick = (name: string) => summary[name];
    const c16 = [pick('2026/16'), pick('2025/16')];
    const c1 = [pick('2026/1'), pick('2025/1')];
    if (c16[0] && c16[1]) {
      console.log(
        `c16: 2026/2025 req/s ${round(c16[0].requestsPerSecond / c16[1].requestsPerSecond)} ×, cpu ${round(c16[0].cpuMsPerRequest / c16[1].cpuMsPerRequest)} ×, net cpu ${round(c16[0].netCpuMsPerRequest / c16[1].netCpuMsPerRequest)} ×`,
      );
    }
    // Each round runs the cases back to back: the ratio within a round shares its machine load.
    for (const concurrency of ['1', '16']) {
      const modern = results.get(`2026/${concurrency}`);
      const legacy = results.get(`2025/${concurrency}`);
      if (!modern || !legacy) continue;
      const ratios = modern.map((r, i) => r.netCpuMsPerRequest / (legacy[i] as Round).netCpuMsPerRequest);
      const rates = modern.map((r, i) => r.requestsPerSecond / (legacy[i] as Round).requestsPerSecond);
      console.log(
        `c${concurrency} per-round 2026/2025: net cpu median ${round(median(ratios))} × (${ratios.map((r) => round(r, 2)).join(' ')}), req/s median ${round(median(rates))} ×`,
      );
    }
    if (c1[0] && c1[1]) console.log(`c1: p50 2026 − 2025 = ${round(c1[0].p50Ms - c1[1].p50Ms)} ms`);
  } finally {
    await Promise.allSettled(clients.map((client) => client.close()));
    await supervisor.stop().catch(() => undefined);
    killLeftovers(runId, home);
    await rm(home, { recursive: true, force: true, maxRetries: 3 }).catch(() => undefined);
  }
}

const isMain = process.argv[1] !== undefined && resolve(process.argv[1]) === import.meta.filename;
if (isMain) await main();
