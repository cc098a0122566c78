/**
 * The stdio bridge: the process PM2 runs for a server started from a command. It runs the real
 * server as a child in its own process group. For a stdio server it listens on a Unix socket and,
 * when the supervisor connects, starts the server with that connection as its stdin and stdout
 * (as inetd or systemd's socket activation do): the bridge stays out of the data path, so a request
 * crosses one process boundary, not two. One connection per server process; later ones are refused.
 *
 * Run as `node bridge.ts <spec-file>` (see `bridge-spec.ts`); exits with the child's exit code
 * (128 + signal number when the child was killed by a signal), 127 when the command is not found,
 * 126 when it cannot be executed, 2 for a missing or invalid spec, 1 for other failures, and 0 when
 * stopped before anyone connected.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readdirSync, readFileSync } from 'node:fs';
import { chmod, mkdir, rm, stat } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { errorMessage } from '../shared/errors.ts';
import { type BridgeSpec, readBridgeSpec } from './bridge-spec.ts';

/** Absolute path of this script, for whoever starts bridges (the PM2 app's `script`). */
export const BRIDGE_SCRIPT_PATH = fileURLToPath(import.meta.url);

/** How often the child's process group is checked for survivors while it is being stopped. */
const GROUP_POLL_MS = 50;
/** How long output already written by an exited child gets to reach its destination. */
const OUTPUT_FLUSH_MS = 1_000;
/** How long a probe of an existing socket file may take before it is taken as a live listener. */
const SOCKET_PROBE_TIMEOUT_MS = 1_000;

export interface RunBridgeOptions {
  /** Aborting stops the child's process group (SIGTERM, then SIGKILL after `killTimeoutMs`). */
  signal?: AbortSignal;
  /** Where the child's stdout goes in HTTP mode; `process.stdout` by default. */
  stdout?: Writable;
  /** Where the child's stderr and the bridge's own messages go; `process.stderr` by default. */
  stderr?: Writable;
}

/**
 * Runs the spec's command until it exits or `signal` aborts, and resolves with the exit code the
 * bridge should exit with. Never rejects: every failure is reported as one line on `stderr` and
 * an exit code. When it resolves, the child's process group is gone and the socket is unlinked.
 */
export async function runBridge(spec: BridgeSpec, options: RunBridgeOptions = {}): Promise<number> {
  const stderr = options.stderr ?? process.stderr;
  const stdout = options.stdout ?? process.stdout;
  const log = (message: string) => stderr.write(`[mcp-supervisor bridge ${spec.name}] ${message}\n`);
  const { signal } = options;
  if (signal?.aborted) return 0;

  if (spec.cwd !== undefined && !(await isDirectory(spec.cwd))) {
    log(`cwd "${spec.cwd}" is not a directory; check "cwd" in the server's config`);
    return 1;
  }

  let server: net.Server | undefined;
  let firstClient: Promise<net.Socket | undefined> | undefined;
  if (spec.socketPath !== undefined) {
    server = net.createServer({ pauseOnConnect: true });
    // Wait for the first client before listening: a client may connect as soon as the socket
    // file exists, while listenOnSocket is still finishing.
    firstClient = firstConnection(server, signal);
    try {
      await listenOnSocket(server, spec.socketPath);
    } catch (error) {
      server.close();
      log(`cannot listen on ${spec.socketPath}: ${errorMessage(error)}`);
      return 1;
    }
  }
  const closeServer = async () => {
    if (server === undefined || spec.socketPath === undefined) return;
    if (server.listening) server.close();
    // Closing the server unlinks the file too; this covers a failed close.
    await rm(spec.socketPath, { force: true }).catch(() => {});
  };

  // A stdio server starts when its client connects; the bridge keeps no copy of the connection.
  let connection: net.Socket | undefined;
  if (server !== undefined) {
    connection = await firstClient;
    if (connection === undefined) {
      await closeServer();
      return 0;
    }
    server.on('connection', (socket) => {
      log(
        'refused a second connection: the server serves the connection it was started for; ' +
          'restart the server to connect again',
      );
      socket.destroy();
    });
  }

  let child: ChildProcess;
  try {
    child = await spawnChild(spec, connection);
  } catch (error) {
    connection?.destroy();
    await closeServer();
    const { code } = error as NodeJS.ErrnoException;
    if (code === 'ENOENT') {
      log(
        `command "${spec.command}" was not found; check "command" in the server's config and that it is on ` +
          `PATH (${spec.env.PATH ?? 'PATH is not set'})`,
      );
      return 127;
    }
    if (code === 'EACCES') {
      log(`command "${spec.command}" cannot be executed (permission denied); check "command" and its mode`);
      return 126;
    }
    log(`cannot start "${spec.command}": ${errorMessage(error)}`);
    return 1;
  }
  // The child has its own copies of the connection's descriptor; closing ours (close, not
  // shutdown) leaves the connection open between the client and the server.
  connection?.destroy();
  const pid = child.pid!;
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;

  child.stderr!.pipe(stderr, { end: false });
  child.stdout?.pipe(stdout, { end: false });

  let stopping: Promise<void> | undefined;
  const stopGroup = () => {
    stopping ??= terminateGroup(pid, spec.killTimeoutMs, log);
    return stopping;
  };
  signal?.addEventListener('abort', stopGroup, { once: true });
  if (signal?.aborted) stopGroup();

  const [code, exitSignal] = await exited;
  signal?.removeEventListener('abort', stopGroup);
  // The child is gone, but a server started through npx or a shell may have left children in its
  // group; they must not outlive the bridge, or PM2's restart would start a second copy.
  await stopGroup();

  // Stop accepting clients, then let the output the child wrote before exiting reach its reader.
  if (server?.listening) server.close();
  await Promise.race([
    Promise.all([child.stdout ? finishedReading(child.stdout) : undefined, finishedReading(child.stderr!)]),
    unrefDelay(OUTPUT_FLUSH_MS),
  ]);
  child.stdout?.destroy();
  child.stderr?.destroy();
  await closeServer();
  return code ?? 128 + (os.constants.signals[exitSignal!] ?? 0);
}

