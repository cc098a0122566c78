import { type ChildProcess, spawn } from 'node:child_process';
import { CLI_FILE } from './paths.ts';

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * The environment a CLI child gets: the test's own, minus anything that would point it at another
 * home or PM2 daemon, plus `env`.
 */
export function cliEnv(env: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const base: NodeJS.ProcessEnv = { ...process.env, LOG_FORMAT: 'json' };
  for (const name of ['MCP_SUPERVISOR_HOME', 'PM2_HOME', 'MCP_SUPERVISOR_PORT', 'LOG_LEVEL'])
    delete base[name];
  return { ...base, ...env };
}

/** A running CLI child with its output captured. */
export interface CliProcess {
  readonly child: ChildProcess;
  stdout(): string;
  stderr(): string;
  readonly exited: Promise<CliResult>;
}

/** Spawns `mcp-supervisor --home HOME …args` with Node (the one running the tests). */
export function spawnCli(args: string[], options: { home: string; env?: NodeJS.ProcessEnv }): CliProcess {
  const child = spawn(process.execPath, [CLI_FILE, '--home', options.home, ...args], {
    env: cliEnv(options.env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (text: string) => {
    stdout += text;
  });
  child.stderr!.setEncoding('utf8').on('data', (text: string) => {
    stderr += text;
  });
  const exited = new Promise<CliResult>((resolve) => {
    child.once('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  return { child, stdout: () => stdout, stderr: () => stderr, exited };
}

/** Runs one CLI command to its end; kills it (and fails) after `timeoutMs`. */
export async function runCli(
  args: string[],
  options: { home: string; env?: NodeJS.ProcessEnv; timeoutMs?: number },
): Promise<CliResult> {
  const run = spawnCli(args, options);
  const timeoutMs = options.timeoutMs ?? 60_000;
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      run.child.kill('SIGKILL');
      reject(
        new Error(
          `mcp-supervisor ${args.join(' ')} did not finish within ${timeoutMs} ms; stderr: ${run.stderr()}`,
        ),
      );
    }, timeoutMs);
  });
  try {
    return await Promise.race([run.exited, timedOut]);
  } finally {
    clearTimeout(timer);
  }
}
