import { type ChildProcess, spawn } from 'node:child_process';
import type { Writable } from 'node:stream';
import {
  Client,
  type JSONRPCMessage,
  StreamableHTTPClientTransport,
  type Transport,
} from '@modelcontextprotocol/client';
import { TETHER_FD, tetheredCommand } from '../process/tethered-launch.ts';
import { PRODUCT_NAME, VERSION } from '../shared/version.ts';
import { encodeJsonRpcMessage, JsonRpcLineDecoder } from './line-framer.ts';

/**
 * Set in a probe process's environment: it is a short-lived second instance of a server's command,
 * not the server, so whoever counts a server's processes (ps, the tests) can tell them apart.
 */
export const TOOL_PROBE_ENV = 'MCP_SUPERVISOR_TOOL_PROBE';

/** How long a probe process gets to end after its input closed, before SIGTERM, then SIGKILL. */
export const PROBE_KILL_STEP_MS = 1_000;
/**
 * When `close()` SIGKILLs the group itself: the tether's watcher ends it after two steps; this is
 * the backstop should the watcher be gone.
 */
const PROBE_CLOSE_BACKSTOP_MS = 3 * PROBE_KILL_STEP_MS;

/** Where a probe session is opened: a fresh process of a stdio server, or an HTTP server's url. */
export type ProbeTarget =
  | { kind: 'stdio'; command: string; args: string[]; env: Record<string, string>; cwd: string }
  | { kind: 'http'; url: string; headers: Record<string, string> };

/**
 * The tool names a 2025 server lists to a client that declared `capabilities`: one short session
 * (the 2025 handshake, `tools/list`, close), because a 2025 server decides its tool list from the
 * capabilities of the session's `initialize` (server-everything registers `get-roots-list`,
 * `trigger-sampling-request`, … only for clients that declared roots, sampling, …).
 *
 * A stdio server serves one session per process, so the probe runs a process of its own (the
 * server's command, env and cwd, as the SDK's own stdio probe does), in its own process group tied
 * to the supervisor by a tether (`process/tethered-launch.ts`): the group is ended whole when the
 * probe is done, when the supervisor stops, and when it dies; an HTTP server gets a second session.
 */
export async function probeToolNames(
  target: ProbeTarget,
  capabilities: Record<string, unknown>,
  options: { timeoutMs: number; signal?: AbortSignal },
): Promise<string[]> {
  const transport: Transport =
    target.kind === 'stdio'
      ? new ProbeProcessTransport(target)
      : new StreamableHTTPClientTransport(new URL(target.url), { requestInit: { headers: target.headers } });
  const client = new Client({ name: `${PRODUCT_NAME}-probe`, version: VERSION }, { capabilities });
  // A server may ask the probe for what it declared: it gets nothing to act on.
  if (capabilities.roots) client.setRequestHandler('roots/list', () => ({ roots: [] }));
  if (capabilities.sampling)
    client.setRequestHandler('sampling/createMessage', () => {
      throw new Error('the tool probe answers no sampling');
    });
  if (capabilities.elicitation) client.setRequestHandler('elicitation/create', () => ({ action: 'decline' }));
  const signal = options.signal
    ? AbortSignal.any([options.signal, AbortSignal.timeout(options.timeoutMs)])
    : AbortSignal.timeout(options.timeoutMs);
  // An aborted probe (the supervisor stops, or its time is up) has nothing left to say: its process
  // is ended at once, not given its input's end to notice — a probe still loading its modules
  // noticed only once loaded (server-memory: ~0.3 s of each stop right after a start).
  const terminate = () => {
    if (transport instanceof ProbeProcessTransport) transport.terminate();
  };
  signal.addEventListener('abort', terminate, { once: true });
  try {
    await client.connect(transport, { signal, timeout: options.timeoutMs });
    const names: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await client.listTools(cursor ? { cursor } : undefined, {
        signal,
        timeout: options.timeoutMs,
        cacheMode: 'bypass',
      });
      names.push(...page.tools.map((tool) => tool.name));
      cursor = page.nextCursor;
    } while (cursor);
    return names;
  } finally {
    if (transport instanceof StreamableHTTPClientTransport)
      await transport.terminateSession().catch(() => {});
    // Still listened to while it closes: a process that outlives its input's end (server-memory
    // here, in a probe) would hold a stop meanwhile for the grace step after it.
    await client.close().catch(() => {});
    signal.removeEventListener('abort', terminate);
  }
}

