/**
 * The supervisor's memory (issue 13, goals 2 and 3), all on one supervisor with 10 servers
 * (server-everything and 9 server-memory), real processes, loopback only, bounded in time:
 *
 * 1. idle: RSS after every server is online and 5 s of quiet, split into anonymous memory and the
 *    node binary's file pages (shared with every other Node process), with the process's own heap
 *    figures; the PM2 daemon's RSS; what runs between PM2 and the servers (nothing now); and the
 *    supervisor's RSS per added server (against a 1-server supervisor measured first);
 * 2. the gateway bench's timed rounds (c1 and c16, `/mcp/everything` and `/mcp`, the same request
 *    counts and warm-up), then the RSS;
 * 3. a sustained c16 soak (half per endpoint, each worker ending its session and opening a new one
 *    every 2 000 calls), RSS sampled every 5 s;
 * 4. 5 000 sessions opened and abandoned (no DELETE), then left to expire (`sessionIdleMs` 10 s,
 *    the bench's config): RSS with them, and after their expiry, against before them.
 *
 * The supervisor runs with `--expose-gc --import=lib/memory-probe.mjs`, which forces a full GC only
 * when the bench asks, before the "did it come back" figures (never in production). The idle, after-
 * rounds and soak figures are taken without any forced GC: what a user sees.
 *
 *   npm exec -- node test/bench/memory-bench.ts     (prints the JSON results)
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Pool } from 'undici';
import { ControlClient } from '../../supervisor/client/control-client.ts';
import type { StatusBody } from '../../supervisor/client/wire-types.ts';
import { resolveHome } from '../../supervisor/shared/home.ts';
import { SUPERVISOR_MALLOC_ENV, SUPERVISOR_V8_FLAGS } from '../../supervisor/shared/v8-flags.ts';
import { SERVER_EVERYTHING, SERVER_MEMORY } from '../helpers/paths.ts';
import { processesUnder } from '../helpers/process-table.ts';
import { LeanMcpClient } from './lib/mcp-http-client.ts';
import { type RunStats, round, runFixed } from './lib/measure.ts';
import {
  BENCH_MARKER_VAR,
  killLeftovers,
  ROOT,
  rssBytes,
  type SupervisorProcess,
  startSupervisor,
  waitFor,
} from './lib/processes.ts';

export type MemoryBenchOptions = {
  /** Servers of the measured supervisor (default 10: everything + memory servers). */
  servers?: number;
  idleMs?: number;
  /** The gateway bench's timed rounds: the same defaults (3 rounds, 3 000 c1, 10 000 c16, 20 000 warm-up). */
  rounds?: number;
  requestsC1?: number;
  requestsC16?: number;
  warmupRequests?: number;
  soakMs?: number;
  sampleEveryMs?: number;
  /** Calls after which a soak worker ends its session and opens a new one. */
  churnEvery?: number;
  abandonedSessions?: number;
  sessionIdleMs?: number;
  /** Skip the 1-server supervisor (the per-server figure). */
  skipPerServer?: boolean;
  log?: (line: string) => void;
};

/**
 * `/proc/<pid>/status` memory lines, in MiB, and the resident part of the `[heap]` mapping
 * (`/proc/<pid>/smaps`): glibc malloc's main arena (SQLite's page cache, HTTP parsers, Buffers'
 * backing stores), apart from V8's heap pages, which are anonymous mappings of their own.
 */
export type RssBreakdown = { rssMiB: number; anonMiB: number; fileMiB: number; mallocHeapMiB: number };

type ProbeReport = {
  memoryUsage: NodeJS.MemoryUsage;
  heapSpaces: Record<string, number>;
};

export type MemoryTarget = { name: string; value: number; unit: string; goal: string; isMet: boolean };

