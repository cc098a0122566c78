/**
 * Shared pieces of the abuse suite: client keys made through the control API, raw MCP sessions
 * and calls carrying a key, and timing of one request. Everything targets 127.0.0.1 only.
 */
import { LATEST_PROTOCOL_VERSION } from '@modelcontextprotocol/sdk/types.js';
import { expect } from 'vitest';
import type { SupervisorProcess } from '../../helpers/index.ts';
import { mcpHeaders, mcpUrl, type RawRpcBody, rawPost } from '../gateway/helpers.ts';

export interface CreatedKey {
  token: string;
  key: { id: string; name: string; servers: string[] | null };
}

/** A client key made through the running supervisor's control API. */
export function createKey(
  supervisor: SupervisorProcess,
  name: string,
  servers?: string[],
): Promise<CreatedKey> {
  return supervisor.client.request<CreatedKey>('POST', '/api/keys', {
    body: JSON.stringify({ name, servers: servers ?? null }),
  });
}

/** One MCP session on `/mcp/<server>` (or `/mcp`) for a key, over raw fetch. */
export class RawSession {
  readonly #url: URL;
  readonly #token: string;
  #id = '';
  #nextId = 1;

  constructor(port: number, server: string | undefined, token: string) {
    this.#url = mcpUrl(port, server);
    this.#token = token;
  }

  get id(): string {
    return this.#id;
  }

  /** `initialize` + `notifications/initialized`; resolves with the HTTP status of initialize. */
  async open(): Promise<{ status: number; body: RawRpcBody | undefined; retryAfter: string | null }> {
    const response = await fetch(this.#url, {
      method: 'POST',
      headers: mcpHeaders({ authorization: `Bearer ${this.#token}` }),
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 0,
        method: 'initialize',
        params: {
          protocolVersion: LATEST_PROTOCOL_VERSION,
          capabilities: {},
          clientInfo: { name: 'abuse', version: '1.0.0' },
        },
      }),
    });
    const text = await response.text();
    const body = text ? (JSON.parse(text) as RawRpcBody) : undefined;
    const retryAfter = response.headers.get('retry-after');
    if (response.status !== 200) return { status: response.status, body, retryAfter };
    this.#id = response.headers.get('mcp-session-id') ?? '';
    const initialized = await this.post(
      JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }),
    );
    expect(initialized.status).toBe(202);
    return { status: 200, body, retryAfter };
  }

  /** A raw POST of `body` in this session. */
  post(body: string) {
    return rawPost(this.#url, body, { authorization: `Bearer ${this.#token}`, 'mcp-session-id': this.#id });
  }

  /** A request built from `method` and `params`, with a fresh id. */
  request(method: string, params?: unknown) {
    const id = this.#nextId++;
    return this.post(
      JSON.stringify({ jsonrpc: '2.0', id, method, ...(params === undefined ? {} : { params }) }),
    );
  }

  /** `tools/call`; resolves with the HTTP status and the JSON-RPC body. */
  callTool(name: string, args: Record<string, unknown>) {
    return this.request('tools/call', { name, arguments: args });
  }

  async close(): Promise<void> {
    if (this.#id === '') return;
    await fetch(this.#url, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${this.#token}`, 'mcp-session-id': this.#id },
    }).then(
      (response) => response.text(),
      () => undefined,
    );
  }
}

/** Runs `task` and resolves with its value and how long it took. */
export async function timed<T>(task: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const startedAt = performance.now();
  const value = await task();
  return { value, ms: performance.now() - startedAt };
}

/**
 * The text of a `tools/call` body whose `arguments` nest `depth` objects: built as a string,
 * since a value that deep cannot be built with JSON.stringify in the first place.
 */
export function nestedCallBody(id: number, tool: string, depth: number): string {
  return `{"jsonrpc":"2.0","id":${id},"method":"tools/call","params":{"name":"${tool}","arguments":${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}}}`;
}
