/**
 * Figures for the supervisor core, with real processes:
 * - start → all default servers answering (`status` online with their tool lists read, which
 *   needs initialize + tools/list through each upstream client);
 * - `stop` → the last process under the home gone (process-table scan);
 * - start of 10 servers → all online, and their `stop` → the last process gone; beside it the
 *   floor: the same 10 server processes spawned directly, each answering `initialize` (what the
 *   servers' own start costs on this machine at this moment; the supervisor's share is the rest);
 *   the CPU ms each process used during that start (on 2 cores the start is CPU-bound, so the CPU
 *   of the supervisor, PM2 and the CLI is time the servers wait) and the `stop` CLI's own time;
 * - RSS at idle with 10 servers: supervisor, PM2 daemon, the servers, and whatever else runs per
 *   server between PM2 and the server (the bridges of earlier versions; nothing now).
 *
 * The 10 servers are started the way a user starts them, `mcp-supervisor start -d` (which returns
 * once every server is online): so the supervisor runs with the V8 flags and malloc settings `-d`
 * gives it (shared/v8-flags.ts), as in the memory bench. A foreground `start` runs without them
 * (~45 MiB more RSS idle: a young generation grown to its default size and 8 malloc arenas per
 * core); case 1 still measures the foreground start of the default config.
 *
 * Run: `npm exec -- node test/bench/core-bench.ts`. Bounded (each wait has a deadline) and cleans
 * up its temp homes whatever happens.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import path from 'node:path';
import { readState } from '../../supervisor/client/state-file.ts';
import { resolveHome } from '../../supervisor/shared/home.ts';
import { runCli } from '../helpers/cli.ts';
import { SERVER_MEMORY, sleep } from '../helpers/paths.ts';
import { processesUnder, waitForNoProcessesUnder } from '../helpers/process-table.ts';
import { testServers } from '../helpers/servers.ts';
import { startSupervisorProcess } from '../helpers/supervisor-process.ts';
import { tempHome } from '../helpers/temp-home.ts';
import { cpuTimeMs } from './lib/processes.ts';

export interface CoreBenchResults {
  startToAllAnsweringMs: number;
  defaultServers: { name: string; toolCount: number }[];
  stopToLastProcessGoneMs: number;
  stopCliMs: number;
  idleWith10Servers: {
    servers: number;
    supervisorRssMiB: number;
    pm2DaemonRssMiB: number;
    serverTreesRssMiB: number;
    bridgesRssMiB: number;
    serversRssMiB: number;
    /** RSS of the processes that are neither the supervisor, PM2 nor a server, per server. */
    perServerOverheadMiB: number;
    idleSeconds: number;
  };
  /** `start -d` of 10 servers until it returned, every server online. */
  startWith10ServersToAllOnlineMs: number;
  /** The 10 server processes spawned directly until each answered `initialize` (the floor). */
  floor10ServersAnsweringMs: number;
  /** CPU ms (user + system) of the 10 floor servers until each answered. */
  floor10ServersCpuMs: number;
  /**
   * CPU ms (user + system, from /proc) used from `start -d` until it returned: the supervisor (and
   * the children it reaped: mkfifo, tool probes), the PM2 daemon, the `start -d` CLI, the 10
   * servers, and the tool probes still running. On 2 cores a start is CPU-bound: whatever the
   * supervisor, PM2 and the CLI burn delays the servers.
   */
  startWith10ServersCpuMs: {
    supervisor: number;
    supervisorReapedChildren: number;
    pm2Daemon: number;
    startCli: number;
    servers: number;
    probes: number;
  };
  stopWith10ServersToLastProcessGoneMs: number;
  /** `stop` of the 10 servers until the CLI returned (the supervisor's process gone). */
  stopWith10ServersCliMs: number;
  /** 1-minute load average at the start and at the end of the bench. */
  loadAverage: { atStart: number; atEnd: number };
}

