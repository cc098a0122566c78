/**
 * The gateway-at-the-floor cases of the gateway bench alone (issue 13 goal 4), for working on the
 * request path: a supervisor's `/mcp/everything` and `/mcp` against the pass-through, at
 * concurrency 16 and 1, in interleaved rounds, reporting the supervisor's CPU per request
 * (utime+stime from /proc, which a loaded machine disturbs far less than req/s) beside req/s and
 * p50. A few minutes instead of the whole bench's eight.
 *
 *   node test/bench/floor-ab.ts [--rounds 5] [--c16 10000] [--c1 3000] [--warmup 20000]
 *                               [--base DIR] [--prof DIR] [--only REGEX] [--exec-argv=FLAGS]
 *
 * `--base DIR`: also runs a second supervisor from another checkout (DIR/supervisor/bin/…, e.g. a
 * `git archive` of the commit before a change with this node_modules linked in), in the same
 * rounds: an A/B of two versions on the same load. `--prof DIR`: the supervisor (this checkout's)
 * runs with `--cpu-prof`, written to DIR when it stops, and the pass-through too (to
 * DIR/pass-through). `--only`: the cases whose name matches. `--exec-argv=FLAGS` (with `=`: the
 * value starts with a dash): Node flags for this checkout's supervisor, space-separated (e.g. the
 * V8 flags `start -d` adds, or `--perf-basic-prof` to read JS frames in `perf record -p <pid>`).
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { everythingCommand } from './gateway-bench.ts';
import { LeanMcpClient } from './lib/mcp-http-client.ts';
import { median, round, runFixed } from './lib/measure.ts';
import { startPassThrough } from './lib/peers.ts';
import { BENCH_MARKER_VAR, killLeftovers, type SupervisorProcess, startSupervisor } from './lib/processes.ts';
import { createClientKey, waitUntilCallable } from './lib/serving.ts';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '5' },
    c16: { type: 'string', default: '10000' },
    c1: { type: 'string', default: '3000' },
    warmup: { type: 'string', default: '20000' },
    base: { type: 'string' },
    prof: { type: 'string' },
    only: { type: 'string' },
    'exec-argv': { type: 'string' },
  },
});
const ECHO_ARGS = { message: 'bench' };
const runId = `floor-${process.pid}-${Date.now().toString(36)}`;

type Case = {
  name: string;
  concurrency: number;
  /** The process whose CPU is reported. */
  pid: number;
  client: LeanMcpClient;
  tool: string;
};

async function startOne(label: string, cliFile: string | undefined, execArgv: string[] = []) {
  const home = await mkdtemp(path.join(os.tmpdir(), `mcps-floor-${label}-`));
  const supervisor = await startSupervisor({
    home,
    marker: `${runId}-${label}`,
    config: {
      mcpServers: {
        everything: { ...everythingCommand(), env: { [BENCH_MARKER_VAR]: `${runId}-${label}` } },
      },
      supervisor: { gateway: { auth: 'keys' }, limits: { maxConcurrentPerClient: 64 } },
    },
    ...(cliFile ? { cliFile } : {}),
    execArgv,
  });
  const authorization = `Bearer ${await createClientKey(home, supervisor.port, 'floor-ab')}`;
  await waitUntilCallable({
    url: `http://127.0.0.1:${supervisor.port}/mcp/everything`,
    tool: 'echo',
    args: { message: 'probe' },
    headers: { authorization },
    what: `${label}: server "everything" online`,
  });
  return { label, home, supervisor, authorization };
}

