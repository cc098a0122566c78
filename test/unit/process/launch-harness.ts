import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { signalGroup } from '../../../supervisor/process/process-group.ts';
import {
  type LaunchSpec,
  launchCommand,
  makeFifos,
  writeEnvFile,
} from '../../../supervisor/process/server-launch.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
export const ROOT = path.resolve(here, '../../..');
export const FIXTURES = path.join(here, 'fixtures');
export const EVERYTHING_SERVER = path.join(
  ROOT,
  'node_modules/@modelcontextprotocol/server-everything/dist/index.js',
);

export interface Launched {
  process: ChildProcess;
  /** Everything written to stderr (and, for an HTTP server, stdout) so far: what PM2 logs. */
  stderr(): string;
  stdout(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  fifos: { stdinPath: string; stdoutPath: string } | undefined;
}

/**
 * Runs servers through the launcher exactly as PM2's fork mode spawns an app (detached, stdio
 * pipe/pipe/pipe + an IPC channel, PM2's own variables in the environment), without PM2, in a
 * temp dir; cleans up after them: every process group started, and every pid given to `trackPid`.
 */
export class LaunchHarness {
  dir = '';
  readonly #launched: Launched[] = [];
  readonly #pids: number[] = [];

  async setup(): Promise<void> {
    this.dir = await mkdtemp(path.join(os.tmpdir(), 'mcps-ln-'));
  }

  async launch(
    options: Pick<LaunchSpec, 'command' | 'args'> & {
      env?: Record<string, string>;
      cwd?: string;
      isHttp?: boolean;
    },
  ): Promise<Launched> {
    const id = this.#launched.length;
    const envFile = path.join(this.dir, `${id}.env`);
    await writeEnvFile(envFile, { PATH: process.env.PATH ?? '', HOME: os.homedir(), ...options.env });
    const fifos = options.isHttp
      ? undefined
      : { stdinPath: path.join(this.dir, `${id}.in`), stdoutPath: path.join(this.dir, `${id}.out`) };
    if (fifos) await makeFifos([fifos.stdinPath, fifos.stdoutPath]);
    const { script, args } = launchCommand({
      name: 'test',
      command: options.command,
      args: options.args,
      cwd: options.cwd ?? this.dir,
      envFile,
      fifos,
    });
    const child = spawn(script, args, {
      cwd: this.dir,
      detached: true,
      env: { PATH: process.env.PATH ?? '', pm_id: '0', name: 'test', MCPS_TEST_SECRET: 'pm2-side' },
      stdio: ['pipe', 'pipe', 'pipe', 'ipc'],
    });
    let stderr = '';
    let stdout = '';
    child.stderr!.setEncoding('utf8').on('data', (text: string) => {
      stderr += text;
    });
    child.stdout!.setEncoding('utf8').on('data', (text: string) => {
      stdout += text;
    });
    child.on('error', () => {});
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
      child.once('exit', (code, signal) => resolve({ code, signal }));
    });
    const launched: Launched = { process: child, stderr: () => stderr, stdout: () => stdout, exited, fifos };
    this.#launched.push(launched);
    return launched;
  }

  trackPid(pid: number): void {
    this.#pids.push(pid);
  }

  async cleanup(): Promise<void> {
    for (const launched of this.#launched.splice(0)) {
      if (launched.process.pid) signalGroup(launched.process.pid, 'SIGKILL');
      await Promise.race([launched.exited, delay(5_000)]);
    }
    for (const pid of this.#pids.splice(0)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Already gone, which is what the tests expect.
      }
    }
    if (this.dir) await rm(this.dir, { recursive: true, force: true });
  }
}

/** Polls until `check` returns a value other than undefined, or fails after `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 10_000,
) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await delay(25);
  }
}

export async function readPidFile(file: string): Promise<number> {
  await waitFor(`a pid in ${file}`, async () =>
    (await readFile(file, 'utf8').catch(() => '')) ? true : undefined,
  );
  return Number(await readFile(file, 'utf8'));
}

/**
 * Whether a process exists and is not a zombie. A killed orphan is reaped by PID 1, which in some
 * containers never happens, so a zombie counts as gone.
 */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return process.platform !== 'linux';
  }
}
