/**
 * Shared pieces of the gateway integration tests: the fixture server's config entry and marker
 * file, SDK clients connected through the gateway, raw MCP requests for protocol errors, and the
 * end-of-suite check that the supervisor left nothing running.
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import {
  type ClientCapabilities,
  LATEST_PROTOCOL_VERSION,
  McpError,
} from '@modelcontextprotocol/sdk/types.js';
import { expect } from 'vitest';
import {
  cleanupTempHomes,
  describeProcesses,
  runCli,
  type SupervisorProcess,
  type TempHome,
  testServerEnv,
  waitFor,
  waitForNoProcessesUnder,
} from '../../helpers/index.ts';

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const SLOW_SERVER = path.join(HERE, 'fixtures/slow-server.mjs');

/** Config entry of the fixture server (`slow`, `exit`, `echo`), writing its markers to `markerFile`. */
export function slowServer(home: string, name: string, markerFile: string, extra: object = {}) {
  return {
    command: process.execPath,
    args: [SLOW_SERVER],
    env: { ...testServerEnv(home, name), MARKER_FILE: markerFile },
    ...extra,
  };
}

/** The lines the fixture wrote so far (none when it wrote nothing yet). */
export async function markers(file: string): Promise<string[]> {
  try {
    return (await readFile(file, 'utf8')).split('\n').filter((line) => line !== '');
  } catch {
    return [];
  }
}

/** Waits until the fixture wrote `line`; fails with what it did write. */
export async function waitForMarker(file: string, line: string, timeoutMs = 10_000): Promise<string[]> {
  let last: string[] = [];
  return waitFor(
    async () => {
      last = await markers(file);
      return last.includes(line) ? last : undefined;
    },
    { timeoutMs, intervalMs: 50, what: `marker "${line}" in ${file}`, describeLast: () => last.join(' | ') },
  );
}

export function mcpUrl(port: number, server?: string): URL {
  return new URL(
    server === undefined ? `http://127.0.0.1:${port}/mcp` : `http://127.0.0.1:${port}/mcp/${server}`,
  );
}

export interface ConnectedClient {
  client: Client;
  transport: StreamableHTTPClientTransport;
  close(): Promise<void>;
}

/** A real SDK client connected over Streamable HTTP (the GET stream opens after initialize). */
export async function connectClient(
  url: URL,
  options: { capabilities?: ClientCapabilities; token?: string; name?: string } = {},
): Promise<ConnectedClient> {
  const transport = new StreamableHTTPClientTransport(url, {
    requestInit: options.token ? { headers: { authorization: `Bearer ${options.token}` } } : {},
  });
  const client = new Client(
    { name: options.name ?? 'gateway-test', version: '1.0.0' },
    { capabilities: options.capabilities ?? {} },
  );
  await client.connect(transport);
  return {
    client,
    transport,
    close: async () => {
      await transport.terminateSession().catch(() => {});
      await client.close().catch(() => {});
    },
  };
}

/** The text parts of a tool result, joined. */
export function textOf(result: unknown): string {
  const content = (result as { content?: { type: string; text?: string }[] }).content ?? [];
  return content.map((part) => part.text ?? '').join('');
}

/** A key the CLI created (`keys create NAME [--servers] --json`): its token, shown once. */
export interface CreatedKey {
  token: string;
  key: { id: string; name: string; servers: string[] | null };
}

/** Creates a client key with the real CLI, scoped to `servers` when given. */
export async function createKey(home: string, name: string, servers?: string[]): Promise<CreatedKey> {
  const args = ['keys', 'create', name, ...(servers ? ['--servers', servers.join(',')] : []), '--json'];
  const result = await runCli(args, { home });
  expect(result.code, result.stderr).toBe(0);
  return JSON.parse(result.stdout) as CreatedKey;
}

/** The McpError a promise rejects with; fails the test when it resolves or rejects otherwise. */
export async function mcpErrorOf(promise: Promise<unknown>): Promise<McpError> {
  try {
    const value = await promise;
    throw new Error(`expected an MCP error, got a result: ${JSON.stringify(value).slice(0, 500)}`);
  } catch (error) {
    if (error instanceof McpError) return error;
    throw error;
  }
}