function rssBytes(pid: number): number {
  try {
    const match = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

const mib = (bytes: number) => Math.round((bytes / 1024 / 1024) * 10) / 10;

/**
 * Spawns `count` server-memory processes at once, sends each `initialize`, and resolves when the
 * last has answered (then ends them): the servers' own start, without a supervisor.
 */
async function serversAnswering(count: number, dir: string): Promise<{ ms: number; cpuMs: number }> {
  const startedAt = performance.now();
  let cpuMs = 0;
  const initialize = `${JSON.stringify({
    jsonrpc: '2.0',
    id: 1,
    method: 'initialize',
    params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'floor', version: '1' } },
  })}\n`;
  await Promise.all(
    Array.from(
      { length: count },
      (_, i) =>
        new Promise<void>((resolve, reject) => {
          const child = spawn(process.execPath, [SERVER_MEMORY], {
            env: { ...process.env, MEMORY_FILE_PATH: path.join(dir, `floor${i}.jsonl`) },
            stdio: ['pipe', 'pipe', 'ignore'],
          });
          const timer = setTimeout(() => {
            child.kill('SIGKILL');
            reject(new Error('a server-memory process did not answer initialize within 60 s'));
          }, 60_000);
          child.once('error', reject);
          child.stdout.once('data', () => {
            clearTimeout(timer);
            cpuMs += cpuTimeMs(child.pid ?? 0) ?? 0;
            child.stdin.end();
            child.once('exit', () => resolve());
          });
          child.stdin.write(initialize);
        }),
    ),
  );
  return { ms: Math.round(performance.now() - startedAt), cpuMs: Math.round(cpuMs) };
}

/** CPU ms (user + system) of this process's children that have been waited for, from /proc. */
function reapedChildrenCpuMs(pid: number | 'self' = 'self'): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
  // cutime and cstime are fields 16 and 17; the fields after the command name start at 3.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[13]) + Number(fields[14])) * 10;
}

async function stopAndTime(home: string): Promise<{ cliMs: number; goneMs: number }> {
  const started = performance.now();
  const result = await runCli(['stop'], { home, timeoutMs: 60_000 });
  const cliMs = performance.now() - started;
  if (result.code !== 0) throw new Error(`stop failed (${result.code}): ${result.stderr}`);
  const left = await waitForNoProcessesUnder(home, { timeoutMs: 30_000 });
  if (left.length > 0) throw new Error(`${left.length} process(es) still under ${home} 30 s after stop`);
  return { cliMs, goneMs: performance.now() - started };
}

export async function runCoreBench(options: { idleMs?: number } = {}): Promise<CoreBenchResults> {
  const idleMs = options.idleMs ?? 5_000;
  const loadAtStart = Math.round(loadavg()[0]! * 100) / 100;

  // 1. The built-in default config (no config.json): start → every server answering.
  const defaults = await tempHome();
  let startToAllAnsweringMs: number;
  let defaultServers: CoreBenchResults['defaultServers'];
  let stop1: { cliMs: number; goneMs: number };
  try {
    const started = performance.now();
    const supervisor = await startSupervisorProcess({ home: defaults.path, timeoutMs: 120_000 });
    const body = await supervisor.waitForStatus(
      (b) => b.servers.length > 0 && b.servers.every((s) => s.state === 'online' && s.toolCount > 0),
      'default servers online with tools',
    );
    startToAllAnsweringMs = performance.now() - started;
    defaultServers = body.servers.map((s) => ({ name: s.name, toolCount: s.toolCount }));
    stop1 = await stopAndTime(defaults.path);
  } finally {
    await defaults.cleanup();
  }

  // 2. Ten memory servers at idle.
  const ten = await tempHome();
  try {
    const mcpServers = Object.fromEntries(
      Array.from({ length: 10 }, (_, i) => [`m${i}`, testServers.memory(ten.path, `m${i}`)]),
    );
    const paths = resolveHome({ home: ten.path, env: {} });
    await writeFile(paths.configFile, JSON.stringify({ mcpServers }, null, 2));
    const floor = await serversAnswering(10, ten.path);
    const cliCpuBefore = reapedChildrenCpuMs();
    const startedAt = performance.now();
    const started = await runCli(['start', '-d', '--strict'], {
      home: ten.path,
      env: { MCP_SUPERVISOR_PORT: '0' },
      timeoutMs: 180_000,
    });
    const startWith10ServersToAllOnlineMs = Math.round(performance.now() - startedAt);
    const startCliCpuMs = reapedChildrenCpuMs() - cliCpuBefore;
    if (started.code !== 0) throw new Error(`start -d failed (${started.code}): ${started.stderr}`);
    const state = await readState(paths.stateFile);
    if (!state) throw new Error('start -d returned, but the home has no state file');
    const atOnline = processesUnder(ten.path);
    const cpuOf = (role: string) =>
      Math.round(
        atOnline.filter((p) => p.role === role).reduce((total, p) => total + (cpuTimeMs(p.pid) ?? 0), 0),
      );
    const startWith10ServersCpuMs = {
      supervisor: Math.round(cpuTimeMs(state.pid) ?? 0),
      supervisorReapedChildren: reapedChildrenCpuMs(state.pid),
      pm2Daemon: cpuOf('pm2'),
      startCli: startCliCpuMs,
      servers: cpuOf('server'),
      probes: cpuOf('probe'),
    };
    const supervisor = { pid: state.pid };
    await sleep(idleMs);
    const processes = processesUnder(ten.path);
    const sum = (role: string) =>
      processes.filter((p) => p.role === role).reduce((total, p) => total + rssBytes(p.pid), 0);
    const supervisorRss = rssBytes(supervisor.pid);
    const bridges = sum('bridge');
    const servers = sum('server');
    const others = processes
      .filter((p) => p.role !== 'server' && p.role !== 'pm2' && p.role !== 'supervisor')
      .reduce((total, p) => total + rssBytes(p.pid), 0);
    const idleWith10Servers = {
      servers: processes.filter((p) => p.role === 'server').length,
      supervisorRssMiB: mib(supervisorRss),
      pm2DaemonRssMiB: mib(sum('pm2')),
      serverTreesRssMiB: mib(others + servers),
      bridgesRssMiB: mib(bridges),
      serversRssMiB: mib(servers),
      perServerOverheadMiB: mib(others / 10),
      idleSeconds: idleMs / 1000,
    };
    const stop2 = await stopAndTime(ten.path);
    return {
      startToAllAnsweringMs: Math.round(startToAllAnsweringMs),
      defaultServers,
      stopToLastProcessGoneMs: Math.round(stop1.goneMs),
      stopCliMs: Math.round(stop1.cliMs),
      idleWith10Servers,
      startWith10ServersToAllOnlineMs,
      floor10ServersAnsweringMs: floor.ms,
      floor10ServersCpuMs: floor.cpuMs,
      startWith10ServersCpuMs,
      stopWith10ServersToLastProcessGoneMs: Math.round(stop2.goneMs),
      stopWith10ServersCliMs: Math.round(stop2.cliMs),
      loadAverage: { atStart: loadAtStart, atEnd: Math.round(loadavg()[0]! * 100) / 100 },
    };
  } finally {
    await ten.cleanup();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const results = await runCoreBench();
  process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
}