/**
 * The first connection to `server` that is still open, or undefined when `signal` aborts or the
 * server closes first. The server pauses connections as they are accepted, so nothing is read
 * from it here.
 */
function firstConnection(
  server: net.Server,
  signal: AbortSignal | undefined,
): Promise<net.Socket | undefined> {
  return new Promise((resolve) => {
    const onConnection = (socket: net.Socket) => {
      // A client that gave up before we got to it: wait for the next one.
      if (socket.destroyed) return;
      socket.on('error', () => {});
      finish(socket);
    };
    const onAbort = () => finish(undefined);
    const finish = (socket: net.Socket | undefined) => {
      server.off('connection', onConnection);
      server.off('close', onAbort);
      signal?.removeEventListener('abort', onAbort);
      resolve(socket);
    };
    server.on('connection', onConnection);
    server.once('close', onAbort);
    signal?.addEventListener('abort', onAbort, { once: true });
    if (signal?.aborted) onAbort();
  });
}

/** Starts the server; with `connection`, that socket is its stdin and stdout. */
function spawnChild(spec: BridgeSpec, connection: net.Socket | undefined): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(spec.command, spec.args, {
      cwd: spec.cwd,
      // Exactly the spec's environment: the bridge's own (PM2's variables, the supervisor's
      // secrets) must not leak into a server.
      env: spec.env,
      // Its own process group, so that stopping it reaches every process it started.
      detached: true,
      stdio: connection === undefined ? ['ignore', 'pipe', 'pipe'] : [connection, connection, 'pipe'],
    });
    child.once('spawn', () => {
      child.off('error', reject);
      resolve(child);
    });
    child.once('error', reject);
  });
}

/**
 * Sends SIGTERM to the process group `pgid`, waits up to `killTimeoutMs` for all of it to exit,
 * then sends SIGKILL. Returns at once when the group is already empty.
 */
async function terminateGroup(
  pgid: number,
  killTimeoutMs: number,
  log: (message: string) => void,
): Promise<void> {
  if (!signalGroup(pgid, 'SIGTERM')) return;
  const deadline = Date.now() + killTimeoutMs;
  while (Date.now() < deadline) {
    await delay(Math.min(GROUP_POLL_MS, Math.max(0, deadline - Date.now())));
    if (!hasLiveMembers(pgid)) return;
  }
  if (signalGroup(pgid, 'SIGKILL'))
    log(`the server did not exit ${killTimeoutMs} ms after SIGTERM; killed it`);
}