export type MemoryBenchResults = {
  servers: number;
  idle: {
    supervisor: RssBreakdown;
    /** The process's own view (no forced GC): heap, external, array buffers, heap spaces, MiB. */
    heap: Record<string, number>;
    pm2DaemonRssMiB: number;
    serversRssMiB: number;
    /** RSS of processes that are neither the supervisor, PM2 nor a server, per server. */
    perServerOverheadMiB: number;
    /** (idle RSS with `servers` − idle RSS with 1) / (`servers` − 1); undefined when skipped. */
    supervisorPerServerMiB: number | undefined;
    supervisorWith1ServerMiB: number | undefined;
  };
  rounds: {
    cases: {
      path: string;
      concurrency: number;
      requestsPerSecond: number;
      p50Ms: number;
      failures: number;
    }[];
    afterRounds: RssBreakdown;
    /** The process's own view right after the rounds (no forced GC), as `idle.heap`. */
    heap: Record<string, number>;
  };
  soak: {
    durationS: number;
    requests: number;
    failures: number;
    sessionsOpened: number;
    requestsPerSecond: number;
    samplesMiB: number[];
    firstMiB: number;
    minMiB: number;
    maxMiB: number;
    lastMiB: number;
    /** Extremes against the first sample, in percent. */
    belowFirstPercent: number;
    aboveFirstPercent: number;
  };
  abandonedSessions: {
    count: number;
    openMs: number;
    /** After a forced GC, before the sessions were opened. */
    beforeMiB: number;
    withSessionsMiB: number;
    heapUsedWithSessionsMiB: number;
    /** All expired (their ids answer 404), then a forced GC. */
    afterExpiryMiB: number;
    heapUsedBeforeMiB: number;
    heapUsedAfterExpiryMiB: number;
    /** The last sessions opened answered 404 (expired) when probed. */
    isExpired: boolean;
    expiredAfterMs: number;
  };
  targets: MemoryTarget[];
  method: Record<string, string>;
  leftovers: string[];
};

const ECHO_ARGS = { message: 'bench' };
const PROBE_FILE = path.join(ROOT, 'test/bench/lib/memory-probe.mjs');
const mib = (bytes: number) => round(bytes / 2 ** 20, 1);

/**
 * VmRSS of a live process, in MiB, for the samples that need only it: reading `smaps` (as
 * {@link rssBreakdown} does) walks every mapping of the measured process under its mmap lock, each
 * soak sample included.
 */
function rssMiB(pid: number): number {
  const bytes = rssBytes(pid);
  if (bytes === undefined) throw new Error(`process ${pid} is gone`);
  return mib(bytes);
}

/** VmRSS, RssAnon and RssFile of a process and the RSS of its `[heap]` mapping, in MiB. */
export function rssBreakdown(pid: number): RssBreakdown {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0);
  const smaps = readFileSync(`/proc/${pid}/smaps`, 'utf8');
  const heapKiB = Number(/ \[heap\]\n(?:.*\n)*?Rss:\s+(\d+) kB/.exec(smaps)?.[1] ?? 0);
  return {
    rssMiB: round(field('VmRSS') / 1024, 1),
    anonMiB: round(field('RssAnon') / 1024, 1),
    fileMiB: round(field('RssFile') / 1024, 1),
    mallocHeapMiB: round(heapKiB / 1024, 1),
  };
}

function benchConfig(home: string, marker: string, servers: number, sessionIdleMs: number) {
  const env = { [BENCH_MARKER_VAR]: marker };
  const mcpServers: Record<string, object> = {
    everything: { command: process.execPath, args: [SERVER_EVERYTHING, 'stdio'], env },
  };
  for (let i = 1; i < servers; i++) {
    mcpServers[`memory${i}`] = {
      command: process.execPath,
      args: [SERVER_MEMORY],
      env: { ...env, MEMORY_FILE_PATH: path.join(home, `memory${i}.jsonl`) },
    };
  }
  return {
    mcpServers,
    supervisor: {
      gateway: { auth: 'none', sessionIdleMs, maxSessions: 10_000 },
      limits: { maxConcurrentPerClient: 64 },
    },
  };
}

/** A supervisor with the probe loaded, and every server online. */
class MeasuredSupervisor {
  readonly process: SupervisorProcess;
  readonly home: string;
  readonly #probe: string;
  #seq = 0;

  private constructor(process: SupervisorProcess, home: string, probe: string) {
    this.process = process;
    this.home = home;
    this.#probe = probe;
  }

