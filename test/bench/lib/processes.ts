import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, waitFor } from '../../helpers/paths.ts';

/** The repository root. */
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const CLI_FILE = path.join(ROOT, 'supervisor/bin/mcp-supervisor.js');
export const SERVER_EVERYTHING = path.join(
  ROOT,
  'node_modules/@modelcontextprotocol/server-everything/dist/index.js',
);
export const SUPERGATEWAY = path.join(ROOT, 'node_modules/supergateway/dist/index.js');

/**
 * Set in the environment of every process the bench starts; children inherit it, so whatever is
 * left running after a failure can be found and killed by it, and only it.
 */
export const BENCH_MARKER_VAR = 'MCPS_BENCH_RUN';

/** Clock ticks per second of /proc/<pid>/stat times (USER_HZ, 100 on every Linux we run on). */
const CLOCK_TICKS_PER_SECOND = 100;

function readText(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

/** User + system CPU time of a process so far, in milliseconds; undefined when it is gone. */
export function cpuTimeMs(pid: number): number | undefined {
  const stat = readText(`/proc/${pid}/stat`);
  if (!stat) return undefined;
  // The command name may hold spaces: fields start after the last ')'; utime, stime are 14, 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  return (ticks * 1000) / CLOCK_TICKS_PER_SECOND;
}

/** Resident set size of a process in bytes (VmRSS); undefined when it is gone. */
export function rssBytes(pid: number): number | undefined {
  const match = /^VmRSS:\s+(\d+) kB/m.exec(readText(`/proc/${pid}/status`) ?? '');
  return match ? Number(match[1]) * 1024 : undefined;
}

/** Samples a process's RSS every `intervalMs` until stopped; `stop()` returns the peak in bytes. */
export function sampleRss(pid: number, intervalMs = 100): { stop(): number } {
  let peakBytes = rssBytes(pid) ?? 0;
  const timer = setInterval(() => {
    peakBytes = Math.max(peakBytes, rssBytes(pid) ?? 0);
  }, intervalMs);
  timer.unref();
  return {
    stop() {
      clearInterval(timer);
      peakBytes = Math.max(peakBytes, rssBytes(pid) ?? 0);
      return peakBytes;
    },
  };
}

/** CPU time (user + system) a process uses between this call and `stop()`, in milliseconds. */
export function measureCpu(pid: number): { stop(): number | undefined } {
  const before = cpuTimeMs(pid);
  return {
    stop() {
      const after = cpuTimeMs(pid);
      return before === undefined || after === undefined ? undefined : after - before;
    },
  };
}

/**
 * Pids of live processes whose environment has `BENCH_MARKER_VAR` starting with `marker` (never
 * this process): `runId` finds everything a run started, `${runId}-supervisor` one tree of it.
 */
export function markedProcesses(marker: string): number[] {
  const needle = `${BENCH_MARKER_VAR}=${marker}`;
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    const environ = readText(`/proc/${entry}/environ`);
    const stat = readText(`/proc/${entry}/stat`) ?? '';
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    if (environ?.includes(needle) && state !== 'Z') pids.push(Number(entry));
  }
  return pids;
}

/**
 * Pids of live processes whose command line mentions `text` (never this process). The bridges
 * PM2 runs get a clean environment, so they are found by the home path in their arguments.
 */
export function processesMentioning(text: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    if (commandLine(Number(entry)).includes(text)) pids.push(Number(entry));
  }
  return pids;
}

/** The parent pid of a process; undefined when it is gone. */
export function parentPid(pid: number): number | undefined {
  const stat = readText(`/proc/${pid}/stat`);
  if (!stat) return undefined;
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
}

/**
 * SIGKILLs every process the bench run started that is still alive (marked with `runId`, or
 * mentioning `home` in its arguments); returns what it killed as `pid command` lines.
 */
export function killLeftovers(runId: string, home: string): string[] {
  const pids = [...new Set([...markedProcesses(runId), ...processesMentioning(home)])];
  const killed: string[] = [];
  for (const pid of pids) {
    const command = commandLine(pid);
    try {
      process.kill(pid, 'SIGKILL');
      killed.push(`${pid} ${command}`);
    } catch {
      // Already gone.
    }
  }
  return killed;
}

export { freePort, waitFor };

function hasExited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

function exited(child: ChildProcess, timeoutMs: number): Promise<boolean> {
  if (hasExited(child)) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), timeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

