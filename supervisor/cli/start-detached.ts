import { type ChildProcess, spawn } from 'node:child_process';
import { fstatSync, openSync } from 'node:fs';
import { mkdir, open } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { claimHome, type HomeClaim } from '../boot/home-claim.ts';
import { ControlClient, readEventStream } from '../client/control-client.ts';
import { isProcessAlive, readState, type SupervisorState } from '../client/state-file.ts';
import type { ServerStatus, StatusBody } from '../client/wire-types.ts';
import { EXIT_CODES, SupervisorError } from '../shared/errors.ts';
import type { HomePaths } from '../shared/home.ts';
import { sleep } from '../shared/timers.ts';
import { missingMallocEnv, missingV8Flags } from '../shared/v8-flags.ts';
import { VERSION } from '../shared/version.ts';
import { formatDuration, print, printError, printProgress } from './format.ts';
import { HANDOFF_ENV, HANDOFF_FD } from './home-handoff.ts';
import { listenForStops, type StopRequests, stoppedWhileStarting } from './stop-requests.ts';

const CLI_FILE = fileURLToPath(new URL('../bin/mcp-supervisor.js', import.meta.url));

/** States a server passes through on its way up; any other is where its start ended. */
const PENDING_STATES = new Set(['installing', 'starting', 'restarting', 'stopping']);
/** Progress is said only for a start slower than this, then on every change or every 5 s. */
const QUIET_MS = 1_500;
const REPEAT_MS = 5_000;
/** How often the status is read without the event stream, and with it. */
const POLL_MS = 250;
const STREAM_POLL_MS = 1_000;

export interface DetachedStartOptions {
  config: string | undefined;
  json: boolean;
  /** Wait until every server's start has ended (online or failed); default true. */
  wait: boolean;
  /** Exit 7 when a server did not come online. */
  isStrict: boolean;
  /** How long to wait for the servers. */
  timeoutMs: number;
}

/**
 * `start -d`: runs the supervisor as a detached process and returns once it runs — by default
 * once every server's start has ended, online or failed (saying which failed and why), with
 * progress on stderr while a slow first start (an `npx` install) goes on. The exit code is 0 when
 * the supervisor runs, whatever its servers did, unless `--strict`. When the supervisor cannot
 * start, its own one-line error and exit code are this command's (5: the home is taken).
 *
 * This process claims the home before it launches the supervisor and hands it over (see
 * `home-handoff.ts`), so `stop` works from the first instant; a stop, SIGINT or SIGTERM while it
 * waits is passed on to the supervisor, which stops (this then exits 4). One that comes before the
 * supervisor is launched launches none (exit 4 too).
 */
export async function startDetached(paths: HomePaths, options: DetachedStartOptions): Promise<void> {
  // Listened to before the claim: from the claim on, `stop` signals this pid, and a SIGTERM with
  // no listener would end this process on the spot, its state file left behind.
  const stops = listenForStops(paths);
  try {
    const claim = await claimHome(paths, { startedAt: Date.now(), version: VERSION });
    try {
      await launchAndWait(paths, claim, options, stops);
    } finally {
      await claim.release();
    }
  } finally {
    stops.dispose();
  }
}

async function launchAndWait(
  paths: HomePaths,
  claim: HomeClaim,
  options: DetachedStartOptions,
  stops: StopRequests,
): Promise<void> {
  await mkdir(paths.logDir, { recursive: true, mode: 0o700 });
  // Asked to stop during the claim or just after: launch nothing. From here to the spawn nothing
  // waits, so a stop that comes later is handled once the supervisor is there to pass it to.
  stops.throwIfAny();
  const outputFile = path.join(paths.logDir, 'detached.out');
  const output = openSync(outputFile, 'a');
  // What the child writes from here on is its own: its one-line error, if it fails.
  const outputStart = fstatSync(output).size;
  const args = [
    ...missingV8Flags(),
    ...process.execArgv,
    CLI_FILE,
    'start',
    '--home',
    paths.root,
    ...(options.config ? ['--config', options.config] : []),
  ];
  const child = spawn(process.execPath, args, {
    detached: true,
    stdio: ['ignore', output, output, 'pipe'],
    env: {
      ...process.env,
      ...missingMallocEnv(),
      LOG_FORMAT: process.env.LOG_FORMAT ?? 'json',
      [HANDOFF_ENV]: String(HANDOFF_FD),
    },
  });
  stops.passTo(child);
  child.unref();
  const handoffPipe = child.stdio[HANDOFF_FD] as Readable;
  handoffPipe.once('data', () => void claim.handOver(child.pid ?? 0));
  handoffPipe.on('error', () => {});
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const died = async (): Promise<never> => {
    // Unref'd, the child's exit event alone keeps nothing alive: once it is seen gone (a zombie
    // Node has not reaped yet), an idle loop would end before the event with exit 13.
    child.ref();
    const code = await exited;
    const said = await childError(outputFile, outputStart);
    // Stopped on request (by a stop passed on, or its own clean stop): before it ran for good.
    if (code === 0 || (stops.count > 0 && code === null)) throw stoppedWhileStarting(paths);
    throw new ChildExit(
      code ?? EXIT_CODES.INTERNAL,
      said ?? `the supervisor exited at start (code ${code}); see ${outputFile}`,
    );
  };
  try {
    await untilRunning(paths, child, died, options);
  } catch (error) {
    // The supervisor's own failure (a bad config, a taken port): its message and exit code are
    // this command's.
    if (!(error instanceof ChildExit)) throw error;
    printError(error.message);
    process.exitCode = error.exitCode;
  } finally {
    handoffPipe.destroy();
  }
}

