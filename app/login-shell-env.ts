/**
 * A GUI launch (Finder, the Dock, a desktop launcher) gets the session's minimal PATH, not the one
 * the user's shell profile builds (Homebrew, nvm, ~/.local/bin…), so `npx` and `uvx` servers would
 * not be found. As Electron Fiddle does, the app asks the user's login shell once, before it starts
 * the supervisor, and keeps only PATH and the locale, proxy and CA variables: the rest of a shell
 * profile (secrets, tokens) has no business in the supervisor's environment.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { errorMessage } from '../supervisor/shared/errors.ts';
import type { AppLog } from './app-log.ts';

/** Variables taken from the login shell (exact names; `LC_*` by prefix). */
export const LOGIN_SHELL_VARIABLES: readonly string[] = [
  'PATH',
  'LANG',
  'LANGUAGE',
  'HTTP_PROXY',
  'HTTPS_PROXY',
  'NO_PROXY',
  'ALL_PROXY',
  'http_proxy',
  'https_proxy',
  'no_proxy',
  'all_proxy',
  'NODE_EXTRA_CA_CERTS',
  'SSL_CERT_FILE',
  'SSL_CERT_DIR',
  'REQUESTS_CA_BUNDLE',
  'CURL_CA_BUNDLE',
];

export function isLoginShellVariable(name: string): boolean {
  return name.startsWith('LC_') || LOGIN_SHELL_VARIABLES.includes(name);
}

/**
 * The environment printed by `env` between two markers, from a shell's whole output (profiles may
 * print banners before and after). A line that does not start a `NAME=` assignment continues the
 * previous value (a multi-line value). Returns undefined when the markers are missing.
 */
export function parseLoginShellOutput(output: string, marker: string): Record<string, string> | undefined {
  const start = output.indexOf(marker);
  const end = output.indexOf(marker, start + marker.length);
  if (start < 0 || end < 0) return undefined;
  const env: Record<string, string> = {};
  let last: string | undefined;
  for (const line of output.slice(start + marker.length, end).split('\n')) {
    const match = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (match) {
      last = match[1] as string;
      env[last] = match[2] as string;
    } else if (last !== undefined && line !== '') {
      env[last] += `\n${line}`;
    }
  }
  return env;
}

/** Only the variables the supervisor should get from the login shell. */
export function pickLoginShellVariables(env: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter(([name]) => isLoginShellVariable(name)));
}

/**
 * `base` with the login shell's variables: the shell's PATH first (it is the one the user set
 * up), then any entry of the current PATH it lacks; the other variables from the shell win.
 */
export function mergeLoginShellEnv(
  base: NodeJS.ProcessEnv,
  login: Record<string, string>,
  delimiter = process.platform === 'win32' ? ';' : ':',
): NodeJS.ProcessEnv {
  const merged: NodeJS.ProcessEnv = { ...base, ...login };
  if (login.PATH !== undefined) {
    const entries = login.PATH.split(delimiter).filter(Boolean);
    for (const entry of (base.PATH ?? '').split(delimiter)) {
      if (entry && !entries.includes(entry)) entries.push(entry);
    }
    merged.PATH = entries.join(delimiter);
  }
  return merged;
}

export interface LoginShellOptions {
  /** The user's shell; default `$SHELL`, else `/bin/sh`. */
  shell?: string;
  /** Default 5 s: a slow profile must not hold the app's start for long. */
  timeoutMs?: number;
  signal?: AbortSignal;
  env?: NodeJS.ProcessEnv;
}

/**
 * Runs `$SHELL -ilc` (interactive login, so both profile and rc files run) printing the
 * environment between markers, and returns the variables to keep. Rejects with a message that
 * names the shell when it fails, times out or prints no markers; callers keep their own PATH then.
 */
export async function readLoginShellEnv(options: LoginShellOptions = {}): Promise<Record<string, string>> {
  const env = options.env ?? process.env;
  const shell = options.shell ?? env.SHELL ?? '/bin/sh';
  const marker = `__MCPS_ENV_${randomBytes(8).toString('hex')}__`;
  const script = `printf '%s' '${marker}'; /usr/bin/env; printf '%s' '${marker}'`;
  const output = await runUntilMarker(shell, ['-ilc', script], marker, {
    timeoutMs: options.timeoutMs ?? 5_000,
    signal: options.signal,
    // Oh My Zsh's update prompt would wait for an answer that never comes.
    env: { ...env, DISABLE_AUTO_UPDATE: 'true' },
  });
  const parsed = parseLoginShellOutput(output, marker);
  if (!parsed) throw new Error(`${shell} -ilc printed no environment (its profile may exit early)`);
  return pickLoginShellVariables(parsed);
}

/** Bytes a shell may print before the app stops reading (a profile that cats a big file). */
const MAX_OUTPUT_BYTES = 4 * 1024 * 1024;

/**
 * Runs `command` in its own process group and resolves with its output as soon as the second
 * marker is printed (or at its exit). On timeout or abort the whole group is killed: a profile's
 * `sleep` or background job would otherwise hold the pipe open long after the shell is gone.
 */
function runUntilMarker(
  command: string,
  args: string[],
  marker: string,
  options: { timeoutMs: number; signal: AbortSignal | undefined; env: NodeJS.ProcessEnv },
): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      env: options.env,
      stdio: ['ignore', 'pipe', 'ignore'],
      detached: true,
    });
    let output = '';
    let isSettled = false;
    const settle = (error: Error | undefined) => {
      if (isSettled) return;
      isSettled = true;
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      child.stdout.destroy();
      child.unref();
      if (error) {
        killGroup(child.pid);
        reject(error);
      } else {
        resolve(output);
      }
    };
    const fail = (why: string) =>
      settle(new Error(`cannot read the login shell's environment from ${command}: ${why}`));
    const onAbort = () => fail('aborted');
    const timer = setTimeout(() => fail(`no answer within ${options.timeoutMs} ms`), options.timeoutMs);
    options.signal?.addEventListener('abort', onAbort, { once: true });
    child.stdout.setEncoding('utf8').on('data', (text: string) => {
      output += text;
      if (output.length > MAX_OUTPUT_BYTES) fail(`more than ${MAX_OUTPUT_BYTES} bytes of output`);
      const start = output.indexOf(marker);
      if (start >= 0 && output.indexOf(marker, start + marker.length) >= 0) settle(undefined);
    });
    child.once('error', (error) => fail(errorMessage(error)));
    child.once('close', () => settle(undefined));
  });
}

function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // Already gone.
  }
}

/**
 * The environment the app starts the supervisor with: this process's, with the login shell's PATH
 * and kept variables merged in (not on Windows, whose GUI apps get the user's PATH already).
 * Started at once, before the app is ready, and never rejects: on failure it warns and the
 * supervisor gets this process's own environment.
 */
export function setupLoginShellEnv(options: {
  platform?: NodeJS.Platform;
  base?: NodeJS.ProcessEnv;
  log: AppLog;
  read?: (options: LoginShellOptions) => Promise<Record<string, string>>;
}): Promise<NodeJS.ProcessEnv> {
  const base = options.base ?? process.env;
  if ((options.platform ?? process.platform) === 'win32') return Promise.resolve({ ...base });
  return (options.read ?? readLoginShellEnv)({ env: base }).then(
    (login) => mergeLoginShellEnv(base, login),
    (error: unknown) => {
      options.log.warn(`${errorMessage(error)}; servers get the app's own PATH`);
      return { ...base };
    },
  );
}
