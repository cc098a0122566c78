import { Pool } from 'undici';

/** The protocol version the bench clients ask for (the SDK's latest at the time of writing). */
export const BENCH_PROTOCOL_VERSION = '2025-06-18';

/** The stateless revision: no session, every request carries its client in `_meta`. */
export const MODERN_PROTOCOL_VERSION = '2026-07-28';

/** The per-request envelope of a 2026-07-28 bench client (basic/index#meta). */
const MODERN_ENVELOPE = {
  'io.modelcontextprotocol/protocolVersion': MODERN_PROTOCOL_VERSION,
  'io.modelcontextprotocol/clientInfo': { name: 'gateway-bench', version: '0.0.0' },
  'io.modelcontextprotocol/clientCapabilities': {},
};

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
 * A deliberately lean Streamable HTTP MCP client for benchmarks: one session, undici's `Pool` (the
 * HTTP/1.1 client inside Node's fetch, without fetch's WHATWG layers) with one keep-alive
 * connection per concurrent caller, bodies read whole and parsed once. It knows just enough of the
 * protocol to initialize a session and send requests.
 *
 * undici rather than node:http: on the 2-core bench machine the client shares the CPU with every
 * process it measures, and node:http spent ~0.06 ms per call against undici's ~0.035 ms.
 */
export class LeanMcpClient {
  readonly #origin: string;
  readonly #path: string;
  readonly #pool: Pool;
  /** Sent with every request (e.g. `authorization`), as name, value pairs. */
  readonly #extraHeaders: string[];
  readonly #isModern: boolean;
  readonly #isPoolShared: boolean;
  #sessionId: string | undefined;
  #nextId = 1;

  /**
   * `revision: '2026-07-28'` makes a stateless client: no `initialize`, each request with the
   * envelope in `params._meta` and the `MCP-Protocol-Version`, `Mcp-Method`, `Mcp-Name` headers.
   * `pool`: connections shared with other clients (many sessions, few sockets), never closed here.
   */
  constructor(options: {
    url: string;
    maxSockets: number;
    headers?: Record<string, string>;
    revision?: typeof MODERN_PROTOCOL_VERSION;
    pool?: Pool;
  }) {
    this.#isModern = options.revision === MODERN_PROTOCOL_VERSION;
    const url = new URL(options.url);
    this.#extraHeaders = Object.entries(options.headers ?? {}).flat();
    this.#origin = url.origin;
    this.#path = url.pathname;
    this.#isPoolShared = options.pool !== undefined;
    this.#pool = options.pool ?? new Pool(url.origin, { connections: options.maxSockets, pipelining: 1 });
  }

  get sessionId(): string | undefined {
    return this.#sessionId;
  }

  /** `initialize` then `notifications/initialized`; rejects when the server refuses. */
  async connect(signal?: AbortSignal): Promise<Record<string, unknown>> {
    if (this.#isModern) {
      // Nothing to open: one `server/discover` checks the endpoint serves the revision.
      const discovered = await this.request('server/discover', {}, signal);
      if (discovered.kind === 'error')
        throw new Error(`server/discover failed: ${discovered.code} ${discovered.message}`);
      return discovered.result;
    }
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
    if (this.#isModern) {
      const name = method === 'tools/call' || method === 'prompts/get' ? params.name : params.uri;
      const response = await this.#send(
        'POST',
        JSON.stringify({ jsonrpc: '2.0', id, method, params: { ...params, _meta: MODERN_ENVELOPE } }),
        signal,
        ['mcp-method', method, ...(typeof name === 'string' ? ['mcp-name', name] : [])],
      );
      return toOutcome(parseRpcBody(response.body, response.contentType, id), response.status);
    }
    const response = await this.#post({ jsonrpc: '2.0', id, method, params }, signal);
    return toOutcome(parseRpcBody(response.body, response.contentType, id), response.status);
  }

  callTool(name: string, args: Record<string, unknown>, signal?: AbortSignal): Promise<RpcOutcome> {
    return this.request('tools/call', { name, arguments: args }, signal);
  }

  /** Ends the session (DELETE, best effort) and closes the connections. */
  async close(): Promise<void> {
    if (this.#sessionId) {
      await this.#send('DELETE', undefined, AbortSignal.timeout(2_000)).catch(() => undefined);
      this.#sessionId = undefined;
    }
    if (!this.#isPoolShared) await this.#pool.destroy();
  }

  #post(message: object, signal?: AbortSignal) {
    return this.#send('POST', JSON.stringify(message), signal);
  }

  /**
   * One request through undici's `dispatch` with a handler of our own: the response body arrives
   * as Buffers and is joined once, without the Readable stream and promise per body that
   * `request()` builds. Measured at 16 callers: ~0.028 ms of client CPU per call against ~0.033,
   * CPU that the client takes from the processes it measures on the 2-core bench machine.
   */
  #send(
    method: 'POST' | 'DELETE',
    body: string | undefined,
    signal?: AbortSignal,
    extraHeaders: string[] = [],
  ): Promise<{ status: number; contentType: string; sessionId: string | undefined; body: string }> {
    const headers = [
      'accept',
      'application/json, text/event-stream',
      'mcp-protocol-version',
      this.#isModern ? MODERN_PROTOCOL_VERSION : BENCH_PROTOCOL_VERSION,
      ...this.#extraHeaders,
      ...extraHeaders,
    ];
    if (body !== undefined) headers.push('content-type', 'application/json');
    if (this.#sessionId) headers.push('mcp-session-id', this.#sessionId);
    return new Promise((resolve, reject) => {
      signal?.throwIfAborted();
      const chunks: Buffer[] = [];
      let status = 0;
      let contentType = '';
      let sessionId: string | undefined;
      let onAbort: (() => void) | undefined;
      const settle = () => {
        if (onAbort) signal?.removeEventListener('abort', onAbort);
      };
      this.#pool.dispatch(
        { origin: this.#origin, path: this.#path, method, headers, body: body ?? null },
        {
          onRequestStart: (controller) => {
            if (!signal) return;
            onAbort = () => controller.abort(signal.reason);
            signal.addEventListener('abort', onAbort, { once: true });
          },
          onResponseStart: (_controller, statusCode, responseHeaders) => {
            status = statusCode;
            const type = responseHeaders['content-type'];
            contentType = typeof type === 'string' ? type : '';
            const session = responseHeaders['mcp-session-id'];
            sessionId = typeof session === 'string' ? session : undefined;
          },
          onResponseData: (_controller, chunk) => {
            chunks.push(chunk);
          },
          onResponseEnd: () => {
            settle();
            const text =
              chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks).toString('utf8');
            resolve({ status, contentType, sessionId, body: text });
          },
          onResponseError: (_controller, error) => {
            settle();
            reject(error);
          },
        },
      );
    });
  }
}