  static async start(options: { home: string; marker: string; config: object; servers: number }) {
    const probe = path.join(options.home, 'memory-probe');
    // The probe's path reaches the supervisor in its environment, as the marker does.
    process.env.MCPS_MEMORY_PROBE = probe;
    // The settings `start -d` gives the supervisor (shared/v8-flags.ts).
    const savedEnv = Object.fromEntries(
      Object.keys(SUPERVISOR_MALLOC_ENV).map((name) => [name, process.env[name]]),
    );
    Object.assign(process.env, SUPERVISOR_MALLOC_ENV);
    let supervisor: SupervisorProcess;
    try {
      supervisor = await startSupervisor({
        home: options.home,
        config: options.config,
        marker: options.marker,
        execArgv: [...SUPERVISOR_V8_FLAGS, '--expose-gc', `--import=${PROBE_FILE}`],
        timeoutMs: 120_000,
      });
    } finally {
      delete process.env.MCPS_MEMORY_PROBE;
      for (const [name, value] of Object.entries(savedEnv)) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    }
    const measured = new MeasuredSupervisor(supervisor, options.home, probe);
    try {
      const client = new ControlClient(resolveHome({ home: options.home, env: {} }));
      await waitFor(
        async () => {
          const body = await client.request<StatusBody>('GET', '/api/status');
          return body.servers.length === options.servers && body.servers.every((s) => s.state === 'online')
            ? true
            : undefined;
        },
        { timeoutMs: 180_000, intervalMs: 250, what: `${options.servers} servers online` },
      );
    } catch (error) {
      await supervisor.stop();
      throw error;
    }
    return measured;
  }

  get pid(): number {
    return this.process.pid;
  }

  get url(): string {
    return `http://127.0.0.1:${this.process.port}`;
  }

  /** The supervisor's own memory figures, after a forced full GC when `gc`. */
  async probe(gc: boolean): Promise<ProbeReport> {
    const seq = ++this.#seq;
    await writeFile(`${this.#probe}.cmd`, JSON.stringify({ seq, gc }));
    process.kill(this.pid, 'SIGUSR2');
    return waitFor(
      () => {
        try {
          const report = JSON.parse(readFileSync(`${this.#probe}.json`, 'utf8')) as ProbeReport & {
            seq: number;
          };
          return report.seq === seq ? report : undefined;
        } catch {
          return undefined;
        }
      },
      { timeoutMs: 30_000, intervalMs: 50, what: 'the memory probe to answer' },
    );
  }
}

function heapFigures(report: ProbeReport): Record<string, number> {
  const { memoryUsage, heapSpaces } = report;
  return {
    heapTotalMiB: mib(memoryUsage.heapTotal),
    heapUsedMiB: mib(memoryUsage.heapUsed),
    externalMiB: mib(memoryUsage.external),
    arrayBuffersMiB: mib(memoryUsage.arrayBuffers),
    newSpaceMiB: mib(heapSpaces.new_space ?? 0),
    oldSpaceMiB: mib(heapSpaces.old_space ?? 0),
    codeSpaceMiB: mib(heapSpaces.code_space ?? 0),
    largeObjectSpaceMiB: mib(heapSpaces.large_object_space ?? 0),
  };
}

/** Calls `call` from `workers` concurrent loops until `durationMs` has passed; counts outcomes. */
async function runFor(
  workers: number,
  durationMs: number,
  call: (worker: number) => Promise<boolean>,
): Promise<{ requests: number; failures: number; elapsedMs: number }> {
  const deadline = performance.now() + durationMs;
  const startedAt = performance.now();
  let requests = 0;
  let failures = 0;
  await Promise.all(
    Array.from({ length: workers }, async (_, worker) => {
      while (performance.now() < deadline) {
        requests++;
        if (!(await call(worker).catch(() => false))) failures++;
      }
    }),
  );
  return { requests, failures, elapsedMs: performance.now() - startedAt };
}