async function untilRunning(
  paths: HomePaths,
  child: ChildProcess,
  died: () => Promise<never>,
  options: DetachedStartOptions,
): Promise<void> {
  const state = await untilListening(paths, child, died);
  const url = `http://${state.host.includes(':') ? `[${state.host}]` : state.host}:${state.port}`;
  if (!options.wait) {
    if (options.json) print({ ok: true, pid: child.pid, url });
    else print(`started (pid ${child.pid}), control API and gateway at ${url}; servers are starting`);
    return;
  }
  const servers = await untilServersSettled(paths, child, died, options.timeoutMs);
  const failed = servers.filter((s) => s.state !== 'online');
  if (options.json) {
    print({
      ok: !(options.isStrict && failed.length > 0),
      pid: child.pid,
      url,
      servers: servers.map((s) => ({
        name: s.name,
        state: s.state,
        ...(s.lastError ? { lastError: s.lastError } : {}),
      })),
    });
  } else {
    print(`started (pid ${child.pid}), control API and gateway at ${url}; ${summary(servers)}`);
  }
  for (const server of failed) {
    printError(`server ${server.name} is ${server.state}${server.lastError ? `: ${server.lastError}` : ''}`);
  }
  if (options.isStrict && failed.length > 0) process.exitCode = EXIT_CODES.SERVER_UNAVAILABLE;
}

/** The supervisor exited while starting, with this code and (usually) its one-line error. */
class ChildExit extends Error {
  readonly exitCode: number;
  constructor(exitCode: number, message: string) {
    super(message);
    this.exitCode = exitCode;
  }
}

/** Waits for the child to claim the home and for its control API to listen. */
async function untilListening(
  paths: HomePaths,
  child: ChildProcess,
  died: () => Promise<never>,
): Promise<SupervisorState> {
  // PM2's launch and a slow config are minutes at worst; the child itself ends a hung start.
  for (;;) {
    const state = await readState(paths.stateFile);
    if (state && state.pid === child.pid && state.port > 0) return state;
    if (child.exitCode !== null || child.signalCode !== null || !isProcessAlive(child.pid ?? 0))
      return died();
    await sleep(100);
  }
}

/**
 * Reads the status until no server is pending; progress on stderr for a slow start. Between reads
 * it follows the server events of `GET /api/events` and reads again as soon as they say that no
 * server is pending any more (so the wait ends when the last server comes online, not up to a
 * poll interval later), and every {@link STREAM_POLL_MS} anyway: the status is what it decides
 * on. Reading it on every event instead cost a status (and PM2 a list of every process with its
 * CPU and memory) per server state change, ~20 during a 10-server start. Without the stream it
 * reads every {@link POLL_MS}.
 */
async function untilServersSettled(
  paths: HomePaths,
  child: ChildProcess,
  died: () => Promise<never>,
  timeoutMs: number,
): Promise<ServerStatus[]> {
  const client = new ControlClient(paths);
  const wake = serverEventWake(client);
  try {
    return await settle(client, child, died, timeoutMs, wake.next);
  } finally {
    wake.close();
  }
}

/** Server name → state, as the last status read said and the server events since have changed. */
type StateView = Map<string, string>;

/**
 * `next(view, ms)` applies the server events that come (and those that came while the status was
 * read) to `view`, and resolves once none of its servers is pending, when the stream connects or
 * ends (what it missed meanwhile is unknown), or after `ms` ({@link POLL_MS} while the stream is
 * not connected).
 */