/** Stops a child in escalating steps: SIGTERM, then SIGKILL after `graceMs`. */
export async function stopChild(child: ChildProcess, graceMs = 5_000): Promise<void> {
  if (hasExited(child)) return;
  child.kill('SIGTERM');
  if (!(await exited(child, graceMs))) {
    child.kill('SIGKILL');
    await exited(child, 2_000);
  }
}

export function spawnNode(args: string[], marker: string, env: NodeJS.ProcessEnv = {}): ChildProcess {
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: { ...process.env, ...env, [BENCH_MARKER_VAR]: marker },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  // Keep the tail of stderr for error messages; never let a full pipe block the child.
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString('utf8')).slice(-4_000);
  });
  Object.defineProperty(child, 'stderrTail', { get: () => stderr });
  return child;
}

/** The command line of a process, space-joined; empty when it is gone. */
export function commandLine(pid: number): string {
  return (readText(`/proc/${pid}/cmdline`) ?? '').split('\0').join(' ').trim();
}

export function stderrTail(child: ChildProcess): string {
  return (child as ChildProcess & { stderrTail?: string }).stderrTail ?? '';
}

export type SupervisorProcess = {
  pid: number;
  port: number;
  child: ChildProcess;
  /** `mcp-supervisor stop --home`, then SIGTERM / SIGKILL if it lingers. */
  stop(): Promise<void>;
};

/**
 * Starts `mcp-supervisor start --home HOME` as a real process on a free port, with `config`
 * written to HOME/config.json, and resolves once its state file names it.
 */
export async function startSupervisor(options: {
  home: string;
  config: object;
  /** Set as `BENCH_MARKER_VAR` in its environment (its PM2 daemon and servers inherit it). */
  marker: string;
  /** Node options for the supervisor process only (e.g. `--cpu-prof`). */
  execArgv?: string[];
  /** The CLI entry to run (another checkout's, for A/B rounds); default this one's. */
  cliFile?: string;
  timeoutMs?: number;
}): Promise<SupervisorProcess> {
  const cliFile = options.cliFile ?? CLI_FILE;
  await writeFile(path.join(options.home, 'config.json'), JSON.stringify(options.config, null, 2));
  const child = spawnNode(
    [...(options.execArgv ?? []), cliFile, 'start', '--home', options.home],
    options.marker,
    {
      MCP_SUPERVISOR_PORT: '0',
    },
  );
  const stop = async () => {
    if (hasExited(child)) return;
    const cli = spawnNode([cliFile, 'stop', '--home', options.home], options.marker);
    if (!(await exited(cli, 20_000))) cli.kill('SIGKILL');
    if (!(await exited(child, 10_000))) await stopChild(child);
  };
  try {
    const state = await waitFor(
      () => {
        if (hasExited(child)) {
          throw new Error(`the supervisor exited while starting: ${stderrTail(child).slice(-1_000)}`);
        }
        const text = readText(path.join(options.home, 'supervisor.json'));
        const found = text ? (JSON.parse(text) as { pid: number; port: number }) : undefined;
        // The state file names the pid from the start (phase "starting"), the port once it listens.
        return found !== undefined && found.pid === child.pid && found.port > 0 ? found : undefined;
      },
      { timeoutMs: options.timeoutMs ?? 60_000, what: 'the supervisor state file' },
    );
    return { pid: state.pid, port: state.port, child, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

export type SupergatewayProcess = { pid: number; port: number; child: ChildProcess; stop(): Promise<void> };

/** Starts supergateway (stdio → stateful Streamable HTTP at /mcp) and waits for its health path. */
export async function startSupergateway(options: {
  stdioCommand: string;
  marker: string;
  timeoutMs?: number;
}): Promise<SupergatewayProcess> {
  const port = await freePort();
  const child = spawnNode(
    [
      SUPERGATEWAY,
      '--stdio',
      options.stdioCommand,
      '--outputTransport',
      'streamableHttp',
      '--stateful',
      '--port',
      String(port),
      '--logLevel',
      'none',
      '--healthEndpoint',
      '/healthz',
    ],
    options.marker,
  );
  try {
    await waitFor(
      async () => {
        if (hasExited(child)) throw new Error(`supergateway exited: ${stderrTail(child).slice(-1_000)}`);
        const response = await fetch(`http://127.0.0.1:${port}/healthz`, {
          signal: AbortSignal.timeout(1_000),
        });
        return response.ok ? true : undefined;
      },
      { timeoutMs: options.timeoutMs ?? 30_000, what: 'supergateway to listen' },
    );
  } catch (error) {
    await stopChild(child);
    throw error;
  }
  return { pid: child.pid ?? 0, port, child, stop: () => stopChild(child) };
}
