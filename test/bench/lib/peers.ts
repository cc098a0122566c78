import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  BENCH_MARKER_VAR,
  freePort,
  ROOT,
  type SupergatewayProcess,
  spawnNode,
  stderrTail,
  stopChild,
  waitFor,
} from './processes.ts';

/** A gateway the bench started and can stop: its pid, its port. */
export type PeerProcess = SupergatewayProcess;

const PASS_THROUGH_SERVER = fileURLToPath(new URL('./pass-through-server.ts', import.meta.url));
const MCP_HUB = path.join(ROOT, 'node_modules/mcp-hub/dist/cli.js');
const MCP_PROXY = path.join(ROOT, 'node_modules/mcp-proxy/dist/bin/mcp-proxy.mjs');

/** Spawns `args` with Node, then waits until `isReady(port)` holds; stops it again on failure. */
async function startPeer(options: {
  what: string;
  args: (port: number) => string[];
  marker: string;
  env?: NodeJS.ProcessEnv;
  isReady: (port: number) => Promise<boolean>;
  timeoutMs?: number;
}): Promise<PeerProcess> {
  const port = await freePort();
  const child = spawnNode(options.args(port), options.marker, options.env);
  try {
    await waitFor(
      async () => {
        if (child.exitCode !== null || child.signalCode !== null) {
          throw new Error(`${options.what} exited: ${stderrTail(child).slice(-1_000)}`);
        }
        return (await options.isReady(port).catch(() => false)) ? true : undefined;
      },
      { timeoutMs: options.timeoutMs ?? 60_000, what: `${options.what} to listen`, intervalMs: 200 },
    );
  } catch (error) {
    await stopChild(child);
    throw error;
  }
  return { pid: child.pid ?? 0, port, child, stop: () => stopChild(child) };
}

async function answersPost(port: number, urlPath: string): Promise<boolean> {
  const response = await fetch(`http://127.0.0.1:${port}${urlPath}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 'probe', method: 'ping' }),
    signal: AbortSignal.timeout(2_000),
  });
  await response.arrayBuffer();
  return response.status < 500;
}

/**
 * The verbatim HTTP→stdio pass-through (see pass-through-server.ts) in front of `command`: the
 * cheapest Node HTTP gateway, the floor the supervisor's gateway is measured against.
 */
export function startPassThrough(options: {
  command: string[];
  marker: string;
  /** Node flags of the pass-through process (e.g. `--cpu-prof`). */
  execArgv?: string[];
}): Promise<PeerProcess> {
  return startPeer({
    what: 'the pass-through',
    marker: options.marker,
    args: (port) => [...(options.execArgv ?? []), PASS_THROUGH_SERVER, String(port), ...options.command],
    isReady: (port) => answersPost(port, '/'),
  });
}

/**
 * mcp-hub with one stdio server named `name`, serving every server's tools as `<name>__<tool>` on
 * its SSE endpoint (`GET /mcp`, `POST /messages`). Its logs and workspace cache go under `stateDir`.
 */
export async function startMcpHub(options: {
  name: string;
  command: string[];
  marker: string;
  stateDir: string;
}): Promise<PeerProcess> {
  await mkdir(options.stateDir, { recursive: true });
  const configFile = path.join(options.stateDir, 'mcp-hub.json');
  const [command, ...args] = options.command;
  await writeFile(
    configFile,
    JSON.stringify({
      mcpServers: { [options.name]: { command, args, env: { [BENCH_MARKER_VAR]: options.marker } } },
    }),
  );
  const xdg = {
    XDG_STATE_HOME: path.join(options.stateDir, 'state'),
    XDG_CONFIG_HOME: path.join(options.stateDir, 'config'),
    XDG_DATA_HOME: path.join(options.stateDir, 'data'),
    HOME: options.stateDir,
  };
  return startPeer({
    what: 'mcp-hub',
    marker: options.marker,
    env: xdg,
    args: (port) => [MCP_HUB, '--port', String(port), '--config', configFile],
    // The hub answers its health route before its servers have connected: wait for "connected".
    isReady: async (port) => {
      const response = await fetch(`http://127.0.0.1:${port}/api/servers`, {
        signal: AbortSignal.timeout(2_000),
      });
      const text = await response.text();
      return response.ok && text.includes('"connected"');
    },
  });
}

/**
 * mcp-proxy in front of `command`, Streamable HTTP only (`--server stream`, stateful sessions, at
 * `/mcp`), with its debug log off.
 */
export function startMcpProxy(options: { command: string[]; marker: string }): Promise<PeerProcess> {
  return startPeer({
    what: 'mcp-proxy',
    marker: options.marker,
    args: (port) => [MCP_PROXY, '--port', String(port), '--server', 'stream', '--', ...options.command],
    isReady: (port) => answersPost(port, '/mcp'),
  });
}
