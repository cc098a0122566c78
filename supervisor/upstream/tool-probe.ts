import { type ChildProcess, spawn } from 'node:child_process';
import {
  Client,
  type JSONRPCMessage,
  StreamableHTTPClientTransport,
  type Transport,
} from '@modelcontextprotocol/client';
import { PRODUCT_NAME, VERSION } from '../shared/version.ts';
import { encodeJsonRpcMessage, JsonRpcLineDecoder } from './line-framer.ts';

/**
 * Set in a probe process's environment: it is a short-lived second instance of a server's command,
 * not the server, so whoever counts a server's processes (ps, the tests) can tell them apart.
 */
export const TOOL_PROBE_ENV = 'MCP_SUPERVISOR_TOOL_PROBE';

/** How long a probe process gets to end after its input closed, before SIGTERM, then SIGKILL. */
const PROBE_KILL_STEP_MS = 1_000;

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
 * server's command, env and cwd, as the SDK's own stdio probe does), in its own process group,
 * which is ended whole when the probe is done; an HTTP server gets a second session.
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
    await client.close().catch(() => {});
  }
}

/**
 * A client transport over a child process's stdin/stdout, newline-delimited JSON-RPC. The child
 * leads its own process group, so ending it ends whatever it started (an `npx` launcher's server):
 * input closed, then SIGTERM to the group, then SIGKILL.
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
      const child = spawn(this.#target.command, this.#target.args, {
        cwd: this.#target.cwd,
        env: { ...this.#target.env, [TOOL_PROBE_ENV]: '1' },
        stdio: ['pipe', 'pipe', 'ignore'],
        detached: true,
      });
      this.#child = child;
      const decoder = new JsonRpcLineDecoder({
        onError: (error) => this.onerror?.(error),
        onMessage: (message) => this.onmessage?.(message as JSONRPCMessage),
      });
      child.stdout?.on('data', (chunk: Buffer) => decoder.push(chunk));
      child.stdin?.on('error', () => {}); // a server gone mid-write: close() follows
      child.once('error', (error) => {
        reject(error);
        this.#finish();
      });
      child.once('exit', () => this.#finish());
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

  async close(): Promise<void> {
    const child = this.#child;
    if (!child || child.exitCode !== null || child.signalCode !== null) {
      this.#finish();
      return;
    }
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.stdin?.end();
    const group = -(child.pid ?? 0);
    const term = setTimeout(() => killGroup(group, 'SIGTERM'), PROBE_KILL_STEP_MS);
    const kill = setTimeout(() => killGroup(group, 'SIGKILL'), 2 * PROBE_KILL_STEP_MS);
    await exited;
    clearTimeout(term);
    clearTimeout(kill);
    // Whatever the server started in its group goes with it.
    killGroup(group, 'SIGKILL');
  }

  #finish(): void {
    if (this.#isClosed) return;
    this.#isClosed = true;
    this.onclose?.();
  }
}

function killGroup(group: number, signal: NodeJS.Signals): void {
  if (group === 0) return;
  try {
    process.kill(group, signal);
  } catch {
    // Already gone.
  }
}