const started: { home: string; supervisor: SupervisorProcess }[] = [];
const cases: Case[] = [];
const passThrough = await startPassThrough({
  command: [everythingCommand().command, ...everythingCommand().args],
  marker: `${runId}-pass-through`,
  // Profiled beside the supervisor, to compare the two request paths function by function.
  ...(values.prof
    ? { execArgv: ['--cpu-prof', `--cpu-prof-dir=${path.join(values.prof, 'pass-through')}`] }
    : {}),
});
try {
  const execArgv = [
    ...(values.prof ? ['--cpu-prof', `--cpu-prof-dir=${values.prof}`] : []),
    ...(values['exec-argv']?.split(/\s+/).filter(Boolean) ?? []),
  ];
  const supervisors = [await startOne('new', undefined, execArgv)];
  if (values.base) {
    supervisors.push(
      await startOne('base', path.join(path.resolve(values.base), 'supervisor/bin/mcp-supervisor.js')),
    );
  }
  started.push(...supervisors);
  // For attaching a profiler (`perf record -p`, `perf stat -p`) while the rounds run.
  process.stderr.write(
    `pids: pass-through ${passThrough.pid}, ${supervisors.map((s) => `${s.label} ${s.supervisor.pid}`).join(', ')}\n`,
  );
  for (const concurrency of [16, 1]) {
    const client = new LeanMcpClient({
      url: `http://127.0.0.1:${passThrough.port}/`,
      maxSockets: concurrency,
    });
    await client.connect(AbortSignal.timeout(10_000));
    cases.push({
      name: `pass-through/${concurrency}`,
      concurrency,
      pid: passThrough.pid,
      client,
      tool: 'echo',
    });
    for (const { label, supervisor, authorization } of supervisors) {
      for (const [endpoint, tool] of [
        ['/mcp/everything', 'echo'],
        ['/mcp', 'everything__echo'],
      ] as const) {
        const client = new LeanMcpClient({
          url: `http://127.0.0.1:${supervisor.port}${endpoint}`,
          maxSockets: concurrency,
          headers: { authorization },
        });
        await client.connect(AbortSignal.timeout(10_000));
        cases.push({
          name: `${label} ${endpoint}/${concurrency}`,
          concurrency,
          pid: supervisor.pid,
          client,
          tool,
        });
      }
    }
  }
  if (values.only) {
    const only = new RegExp(values.only);
    cases.splice(0, cases.length, ...cases.filter((c) => only.test(c.name) || c.name.startsWith('pass')));
  }
  const requestsOf = (concurrency: number) => Number(concurrency === 1 ? values.c1 : values.c16);
  for (const c of cases) await runFixed(c.concurrency, Number(values.warmup), () => call(c));
  const results = new Map<string, { rps: number; p50: number; cpu: number; system: number }[]>();
  const rounds = Number(values.rounds);
  for (let r = 0; r < rounds; r++) {
    for (const concurrency of [16, 1]) {
      const ofConcurrency = cases.filter((c) => c.concurrency === concurrency);
      const rotated = ofConcurrency.map((_, i) => ofConcurrency[(i + r) % ofConcurrency.length] as Case);
      for (const c of r % 2 === 1 ? rotated.reverse() : rotated) {
        const before = userSystemMs(c.pid);
        const stats = await runFixed(c.concurrency, requestsOf(c.concurrency), () => call(c));
        const after = userSystemMs(c.pid);
        const cpu = (after.user + after.system - before.user - before.system) / stats.requests;
        const system = (after.system - before.system) / stats.requests;
        results.set(c.name, [
          ...(results.get(c.name) ?? []),
          { rps: stats.requestsPerSecond, p50: stats.p50Ms, cpu, system },
        ]);
        process.stderr.write(
          `round ${r + 1} ${c.name.padEnd(26)} ${String(stats.requestsPerSecond).padStart(6)} req/s  p50 ${stats.p50Ms}  cpu ${round(cpu)} ms/req (sys ${round(system)})${stats.failures ? `  FAILURES ${stats.failures}` : ''}\n`,
        );
      }
    }
  }
  const floor = (concurrency: number) => results.get(`pass-through/${concurrency}`) ?? [];
  const floorRps = median(floor(16).map((x) => x.rps));
  const floorP50 = median(floor(1).map((x) => x.p50));
  console.log(
    `load average ${os
      .loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}; ${rounds} rounds, medians`,
  );
  console.log(
    '| case | req/s | × pass-through | p50 ms | p50 − pass-through | CPU ms/req (per round) | of it system |',
  );
  console.log('|---|---:|---:|---:|---:|---|---:|');
  for (const [name, runs] of results) {
    const rps = median(runs.map((x) => x.rps));
    const p50 = median(runs.map((x) => x.p50));
    const isC16 = name.endsWith('/16');
    console.log(
      `| ${name} | ${rps} | ${isC16 ? round(rps / floorRps) : ''} | ${p50} | ${isC16 ? '' : round(p50 - floorP50)} | ${round(median(runs.map((x) => x.cpu)))} (${runs.map((x) => round(x.cpu)).join(' ')}) | ${round(median(runs.map((x) => x.system)))} |`,
    );
  }
} finally {
  for (const c of cases) await c.client.close().catch(() => undefined);
  await passThrough.stop().catch(() => undefined);
  for (const { supervisor, home } of started) {
    await supervisor.stop().catch(() => undefined);
    killLeftovers(runId, home);
    await rm(home, { recursive: true, force: true, maxRetries: 3 }).catch(() => undefined);
  }
}

/** User and system CPU time of a process so far, in ms (/proc/<pid>/stat fields 14 and 15). */
function userSystemMs(pid: number): { user: number; system: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { user: Number(fields[11]) * 10, system: Number(fields[12]) * 10 };
}

async function call(c: Case): Promise<boolean> {
  const outcome = await c.client.callTool(c.tool, ECHO_ARGS);
  return outcome.kind === 'result' && outcome.result.isError !== true;
}