/** Signals a whole process group; false when no process is left in it. */
function signalGroup(pgid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch (error) {
    // EPERM means a member exists that we may not signal; it still counts as alive.
    return (error as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

/**
 * Whether any process of group `pgid` is still running. `kill(-pgid, 0)` also counts zombies: a
 * killed grandchild is re-parented to PID 1, and in containers PID 1 is often slow (or fails) to
 * reap it, which would hold every stop for the whole `killTimeoutMs`. On Linux the group's
 * members are therefore looked up in /proc, ignoring zombies.
 */
function hasLiveMembers(pgid: number): boolean {
  if (!signalGroup(pgid, 0)) return false;
  if (process.platform !== 'linux') return true;
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return true;
  }
  for (const entry of entries) {
    if (entry.charCodeAt(0) < 0x30 || entry.charCodeAt(0) > 0x39) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue;
    }
    // "pid (comm) state ppid pgrp …"; comm may contain spaces and parentheses.
    const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ', 3);
    if (Number(pgrp) === pgid && state !== 'Z') return true;
  }
  return false;
}

async function listenOnSocket(server: net.Server, socketPath: string): Promise<void> {
  await mkdir(path.dirname(socketPath), { recursive: true, mode: 0o700 });
  if (await isSocketLive(socketPath)) {
    throw new Error('another process is listening there (is a second bridge for this server running?)');
  }
  await rm(socketPath, { force: true });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    // The socket file is created by bind(), which happens inside listen(); a restrictive umask
    // makes it 0600 from the start. process.umask() cannot be set in a worker thread, where the
    // chmod below (and the 0700 directory) still apply.
    let previousUmask: number | undefined;
    try {
      previousUmask = process.umask(0o177);
    } catch {}
    try {
      server.listen(socketPath, () => {
        server.off('error', reject);
        resolve();
      });
    } finally {
      if (previousUmask !== undefined) process.umask(previousUmask);
    }
  });
  await chmod(socketPath, 0o600);
}

/** True when something accepts connections at `socketPath`; a stale file refuses them. */
function isSocketLive(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = net.connect(socketPath);
    const finish = (isLive: boolean) => {
      probe.destroy();
      resolve(isLive);
    };
    probe.setTimeout(SOCKET_PROBE_TIMEOUT_MS, () => finish(true));
    probe.once('connect', () => finish(true));
    probe.once('error', () => finish(false));
  });
}

async function isDirectory(dir: string): Promise<boolean> {
  try {
    return (await stat(dir)).isDirectory();
  } catch {
    return false;
  }
}

/** Resolves when `stream` has ended or was destroyed; never rejects. */
function finishedReading(stream: Readable): Promise<void> {
  return finished(stream, { writable: false }).catch(() => {});
}

/** A delay that does not keep the process alive on its own. */
function unrefDelay(ms: number): Promise<void> {
  return delay(ms, undefined, { ref: false });
}

/** The process entry: `node bridge.ts <spec-file>`. Resolves with the exit code. */
async function main(args: string[]): Promise<number> {
  const controller = new AbortController();
  for (const name of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
    process.on(name, () => controller.abort(new Error(`received ${name}`)));
  }
  const [file] = args;
  if (file === undefined || args.length !== 1) {
    process.stderr.write('usage: node bridge.ts <spec-file>\n');
    return 2;
  }
  let spec: BridgeSpec;
  try {
    spec = await readBridgeSpec(file, { signal: controller.signal });
  } catch (error) {
    process.stderr.write(`[mcp-supervisor bridge] ${errorMessage(error)}\n`);
    return 2;
  }
  return runBridge(spec, { signal: controller.signal });
}

/**
 * Run directly (`node bridge.ts`), `import.meta.main` is true; under PM2's fork mode the script is
 * imported by PM2's container, which names it in `pm_exec_path` instead.
 */
function isEntryPoint(): boolean {
  if (import.meta.main) return true;
  const execPath = process.env.pm_exec_path;
  return execPath !== undefined && path.resolve(execPath) === BRIDGE_SCRIPT_PATH;
}

if (isEntryPoint()) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`[mcp-supervisor bridge] ${errorMessage(error)}\n`);
      process.exit(1);
    },
  );
}
