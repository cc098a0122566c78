/**
 * Figures for the supervisor core, with real processes:
 * - start → all default servers answering (`status` online with their tool lists read, which
 *   needs initialize + tools/list through each upstream client);
 * - `stop` → the last process under the home gone (process-table scan);
 * - start of 10 servers → all online, and their `stop` → the last process gone;
 * - RSS at idle with 10 servers: supervisor, PM2 daemon, the servers, and whatever else runs per
 *   server between PM2 and the server (the bridges of earlier versions; nothing now).
 *
 * Run: `npm exec -- node test/bench/core-bench.ts`. Bounded (each wait has a deadline) and cleans
 * up its temp homes whatever happens.
 */
import { readFileSync } from 'node:fs';
import { runCli } from '../helpers/cli.ts';
import { sleep } from '../helpers/paths.ts';
import { processesUnder, waitForNoProcessesUnder } from '../helpers/process-table.ts';
import { testServers } from '../helpers/servers.ts';
import { startSupervisorProcess } from '../helpers/supervisor-process.ts';
import { tempHome } from '../helpers/temp-home.ts';

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
  startWith10ServersToAllOnlineMs: number;
  stopWith10ServersToLastProcessGoneMs: number;
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
    const startedAt = performance.now();
    const supervisor = await startSupervisorProcess({
      home: ten.path,
      config: { mcpServers },
      timeoutMs: 180_000,
    });
    const startWith10ServersToAllOnlineMs = Math.round(performance.now() - startedAt);
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
      stopWith10ServersToLastProcessGoneMs: Math.round(stop2.goneMs),
    };
  } finally {
    await ten.cleanup();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const results = await runCoreBench();
  process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
}
