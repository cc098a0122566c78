/**
 * How PM2 runs a server with no process of ours in between. PM2 starts `env -i /bin/sh -c SCRIPT …`
 * and both `exec`: the process PM2 watches — its pid, exit code, CPU and memory — is the server
 * itself. On the way the shell
 *
 * - takes the server's environment from a file (mode 0600 in the 0700 run dir) and nothing else:
 *   `env -i` drops PM2's variables, and PM2 never holds the server's secrets (its process list,
 *   its bus and its dump file would show them);
 * - changes to the server's cwd, and says clearly when it or the command is missing (exit 1, 127);
 * - for a stdio server, points stdout and stdin at the FIFO pair of this start (stdout first: the
 *   supervisor already reads it; then stdin, whose open completes the handshake, see
 *   `upstream/fifo-transport.ts`); an HTTP server keeps PM2's stdout (its log) and reads nothing;
 * - closes descriptor 3, PM2's IPC channel, which the server has no use for.
 *
 * Only shell builtins run before the final `exec`: no fork, ~1 ms. Windows is not supported.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rename, rm, writeFile } from 'node:fs/promises';
import { SupervisorError } from '../shared/errors.ts';
import { untilAborted } from '../shared/timers.ts';

const ENV_PROGRAM = '/usr/bin/env';
const SHELL = '/bin/sh';

/**
 * The launcher. Positional parameters: $1 env file, $2 cwd, $3 stdin FIFO, $4 stdout FIFO (both
 * empty for an HTTP server), $5… the command and its arguments. It keeps no variables of its own,
 * so none can shadow or change one of the server's.
 */
export const LAUNCH_SCRIPT = [
  `cd "$2" 2>/dev/null || { printf '%s\\n' "[mcp-supervisor] cwd \\"$2\\" is not a directory; check \\"cwd\\" in the server's config" >&2; exit 1; }`,
  // cd exports the directory it left; the env file may still set one of its own.
  'unset OLDPWD',
  '. "$1" || exit 1',
  'case $5 in */*) [ -e "$5" ] ;; *) command -v -- "$5" >/dev/null 2>&1 ;; esac ||',
  `  { printf '%s\\n' "[mcp-supervisor] command \\"$5\\" was not found; check \\"command\\" in the server's config and that it is on PATH ($PATH)" >&2; exit 127; }`,
  'if [ -n "$4" ]; then exec 3<&- >"$4" <"$3"; else exec 3<&- </dev/null; fi',
  'shift 4',
  'exec "$@"',
].join('\n');

export interface LaunchSpec {
  /** The server's name: the shell's `$0`, so its own messages name the server. */
  name: string;
  command: string;
  args: readonly string[];
  /** Absolute directory the server runs in. */
  cwd: string;
  /** The file the shell reads the server's environment from (see {@link writeEnvFile}). */
  envFile: string;
  /** The FIFO pair of a stdio server: what the server reads, and what it writes. */
  fifos?: { stdinPath: string; stdoutPath: string } | undefined;
}

/** The program and arguments PM2 runs (with `interpreter: 'none'`) for a server. Pure. */
export function launchCommand(spec: LaunchSpec): { script: string; args: string[] } {
  return {
    script: ENV_PROGRAM,
    args: [
      '-i',
      SHELL,
      '-c',
      LAUNCH_SCRIPT,
      `mcp-server:${spec.name}`,
      spec.envFile,
      spec.cwd,
      spec.fifos?.stdinPath ?? '',
      spec.fifos?.stdoutPath ?? '',
      spec.command,
      ...spec.args,
    ],
  };
}

const SHELL_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Whether `name` can be exported by a POSIX shell (letters, digits, `_`; no leading digit). */
export function isShellName(name: string): boolean {
  return SHELL_NAME.test(name);
}

/**
 * The environment as a shell file: one `export NAME='value'` per variable, values single-quoted
 * (so nothing in them is expanded). Throws `CONFIG_INVALID` naming a variable a shell cannot
 * export. Pure.
 */
export function renderEnvFile(env: Readonly<Record<string, string>>, server = 'the server'): string {
  const bad = Object.keys(env).filter((name) => !isShellName(name));
  if (bad.length > 0) {
    throw new SupervisorError(
      'CONFIG_INVALID',
      `env of ${server}: ${bad.map((name) => JSON.stringify(name)).join(', ')} cannot be passed to a process ` +
        '(a variable name is letters, digits and "_", not starting with a digit); rename it in the config',
    );
  }
  return Object.entries(env)
    .map(([name, value]) => `export ${name}='${value.replaceAll("'", "'\\''")}'\n`)
    .join('');
}

/** Writes the env file atomically (temp + rename), mode 0600: it may hold the server's tokens. */
export async function writeEnvFile(
  file: string,
  env: Readonly<Record<string, string>>,
  options: { server?: string; signal?: AbortSignal } = {},
): Promise<void> {
  const text = renderEnvFile(env, options.server);
  const temp = `${file}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    await writeFile(temp, text, { mode: 0o600, signal: options.signal });
    await rename(temp, file);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}

/** The calls of one turn of the event loop, run as one `mkfifo`. */
interface FifoBatch {
  paths: string[];
  calls: { paths: readonly string[]; resolve: () => void; reject: (error: Error) => void }[];
}
let batch: FifoBatch | undefined;

/**
 * Creates FIFOs (mode 0600) with `mkfifo`: Node has no call for it. The calls made in one turn of
 * the event loop share one `mkfifo` process: the servers of a start each ask at once, and each
 * process was a fork of the whole supervisor (10 of them during a 10-server start). Rejects with
 * `PROCESS_MANAGER` when a FIFO of this call could not be made (another call's failure is not
 * this one's), and with the signal's reason when it aborts first.
 */
export function makeFifos(paths: readonly string[], options: { signal?: AbortSignal } = {}): Promise<void> {
  const { signal } = options;
  if (signal?.aborted) return Promise.reject(signal.reason);
  const made = new Promise<void>((resolve, reject) => {
    if (!batch) {
      batch = { paths: [], calls: [] };
      setImmediate(runFifoBatch);
    }
    batch.paths.push(...paths);
    batch.calls.push({ paths, resolve, reject });
  });
  return signal ? untilAborted(made, signal) : made;
}

function runFifoBatch(): void {
  const current = batch;
  batch = undefined;
  if (!current) return;
  execFile('mkfifo', ['-m', '600', '--', ...current.paths], { timeout: 10_000 }, (error, _out, stderr) => {
    const said = String(stderr).trim();
    for (const call of current.calls) {
      // mkfifo names each path it could not make, and goes on with the others.
      const failed = error && (!said || call.paths.some((file) => said.includes(file)));
      if (!failed) {
        call.resolve();
        continue;
      }
      const lines = said
        .split('\n')
        .filter((line) => call.paths.some((file) => line.includes(file)))
        .join('; ');
      call.reject(
        new SupervisorError(
          'PROCESS_MANAGER',
          `cannot create the FIFOs of a stdio server (mkfifo: ${lines || said || error.message}); is mkfifo on PATH?`,
          { cause: error },
        ),
      );
    }
  });
}