async function idleRss(supervisor: MeasuredSupervisor, idleMs: number) {
  await new Promise((resolve) => setTimeout(resolve, idleMs));
  const supervisorRss = rssBreakdown(supervisor.pid);
  const processes = processesUnder(supervisor.home);
  // A process listed a moment ago may be gone (a short-lived child): it counts 0.
  const sumOf = (list: typeof processes) => list.reduce((sum, p) => sum + mib(rssBytes(p.pid) ?? 0), 0);
  const isServer = (p: (typeof processes)[number]) =>
    p.environ[BENCH_MARKER_VAR] !== undefined && p.role !== 'pm2';
  const pm2 = processes.filter((p) => p.role === 'pm2');
  const servers = processes.filter((p) => p.pid !== supervisor.pid && p.role !== 'pm2' && isServer(p));
  const others = processes.filter((p) => p.pid !== supervisor.pid && p.role !== 'pm2' && !isServer(p));
  return {
    supervisor: supervisorRss,
    pm2DaemonRssMiB: round(sumOf(pm2), 1),
    serversRssMiB: round(sumOf(servers), 1),
    othersRssMiB: sumOf(others),
  };
}

async function timedRounds(supervisor: MeasuredSupervisor, options: Required<MemoryBenchOptions>) {
  const paths = [
    { path: '/mcp/everything', tool: 'echo' },
    { path: '/mcp', tool: 'everything__echo' },
  ];
  const callers: { path: string; concurrency: number; client: LeanMcpClient; tool: string }[] = [];
  const expiredClients: LeanMcpClient[] = [];
  try {
    for (const concurrency of [1, 16]) {
      for (const { path: endpoint, tool } of paths) {
        const client = new LeanMcpClient({ url: `${supervisor.url}${endpoint}`, maxSockets: concurrency });
        await client.connect(AbortSignal.timeout(30_000));
        callers.push({ path: endpoint, concurrency, client, tool });
      }
    }
    // The bench's sessionIdleMs is short (for the abandoned sessions): a case's session expires
    // while the other cases run, and its client opens a new one, as any client does on a 404.
    const renewing = new Map<(typeof callers)[number], Promise<void>>();
    const renew = (caller: (typeof callers)[number], expired: LeanMcpClient) => {
      let renewal = renewing.get(caller);
      if (!renewal) {
        renewal = (async () => {
          const client = new LeanMcpClient({
            url: `${supervisor.url}${caller.path}`,
            maxSockets: caller.concurrency,
          });
          await client.connect(AbortSignal.timeout(30_000));
          caller.client = client;
          // Closed at the end: other workers may still have calls in flight on it.
          expiredClients.push(expired);
        })().finally(() => renewing.delete(caller));
        renewing.set(caller, renewal);
      }
      return renewal;
    };
    const call = (caller: (typeof callers)[number]) => async () => {
      const client = caller.client;
      let outcome = await client.callTool(caller.tool, ECHO_ARGS);
      if (outcome.kind === 'error' && outcome.httpStatus === 404) {
        if (caller.client === client) await renew(caller, client);
        outcome = await caller.client.callTool(caller.tool, ECHO_ARGS);
      }
      return outcome.kind === 'result';
    };
    for (const caller of callers) await runFixed(caller.concurrency, options.warmupRequests, call(caller));
    const runs = new Map<(typeof callers)[number], RunStats[]>();
    for (let roundIndex = 0; roundIndex < options.rounds; roundIndex++) {
      for (const caller of callers) {
        const requests = caller.concurrency === 1 ? options.requestsC1 : options.requestsC16;
        const stats = await runFixed(caller.concurrency, requests, call(caller));
        runs.set(caller, [...(runs.get(caller) ?? []), stats]);
      }
    }
    const median = (values: number[]) =>
      [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;
    return {
      cases: callers.map((caller) => {
        const stats = runs.get(caller) ?? [];
        return {
          path: caller.path,
          concurrency: caller.concurrency,
          requestsPerSecond: median(stats.map((s) => s.requestsPerSecond)),
          p50Ms: median(stats.map((s) => s.p50Ms)),
          failures: stats.reduce((sum, s) => sum + s.failures, 0),
        };
      }),
      afterRounds: rssBreakdown(supervisor.pid),
    };
  } finally {
    await Promise.allSettled(
      [...callers.map((caller) => caller.client), ...expiredClients].map((c) => c.close()),
    );
  }
}

async function soak(
  supervisor: MeasuredSupervisor,
  options: Required<MemoryBenchOptions>,
  log: (line: string) => void,
) {
  const endpointOf = (worker: number) =>
    worker % 2 === 0
      ? { url: `${supervisor.url}/mcp/everything`, tool: 'echo' }
      : { url: `${supervisor.url}/mcp`, tool: 'everything__echo' };
  const workers = 16;
  const clients: (LeanMcpClient | undefined)[] = new Array(workers).fill(undefined);
  const callsOf = new Array<number>(workers).fill(0);
  let sessionsOpened = 0;
  const samples: number[] = [];
  const sampler = setInterval(() => {
    samples.push(rssMiB(supervisor.pid));
    log(`soak: ${samples.length * (options.sampleEveryMs / 1000)} s, supervisor RSS ${samples.at(-1)} MiB`);
  }, options.sampleEveryMs);
  let outcome: Awaited<ReturnType<typeof runFor>>;
  try {
    outcome = await runFor(workers, options.soakMs, async (worker) => {
      let client = clients[worker];
      if (!client || callsOf[worker]! >= options.churnEvery) {
        await client?.close();
        const endpoint = endpointOf(worker);
        client = new LeanMcpClient({ url: endpoint.url, maxSockets: 1 });
        clients[worker] = client;
        callsOf[worker] = 0;
        sessionsOpened++;
        await client.connect(AbortSignal.timeout(30_000));
      }
      callsOf[worker]!++;
      const result = await client.callTool(endpointOf(worker).tool, ECHO_ARGS);
      return result.kind === 'result';
    });
  } finally {
    clearInterval(sampler);
    await Promise.allSettled(clients.map((client) => client?.close()));
  }
  const first = samples[0] ?? 0;
  const percent = (value: number) => round(((value - first) / first) * 100, 1);
  return {
    durationS: round(outcome.elapsedMs / 1000, 1),
    requests: outcome.requests,
    failures: outcome.failures,
    sessionsOpened,
    requestsPerSecond: Math.round((outcome.requests / outcome.elapsedMs) * 1000),
    samplesMiB: samples,
    firstMiB: first,
    minMiB: Math.min(...samples),
    maxMiB: Math.max(...samples),
    lastMiB: samples.at(-1) ?? 0,
    belowFirstPercent: percent(Math.min(...samples)),
    aboveFirstPercent: percent(Math.max(...samples)),
  };
}

async function abandonSessions(supervisor: MeasuredSupervisor, options: Required<MemoryBenchOptions>) {
  const before = await supervisor.probe(true);
  const beforeMiB = rssMiB(supervisor.pid);
  const pool = new Pool(supervisor.url, { connections: 16, pipelining: 1 });
  const startedAt = performance.now();
  /** The last sessions opened, the last to expire: each is probed once (a probe keeps it alive). */
  const canaries: { endpoint: string; id: string }[] = [];
  try {
    let opened = 0;
    await Promise.all(
      Array.from({ length: 16 }, async (_, worker) => {
        while (opened < options.abandonedSessions) {
          opened++;
          const endpoint = worker % 2 === 0 ? '/mcp/everything' : '/mcp';
          const client = new LeanMcpClient({ url: `${supervisor.url}${endpoint}`, maxSockets: 16, pool });
          await client.connect(AbortSignal.timeout(30_000));
          canaries.push({ endpoint, id: client.sessionId as string });
          if (canaries.length > 8) canaries.shift();
        }
      }),
    );
  } finally {
    await pool.close();
  }
  const openMs = Math.round(performance.now() - startedAt);
  const withSessionsMiB = rssMiB(supervisor.pid);
  const withSessions = await supervisor.probe(false);
  // Idle for sessionIdleMs, then gone at the next sweep (every sessionIdleMs): 2 × sessionIdleMs.
  const expiryStartedAt = performance.now();
  let isExpired = false;
  for (const canary of canaries.reverse()) {
    await new Promise((resolve) => setTimeout(resolve, 2 * options.sessionIdleMs + 1_000));
    const response = await fetch(`${supervisor.url}${canary.endpoint}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        'mcp-session-id': canary.id,
        'mcp-protocol-version': '2025-06-18',
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' }),
      signal: AbortSignal.timeout(5_000),
    });
    await response.arrayBuffer();
    if (response.status === 404) {
      isExpired = true;
      break;
    }
  }
  const expiredAfterMs = Math.round(performance.now() - expiryStartedAt);
  const after = await supervisor.probe(true);
  return {
    count: options.abandonedSessions,
    openMs,
    beforeMiB,
    withSessionsMiB,
    heapUsedWithSessionsMiB: mib(withSessions.memoryUsage.heapUsed),
    afterExpiryMiB: rssMiB(supervisor.pid),
    heapUsedBeforeMiB: mib(before.memoryUsage.heapUsed),
    heapUsedAfterExpiryMiB: mib(after.memoryUsage.heapUsed),
    isExpired,
    expiredAfterMs,
  };
}

async function withSupervisor<T>(
  servers: number,
  sessionIdleMs: number,
  use: (supervisor: MeasuredSupervisor) => Promise<T>,
  leftovers: string[],
): Promise<T> {
  const runId = `mem-${process.pid}-${Date.now().toString(36)}`;
  const home = await mkdtemp(path.join(os.tmpdir(), 'mcps-mem-'));
  let supervisor: MeasuredSupervisor | undefined;
  try {
    supervisor = await MeasuredSupervisor.start({
      home,
      marker: runId,
      config: benchConfig(home, runId, servers, sessionIdleMs),
      servers,
    });
    return await use(supervisor);
  } finally {
    await supervisor?.process.stop().catch(() => undefined);
    leftovers.push(...killLeftovers(runId, home));
    await rm(home, { recursive: true, force: true, maxRetries: 3 }).catch(() => undefined);
  }
}

/**
 * Runs the whole memory bench (see the file's comment) and resolves with the figures and each
 * target met or not; stops everything it started, also on failure.
 */
export async function runMemoryBench(input: MemoryBenchOptions = {}): Promise<MemoryBenchResults> {
  const options: Required<MemoryBenchOptions> = {
    servers: 10,
    idleMs: 5_000,
    rounds: 3,
    requestsC1: 3_000,
    requestsC16: 10_000,
    warmupRequests: 20_000,
    soakMs: 180_000,
    sampleEveryMs: 5_000,
    churnEvery: 2_000,
    abandonedSessions: 5_000,
    sessionIdleMs: 10_000,
    skipPerServer: false,
    log: (line: string) => process.stderr.write(`${line}\n`),
    ...input,
  };
  const { log } = options;
  const leftovers: string[] = [];
  let with1: number | undefined;
  if (!options.skipPerServer) {
    log('memory bench: a supervisor with 1 server');
    with1 = await withSupervisor(
      1,
      options.sessionIdleMs,
      async (s) => (await idleRss(s, options.idleMs)).supervisor.rssMiB,
      leftovers,
    );
  }
  log(`memory bench: a supervisor with ${options.servers} servers`);
  return withSupervisor(
    options.servers,
    options.sessionIdleMs,
    async (supervisor) => {
      const idle = await idleRss(supervisor, options.idleMs);
      const idleHeap = heapFigures(await supervisor.probe(false));
      log(
        `idle: supervisor ${idle.supervisor.rssMiB} MiB (malloc heap ${idle.supervisor.mallocHeapMiB}), PM2 ${idle.pm2DaemonRssMiB} MiB; timed rounds…`,
      );
      const rounds = await timedRounds(supervisor, options);
      const roundsHeap = heapFigures(await supervisor.probe(false));
      log(
        `after the rounds: ${rounds.afterRounds.rssMiB} MiB (malloc heap ${rounds.afterRounds.mallocHeapMiB}) ${JSON.stringify(roundsHeap)}; soak ${options.soakMs / 1000} s…`,
      );
      const soakResults = await soak(supervisor, options, log);
      log(`after the soak: ${JSON.stringify(heapFigures(await supervisor.probe(false)))}`);
      log(`soak done; ${options.abandonedSessions} abandoned sessions…`);
      const abandoned = await abandonSessions(supervisor, options);
      const idleMiB = idle.supervisor.rssMiB;
      const perServerOverheadMiB = round(idle.othersRssMiB / options.servers, 1);
      const targets: MemoryTarget[] = [
        {
          name: `supervisor idle RSS, ${options.servers} servers`,
          value: idleMiB,
          unit: 'MiB',
          goal: '≤ 100',
          isMet: idleMiB <= 100,
        },
        {
          name: 'management processes between PM2 and a server, per server',
          value: perServerOverheadMiB,
          unit: 'MiB',
          goal: '≤ 2',
          isMet: perServerOverheadMiB <= 2,
        },
        {
          name: 'supervisor RSS after the timed gateway rounds / idle',
          value: round(rounds.afterRounds.rssMiB / idleMiB, 2),
          unit: '×',
          goal: '≤ 1.3',
          isMet: rounds.afterRounds.rssMiB <= 1.3 * idleMiB,
        },
        {
          name: `supervisor RSS over a ${options.soakMs / 1000} s c16 soak, every sample against the first`,
          value: Math.max(Math.abs(soakResults.belowFirstPercent), soakResults.aboveFirstPercent),
          unit: '%',
          goal: '≤ 10',
          isMet: soakResults.belowFirstPercent >= -10 && soakResults.aboveFirstPercent <= 10,
        },
        {
          name: `supervisor RSS after ${options.abandonedSessions} abandoned sessions expired / before them`,
          value: round(abandoned.afterExpiryMiB / abandoned.beforeMiB, 2),
          unit: '×',
          goal: '≤ 1.1',
          isMet: abandoned.isExpired && abandoned.afterExpiryMiB <= 1.1 * abandoned.beforeMiB,
        },
      ];
      return {
        servers: options.servers,
        idle: {
          supervisor: idle.supervisor,
          heap: idleHeap,
          pm2DaemonRssMiB: idle.pm2DaemonRssMiB,
          serversRssMiB: idle.serversRssMiB,
          perServerOverheadMiB,
          supervisorPerServerMiB:
            with1 === undefined ? undefined : round((idleMiB - with1) / (options.servers - 1), 2),
          supervisorWith1ServerMiB: with1,
        },
        rounds: { ...rounds, heap: roundsHeap },
        soak: soakResults,
        abandonedSessions: abandoned,
        targets,
        method: {
          supervisor: `mcp-supervisor start with the V8 flags and malloc settings start -d gives it, server-everything and ${options.servers - 1} server-memory, auth none, sessionIdleMs ${options.sessionIdleMs}, plus --expose-gc and the bench's memory probe`,
          rss: 'VmRSS of /proc/<pid>/status; anon = RssAnon, file = RssFile (the node binary and libraries, shared with other Node processes); mallocHeap = Rss of the [heap] mapping in /proc/<pid>/smaps (glibc malloc main arena, part of anon)',
          idle: `${options.idleMs / 1000} s after every server is online, no forced GC`,
          rounds: `${options.warmupRequests} warm-up calls per case, then ${options.rounds} rounds of ${options.requestsC1} calls at c1 and ${options.requestsC16} at c16 on /mcp/everything and /mcp (echo), LeanMcpClient`,
          soak: `16 workers (8 per endpoint), each a session of its own renewed every ${options.churnEvery} calls (DELETE, new initialize), ${options.soakMs / 1000} s, RSS every ${options.sampleEveryMs / 1000} s, no forced GC`,
          sessions: `${options.abandonedSessions} initialize + initialized, 16 at a time over 16 sockets, never deleted; before and after: a forced full GC in the supervisor (the probe), then VmRSS`,
        },
        leftovers,
      };
    },
    leftovers,
  );
}

if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === import.meta.filename) {
  const results = await runMemoryBench();
  console.table(results.targets);
  console.log(JSON.stringify(results, null, 2));
}
