import http from 'node:http';

/** The protocol version the bench clients ask for (the SDK's latest at the time of writing). */
export const BENCH_PROTOCOL_VERSION = '2025-06-18';

/** What came back for one JSON-RPC request. */
export type RpcOutcome =
  | { kind: 'result'; result: Record<string, unknown> }
  | { kind: 'error'; code: number; message: string; data: unknown; httpStatus: number };

/**
 * Pulls the JSON-RPC response with `id` out of a response body: a plain JSON body, or an SSE
 * stream whose `message` events may carry notifications before the answer.
 */
export function parseRpcBody(body: string, contentType: string, id: number | string): unknown {
  if (!contentType.startsWith('text/event-stream')) return JSON.parse(body);
  // Events are separated by a blank line; a `data:` line holds one JSON-RPC message.
  for (const line of body.split('\n')) {
    if (!line.startsWith('data:')) continue;
    const message = JSON.parse(line.slice(5)) as { id?: unknown };
    if (message.id === id) return message;
  }
  throw new Error(`no response with id ${JSON.stringify(id)} in the event stream: ${body.slice(0, 200)}`);
}

export function toOutcome(message: unknown, httpStatus: number): RpcOutcome {
  const value = message as {
    result?: Record<string, unknown>;
    error?: { code: number; message: string; data?: unknown };
  };
  if (value.result !== undefined) return { kind: 'result', result: value.result };
  if (value.error !== undefined) {
    return {
      kind: 'error',
      code: value.error.code,
      message: value.error.message,
      data: value.error.data,
      httpStatus,
    };
  }
  throw new Error(`HTTP ${httpStatus}: not a JSON-RPC response: ${JSON.stringify(message).slice(0, 200)}`);
}

/**
 * A deliberately lean Streamable HTTP MCP client for benchmarks: one session, node:http with a
 * keep-alive agent (one socket per concurrent caller), bodies read whole and parsed once. It knows
 * just enough of the protocol to initialize a session and send requests.
 */
export class LeanMcpClient {
  readonly #url: URL;
  readonly #agent: http.Agent;
  #sessionId: string | undefined;
  #nextId = 1;

  constructor(options: { url: string; maxSockets: number }) {
    this.#url = new URL(options.url);
    this.#agent = new http.Agent({ keepAlive: true, maxSockets: options.maxSockets });
  }

  get sessionId(): string | undefined {
    return this.#sessionId;
  }

  /** `initialize` then `notifications/initialized`; rejects when the server refuses. */
  async connect(signal?: AbortSignal): Promise<Record<string, unknown>> {
    const init = await this.#post(
      {
        jsonrpc: '2.0',
        id: 0,
        method: 'initialize',
        params: {
          protocolVersion: BENCH_PROTOCOL_VERSION,
          capabilities: {},
          clientInfo: { name: 'gateway-bench', version: '0.0.0' },
        },
      },
      signal,
    );
    const outcome = toOutcome(parseRpcBody(init.body, init.contentType, 0), init.status);
    if (outcome.kind === 'error') throw new Error(`initialize failed: ${outcome.code} ${outcome.message}`);
    if (!init.sessionId) throw new Error(`initialize answered without an mcp-session-id header`);
    this.#sessionId = init.sessionId;
    const initialized = await this.#post({ jsonrpc: '2.0', method: 'notifications/initialized' }, signal);
    if (initialized.status !== 202 && initialized.status !== 200) {
      throw new Error(`notifications/initialized answered HTTP ${initialized.status}: ${initialized.body}`);
    }
    return outcome.result;
  }

  /** Sends one request on the session and returns its result or JSON-RPC error. */
  async request(method: string, params: Record<string, unknown>, signal?: AbortSignal): Promise<RpcOutcome> {
    const id = this.#nextId++;
    const response = await this.#post({ jsonrpc: '2.0', id, method, params }, signal);
    return toOutcome(parseRpcBody(response.body, response.contentType, id), response.status);
  }

  callTool(name: string, args: Record<string, unknown>, signal?: AbortSignal): Promise<RpcOutcome> {
    return this.request('tools/call', { name, arguments: args }, signal);
  }

  /** Ends the session (DELETE, best effort) and closes the sockets. */
  async close(): Promise<void> {
    if (this.#sessionId) {
      await this.#send('DELETE', undefined, AbortSignal.timeout(2_000)).catch(() => undefined);
      this.#sessionId = undefined;
    }
    this.#agent.destroy();
  }

  #post(message: object, signal?: AbortSignal) {
    return this.#send('POST', JSON.stringify(message), signal);
  }

  #send(
    method: string,
    body: string | undefined,
    signal?: AbortSignal,
  ): Promise<{ status: number; contentType: string; sessionId: string | undefined; body: string }> {
    const headers: Record<string, string> = {
      accept: 'application/json, text/event-stream',
      'mcp-protocol-version': BENCH_PROTOCOL_VERSION,
    };
    if (body !== undefined) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = String(Buffer.byteLength(body));
    }
    if (this.#sessionId) headers['mcp-session-id'] = this.#sessionId;
    return new Promise((resolve, reject) => {
      const req = http.request(
        {
          host: this.#url.hostname,
          port: this.#url.port,
          path: this.#url.pathname,
          method,
          agent: this.#agent,
          headers,
          ...(signal ? { signal } : {}),
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => {
            const sessionHeader = res.headers['mcp-session-id'];
            resolve({
              status: res.statusCode ?? 0,
              contentType: res.headers['content-type'] ?? '',
              sessionId: typeof sessionHeader === 'string' ? sessionHeader : undefined,
              body:
                chunks.length === 1
                  ? (chunks[0] as Buffer).toString('utf8')
                  : Buffer.concat(chunks).toString('utf8'),
            });
          });
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  }
}
