import { randomUUID } from 'node:crypto';
import type { ClientCapabilities, Implementation } from '@modelcontextprotocol/sdk/types.js';
import type { SseWriter } from '../http/sse.ts';
import { errorResponse, type JsonRpcResponse, type RequestId } from './jsonrpc.ts';
import { JSONRPC_REQUEST_CANCELLED, JSONRPC_REQUEST_TIMEOUT, JSONRPC_SESSION_ERROR } from './rpc-errors.ts';

/** A downstream request being served. */
export interface InFlight {
  readonly id: RequestId;
  readonly method: string;
  /** What the client sent: server→client requests find the server a request went to from it. */
  readonly params?: Record<string, unknown> | undefined;
  readonly abort: AbortController;
  /** The POST's own SSE stream, when the request is answered as a stream. */
  stream?: SseWriter;
  readonly startedAt: number;
}

interface PendingClientRequest {
  resolve: (response: JsonRpcResponse) => void;
  timer: NodeJS.Timeout;
}

/**
 * One downstream MCP session (Streamable HTTP, `Mcp-Session-Id`): who the client is, what it can
 * do, its standalone stream for notifications, its requests in flight, and the server→client
 * requests it owes an answer to.
 */
export class Session {
  readonly id = randomUUID();
  /** `undefined` for the aggregated endpoint, else the server name. */
  readonly server: string | undefined;
  /** The client key id (or the session id when auth is off): per-client limits key on it. */
  readonly clientKey: string;
  /** Servers the key may reach; `undefined` = all. */
  readonly scope: ReadonlySet<string> | undefined;
  readonly clientInfo: Implementation | undefined;
  readonly capabilities: ClientCapabilities;
  readonly protocolVersion: string;
  lastActiveAt = Date.now();
  standalone: SseWriter | undefined;
  readonly inFlight = new Map<RequestId, InFlight>();
  readonly #pending = new Map<RequestId, PendingClientRequest>();
  #nextOutgoingId = 0;
  #isClosed = false;

  constructor(options: {
    server: string | undefined;
    clientKey: string | undefined;
    scope: ReadonlySet<string> | undefined;
    clientInfo: Implementation | undefined;
    capabilities: ClientCapabilities;
    protocolVersion: string;
  }) {
    this.server = options.server;
    this.clientKey = options.clientKey ?? this.id;
    this.scope = options.scope;
    this.clientInfo = options.clientInfo;
    this.capabilities = options.capabilities;
    this.protocolVersion = options.protocolVersion;
  }

  get isClosed(): boolean {
    return this.#isClosed;
  }

  canReach(server: string): boolean {
    return this.scope === undefined || this.scope.has(server);
  }

  /** Sends a notification on the standalone stream; dropped when the client has none open. */
  notify(message: unknown): boolean {
    return this.standalone?.send(message) ?? false;
  }

  /**
   * Sends a server→client request (sampling, elicitation, roots) on the stream of the request it
   * belongs to, else on the standalone stream, and waits for the client's answer. Resolves with a
   * JSON-RPC error response when there is no stream, on timeout, or when `signal` aborts: never hangs.
   */
  requestFromClient(
    method: string,
    params: Record<string, unknown> | undefined,
    options: { via?: InFlight; timeoutMs: number; signal?: AbortSignal },
  ): Promise<JsonRpcResponse> {
    const id = `mcps-${this.#nextOutgoingId++}`;
    const message = { jsonrpc: '2.0', id, method, ...(params ? { params } : {}) };
    const stream = options.via?.stream && !options.via.stream.isClosed ? options.via.stream : this.standalone;
    if (!stream?.send(message)) {
      return Promise.resolve(
        errorResponse(
          id,
          JSONRPC_SESSION_ERROR,
          `the client has no open stream to receive ${method}; open the GET stream`,
        ),
      );
    }
    return new Promise((resolve) => {
      const finish = (response: JsonRpcResponse) => {
        clearTimeout(timer);
        this.#pending.delete(id);
        resolve(response);
      };
      const timer = setTimeout(
        () =>
          finish(
            errorResponse(
              id,
              JSONRPC_REQUEST_TIMEOUT,
              `the client did not answer ${method} within ${options.timeoutMs} ms`,
            ),
          ),
        options.timeoutMs,
      );
      timer.unref();
      this.#pending.set(id, { resolve: finish, timer });
      options.signal?.addEventListener(
        'abort',
        () => {
          this.notify({
            jsonrpc: '2.0',
            method: 'notifications/cancelled',
            params: { requestId: id, reason: 'cancelled' },
          });
          finish(errorResponse(id, JSONRPC_REQUEST_CANCELLED, 'request cancelled'));
        },
        { once: true },
      );
    });
  }

  /** Routes a client's response to the server→client request it answers; false if none waits. */
  deliverResponse(response: JsonRpcResponse): boolean {
    if (response.id === null) return false;
    const pending = this.#pending.get(response.id);
    if (!pending) return false;
    pending.resolve(response);
    return true;
  }

  /** Aborts everything in flight, answers pending client requests, ends the streams. */
  close(reason: string): void {
    if (this.#isClosed) return;
    this.#isClosed = true;
    for (const inFlight of this.inFlight.values()) inFlight.abort.abort(new Error(reason));
    for (const [id, pending] of this.#pending)
      pending.resolve(errorResponse(id, JSONRPC_SESSION_ERROR, reason));
    this.#pending.clear();
    this.standalone?.end();
  }
}