/** Settles `promise` or fails after `ms`: a test of "an error, not a hang" must not wait forever. */
export async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not settle within ${ms} ms (a hang)`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export const JSON_AND_SSE = 'application/json, text/event-stream';

/** Headers of a raw MCP POST. */
export function mcpHeaders(extra: Record<string, string> = {}): Record<string, string> {
  return { 'content-type': 'application/json', accept: JSON_AND_SSE, ...extra };
}

/** `initialize` over raw fetch; resolves with the new session id. */
export async function rawInitialize(url: URL, headers: Record<string, string> = {}): Promise<string> {
  const response = await fetch(url, {
    method: 'POST',
    headers: mcpHeaders(headers),
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 0,
      method: 'initialize',
      params: {
        protocolVersion: LATEST_PROTOCOL_VERSION,
        capabilities: {},
        clientInfo: { name: 'raw-fetch', version: '1.0.0' },
      },
    }),
  });
  const text = await response.text();
  expect(response.status, text).toBe(200);
  const session = response.headers.get('mcp-session-id');
  expect(session, 'initialize answered without an Mcp-Session-Id').toBeTruthy();
  const initialized = await fetch(url, {
    method: 'POST',
    headers: mcpHeaders({ ...headers, 'mcp-session-id': session! }),
    body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }),
  });
  await initialized.text();
  expect(initialized.status).toBe(202);
  return session!;
}

/** A raw POST; resolves with the status and the decoded body (undefined when empty or not JSON). */
export async function rawPost(
  url: URL,
  body: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: RawRpcBody | undefined; text: string }> {
  const response = await fetch(url, { method: 'POST', headers: mcpHeaders(headers), body });
  const text = await response.text();
  return { status: response.status, body: parseJson(text), text };
}

export interface RawRpcBody {
  jsonrpc?: string;
  id?: unknown;
  result?: Record<string, unknown>;
  error?: { code: number; message: string; data?: unknown };
}

function parseJson(text: string): RawRpcBody | undefined {
  try {
    return JSON.parse(text) as RawRpcBody;
  } catch {
    return undefined;
  }
}

/**
 * Stops the supervisor with the CLI, checks that nothing of the home is still running, and runs
 * the temp-home safety net. For `afterAll`.
 */
export async function stopAndCheck(supervisor: SupervisorProcess | undefined, home: TempHome | undefined) {
  const problems: string[] = [];
  if (supervisor) {
    const stopped = await runCli(['stop'], { home: supervisor.home, timeoutMs: 45_000 }).catch(
      (error: unknown) => ({ code: null, stderr: String(error) }),
    );
    if (stopped.code !== 0) {
      problems.push(`mcp-supervisor stop failed (exit ${stopped.code}): ${stopped.stderr}`);
      problems.push(`supervisor log tail:\n${await logTail(supervisor)}`);
    }
  }
  if (home) {
    const left = await waitForNoProcessesUnder(home.path, { timeoutMs: 15_000 });
    if (left.length > 0) problems.push(`still running after stop:\n${describeProcesses(left)}`);
  }
  // The safety net kills and reports what is left; its report would hide the first problem.
  await cleanupTempHomes().catch((error: unknown) => problems.push(String(error)));
  expect(problems, problems.join('\n')).toEqual([]);
}

/** The last lines of the supervisor's own log, for failure messages. */
async function logTail(supervisor: SupervisorProcess): Promise<string> {
  try {
    const files = (await readdir(supervisor.paths.logDir)).filter((name) => name.endsWith('.log'));
    const texts = await Promise.all(
      files.map((name) => readFile(path.join(supervisor.paths.logDir, name), 'utf8')),
    );
    return texts.join('\n').split('\n').slice(-40).join('\n');
  } catch (error) {
    return `(no log: ${String(error)})`;
  }
}
/** The JSON-RPC messages of an SSE body (`data:` lines of `message` events), in order. */
export function sseMessages(text: string): RawRpcBody[] {
  const messages: RawRpcBody[] = [];
  for (const event of text.split(/\r?\n\r?\n/)) {
    const data = event
      .split(/\r?\n/)
      .filter((line) => line.startsWith('data:'))
      .map((line) => line.slice(5).trimStart())
      .join('\n');
    if (data !== '') messages.push(JSON.parse(data) as RawRpcBody & { method?: string });
  }
  return messages;
}