function serverEventWake(client: ControlClient): {
  next(view: StateView, ms: number): Promise<void>;
  close(): void;
} {
  const abort = new AbortController();
  let isConnected = false;
  /** Events (server, state) since the last wait ended, in order: the next wait starts with them. */
  let missed: [string, string][] = [];
  /** Set at connect or end of the stream while nobody waited: the next wait ends at once. */
  let hasNews = false;
  let waiter: { view: StateView; done(): void } | undefined;
  const isSettled = (view: StateView) => ![...view.values()].some((state) => PENDING_STATES.has(state));
  const onNews = () => {
    if (waiter) waiter.done();
    else hasNews = true;
  };
  void client
    .openStream('/api/events', { signal: abort.signal })
    .then((stream) => {
      isConnected = true;
      onNews();
      return readEventStream(stream, (event, data) => {
        const { server, state } = (data ?? {}) as { server?: unknown; state?: unknown };
        if (event !== 'server' || typeof server !== 'string' || typeof state !== 'string') return;
        if (!waiter) {
          missed.push([server, state]);
          return;
        }
        if (waiter.view.has(server)) waiter.view.set(server, state);
        if (isSettled(waiter.view)) waiter.done();
      });
    })
    // Without the stream, the interval alone paces the reads.
    .catch(() => {})
    .finally(() => {
      isConnected = false;
      onNews();
    });
  return {
    next: (view, ms) =>
      new Promise<void>((resolve) => {
        for (const [server, state] of missed) if (view.has(server)) view.set(server, state);
        missed = [];
        if (hasNews || isSettled(view)) {
          hasNews = false;
          return resolve();
        }
        const timer = setTimeout(done, isConnected ? ms : Math.min(ms, POLL_MS));
        function done() {
          clearTimeout(timer);
          waiter = undefined;
          resolve();
        }
        waiter = { view, done };
      }),
    close: () => abort.abort(),
  };
}

async function settle(
  client: ControlClient,
  child: ChildProcess,
  died: () => Promise<never>,
  timeoutMs: number,
  next: (view: StateView, ms: number) => Promise<void>,
): Promise<ServerStatus[]> {
  const startedAt = Date.now();
  let lastSaid = '';
  let lastSaidAt = 0;
  for (;;) {
    let body: StatusBody;
    try {
      body = await client.request<StatusBody>('GET', '/api/status');
    } catch (error) {
      if (!isProcessAlive(child.pid ?? 0)) return died();
      throw error;
    }
    const pending = body.servers.filter((s) => PENDING_STATES.has(s.state));
    if (pending.length === 0) return body.servers;
    const now = Date.now();
    if (now - startedAt > timeoutMs) {
      throw new SupervisorError(
        'TIMEOUT',
        `the supervisor (pid ${child.pid}) runs, but ${describePending(pending, now)} after ${formatDuration(timeoutMs)}; see: mcp-supervisor status`,
      );
    }
    const shape = pending.map((s) => `${s.name}:${s.state}`).join(' ');
    if (now - startedAt >= QUIET_MS && (shape !== lastSaid || now - lastSaidAt >= REPEAT_MS)) {
      printProgress(`waiting for ${describePending(pending, now)}`);
      lastSaid = shape;
      lastSaidAt = now;
    }
    await next(new Map(body.servers.map((s) => [s.name, s.state])), STREAM_POLL_MS);
  }
}

/** "memory installing (12 s), github starting (3 s)". */
function describePending(pending: readonly ServerStatus[], now: number): string {
  return pending
    .map(
      (s) => `${s.name} ${s.state}${s.stateChangedAt ? ` (${formatDuration(now - s.stateChangedAt)})` : ''}`,
    )
    .join(', ');
}

/** "2 servers online", "1 online, 1 errored", "no servers configured". */
function summary(servers: readonly ServerStatus[]): string {
  if (servers.length === 0) return 'no servers configured';
  const counts = new Map<string, number>();
  for (const server of servers) counts.set(server.state, (counts.get(server.state) ?? 0) + 1);
  if (counts.size === 1 && counts.has('online')) return `${servers.length} server(s) online`;
  return [...counts].map(([state, count]) => `${count} ${state}`).join(', ');
}

/** The child's own one-line error (`mcp-supervisor: …`), from what it wrote since it started. */
async function childError(file: string, from: number): Promise<string | undefined> {
  try {
    const handle = await open(file, 'r');
    try {
      const { size } = await handle.stat();
      const buffer = Buffer.alloc(Math.max(0, size - from));
      await handle.read(buffer, 0, buffer.length, from);
      const line = buffer
        .toString('utf8')
        .split('\n')
        .findLast((l) => l.startsWith('mcp-supervisor: '));
      return line?.slice('mcp-supervisor: '.length);
    } finally {
      await handle.close();
    }
  } catch {
    return undefined;
  }
}