/**
 * A client transport over a child process's stdin/stdout, newline-delimited JSON-RPC. The child is
 * spawned tethered (`process/tethered-launch.ts`): it leads its own process group, and when the
 * tether ends — `close()`, or the kernel closing it as the supervisor dies — the group is given
 * {@link PROBE_KILL_STEP_MS} after its input closed, then SIGTERM, then SIGKILL, so whatever the
 * server started (an `npx` launcher's server) goes with it.
 */
class ProbeProcessTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: <T extends JSONRPCMessage>(message: T) => void;
  readonly #target: Extract<ProbeTarget, { kind: 'stdio' }>;
  #child: ChildProcess | undefined;
  #isClosed = false;

  constructor(target: Extract<ProbeTarget, { kind: 'stdio' }>) {
    this.#target = target;
  }

  start(): Promise<void> {
    return new Promise((resolve, reject) => {
      const launch = tetheredCommand({
        name: `${PRODUCT_NAME}-probe`,
        command: this.#target.command,
        args: this.#target.args,
        stepMs: PROBE_KILL_STEP_MS,
      });
      const stdio: ('pipe' | 'ignore')[] = ['pipe', 'pipe', 'ignore'];
      stdio[TETHER_FD] = 'pipe';
      const child = spawn(launch.command, launch.args, {
        cwd: this.#target.cwd,
        env: { ...this.#target.env, [TOOL_PROBE_ENV]: '1' },
        stdio,
        detached: true,
      });
      this.#child = child;
      const decoder = new JsonRpcLineDecoder({
        onError: (error) => this.onerror?.(error),
        onMessage: (message) => this.onmessage?.(message as JSONRPCMessage),
      });
      child.stdout?.on('data', (chunk: Buffer) => decoder.push(chunk));
      child.stdin?.on('error', () => {}); // a server gone mid-write: close() follows
      tetherOf(child)?.on('error', () => {});
      child.once('error', (error) => {
        reject(error);
        this.#finish();
      });
      child.once('exit', (code) => {
        // The launcher's shell exits 127 (126) when the command is missing (not executable).
        if (code === 127 || code === 126)
          this.onerror?.(new Error(`the probe could not run "${this.#target.command}" (exit ${code})`));
        this.#finish();
      });
      child.once('spawn', () => resolve());
    });
  }

  send(message: JSONRPCMessage): Promise<void> {
    const stdin = this.#child?.stdin;
    if (!stdin || this.#isClosed) return Promise.reject(new Error('the probe process has ended'));
    return new Promise((resolve, reject) =>
      stdin.write(encodeJsonRpcMessage(message as never), (error) => (error ? reject(error) : resolve())),
    );
  }

  /** SIGTERM to the probe's whole group now; {@link close} then finds it ending. */
  terminate(): void {
    const child = this.#child;
    if (child?.pid && child.exitCode === null && child.signalCode === null) killGroup(-child.pid, 'SIGTERM');
  }

  async close(): Promise<void> {
    const child = this.#child;
    if (!child?.pid) {
      this.#finish();
      return;
    }
    const group = -child.pid;
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      // Input closed and the tether ended: the group's watcher takes it from here.
      child.stdin?.end();
      tetherOf(child)?.destroy();
      const backstop = setTimeout(() => killGroup(group, 'SIGKILL'), PROBE_CLOSE_BACKSTOP_MS);
      await exited;
      clearTimeout(backstop);
    }
    tetherOf(child)?.destroy();
    // Whatever is left in the group goes with the server: its children, and the watcher.
    killGroup(group, 'SIGKILL');
    this.#finish();
  }

  #finish(): void {
    if (this.#isClosed) return;
    this.#isClosed = true;
    this.onclose?.();
  }
}

function tetherOf(child: ChildProcess): Writable | undefined {
  return (child.stdio[TETHER_FD] as Writable | null | undefined) ?? undefined;
}

function killGroup(group: number, signal: NodeJS.Signals): void {
  if (group === 0) return;
  try {
    process.kill(group, signal);
  } catch {
    // Already gone.
  }
}
