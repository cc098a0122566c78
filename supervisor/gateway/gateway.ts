import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import {
  type ClientCapabilities,
  CreateMessageRequestSchema,
  ElicitRequestSchema,
  type Implementation,
  ListRootsRequestSchema,
  McpError,
  type Notification,
  SUPPORTED_PROTOCOL_VERSIONS,
} from '@modelcontextprotocol/sdk/types.js';
import type { ClientKeyInfo } from '../client/wire-types.ts';
import type { SupervisorSettings } from '../config/schema.ts';
import type { ServerRuntime } from '../core/server-runtime.ts';
import type { SupervisorCore } from '../core/supervisor.ts';
import { bearerToken, isTokenValid } from '../http/bearer.ts';
import { isBodyTooLarge, readBody } from '../http/body.ts';
import { sendJson } from '../http/respond.ts';
import { SseWriter } from '../http/sse.ts';
import type { Forwarder } from '../limits/forwarder.ts';
import { errorMessage, SupervisorError } from '../shared/errors.ts';
import type { Logger } from '../shared/logger.ts';
import { refusalToJsonRpcError } from '../shared/refusals.ts';
import { UpstreamRpcError } from '../shared/upstream-error.ts';
import { Dispatcher } from './dispatch.ts';
import {
  classifyMessage,
  errorResponse,
  JSONRPC_INTERNAL_ERROR,
  JSONRPC_INVALID_PARAMS,
  JSONRPC_INVALID_REQUEST,
  JSONRPC_PARSE_ERROR,
  JSONRPC_SESSION_ERROR,
  type JsonRpcRequest,
  type JsonRpcResponse,
  type RequestId,
  resultResponse,
} from './jsonrpc.ts';
import { type InFlight, Session } from './session.ts';

export interface ClientKeyVerifier {
  verify(token: string): Promise<ClientKeyInfo | undefined> | ClientKeyInfo | undefined;
}

/** Methods during which a server may send requests to the client (sampling, elicitation). */
const STREAMED_METHODS = new Set(['tools/call', 'prompts/get', 'resources/read', 'completion/complete']);

const SESSION_HEADER = 'mcp-session-id';

const OWNER_KEY: ClientKeyInfo = { id: 'owner', name: 'owner', servers: null };

/**
 * The MCP gateway over Streamable HTTP: `/mcp` (aggregated) and `/mcp/<server>` (one server).
 * Stateful sessions (`Mcp-Session-Id`), a standalone GET stream per session for notifications,
 * DELETE to end a session, idle sessions expired, the session count bounded. Requests that may
 * stream (tools/call …) are answered as SSE when the client accepts it, the rest as JSON.
 *
 * A lean implementation of the transport rather than the SDK's server transport: each request is
 * parsed once, checked by hand and written straight to the socket, which keeps the gateway's own
 * cost per call a small fraction of a millisecond.
 */
export class Gateway {
  readonly #core: SupervisorCore;
  readonly #settings: SupervisorSettings;
  readonly #logger: Logger;
  readonly #keys: ClientKeyVerifier | undefined;
  readonly #ownerToken: string | undefined;
  readonly #forwarder: Forwarder;
  readonly #dispatcher: Dispatcher;
  readonly #sessions = new Map<string, Session>();
  readonly #sweep: NodeJS.Timeout;
  readonly #unsubscribe: (() => void)[] = [];
  #isClosed = false;

  constructor(options: {
    core: SupervisorCore;
    settings: SupervisorSettings;
    logger: Logger;
    forwarder: Forwarder;
    /** Undefined when `gateway.auth` is `none`. */
    keys: ClientKeyVerifier | undefined;
    /** The control API token: whoever can read it owns the supervisor, so it opens every server. */
    ownerToken?: string;
  }) {
    this.#core = options.core;
    this.#settings = options.settings;
    this.#logger = options.logger;
    this.#keys = options.keys;
    this.#ownerToken = options.ownerToken;
    this.#forwarder = options.forwarder;
    this.#dispatcher = new Dispatcher({ core: options.core, forwarder: options.forwarder });
    this.#sweep = setInterval(
      () => this.#expireIdleSessions(),
      Math.min(60_000, this.#settings.gateway.sessionIdleMs),
    );
    this.#sweep.unref();
    for (const runtime of this.#core.servers.values()) this.#attach(runtime);
    this.#unsubscribe.push(
      this.#core.onServersChanged(({ added, removed }) => {
        for (const name of removed) {
          void this.#forwarder.remove(name);
          this.#dispatcher.forget(name);
          for (const session of this.#sessions.values()) {
            if (session.server === name)
              this.#closeSession(session, `server "${name}" was removed or changed`);
          }
        }
        for (const runtime of added) this.#attach(runtime);
        this.#broadcastListChanged(undefined);
      }),
      this.#core.onEvent((event) => {
        // A server that comes back (restart, reconnect) may have other tools: tell its clients.
        if (event.kind === 'online') this.#broadcastListChanged(event.server);
      }),
    );
  }

  get sessionCount(): number {
    return this.#sessions.size;
  }

  get forwarder(): Forwarder {
    return this.#forwarder;
  }

  /** The HTTP handler for `/mcp` and `/mcp/<server>`. */
  async handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const server = this.#serverOf(url.pathname);
    if (server === null)
      return sendRpcError(res, 404, null, JSONRPC_INVALID_REQUEST, `no MCP endpoint ${url.pathname}`);
    if (server !== undefined && !this.#core.servers.has(server)) {
      const known = [...this.#core.servers.keys()].join(', ') || 'none';
      return sendRpcError(
        res,
        404,
        null,
        JSONRPC_INVALID_REQUEST,
        `no server named "${server}" (configured: ${known})`,
      );
    }
    const key = await this.#authenticate(req, res, server);
    if (key === false) return;
    if (req.method === 'POST') return this.#post(req, res, server, key);
    if (req.method === 'GET') return this.#get(req, res, server, key);
    if (req.method === 'DELETE') return this.#delete(req, res, server, key);
    res.setHeader('allow', 'GET, POST, DELETE');
    return sendRpcError(
      res,
      405,
      null,
      JSONRPC_INVALID_REQUEST,
      `method ${req.method} is not allowed on an MCP endpoint`,
    );
  }

  /** Ends every session and answers whatever is still in flight. */
  async close(): Promise<void> {
    if (this.#isClosed) return;
    this.#isClosed = true;
    clearInterval(this.#sweep);
    for (const unsubscribe of this.#unsubscribe) unsubscribe();
    for (const session of this.#sessions.values()) session.close('the supervisor is stopping');
    this.#sessions.clear();
  }

  /** `undefined` = aggregated, a name = one server, `null` = not an MCP path. */
  #serverOf(pathname: string): string | undefined | null {
    if (pathname === '/mcp' || pathname === '/mcp/') return undefined;
    return parseServerPath(pathname);
  }

  async #authenticate(req: IncomingMessage, res: ServerResponse, server: string | undefined) {
    if (!this.#keys) return undefined;
    const token = bearerToken(req.headers.authorization);
    if (!token) {
      res.setHeader('www-authenticate', 'Bearer');
      sendRpcError(
        res,
        401,
        null,
        JSONRPC_INVALID_REQUEST,
        'missing bearer token: create a client key with `mcp-supervisor keys create NAME`',
      );
      return false as const;
    }
    const key =
      this.#ownerToken !== undefined && isTokenValid(token, this.#ownerToken)
        ? OWNER_KEY
        : await this.#keys.verify(token);
    if (!key) {
      res.setHeader('www-authenticate', 'Bearer error="invalid_token"');
      sendRpcError(
        res,
        401,
        null,
        JSONRPC_INVALID_REQUEST,
        'unknown or revoked client key: see `mcp-supervisor keys list`',
      );
      return false as const;
    }
    if (server !== undefined && key.servers !== null && !key.servers.includes(server)) {
      sendRpcError(
        res,
        403,
        null,
        JSONRPC_INVALID_REQUEST,
        `client key "${key.name}" may not use server "${server}"`,
      );
      return false as const;
    }
    return key;
  }

  async #post(
    req: IncomingMessage,
    res: ServerResponse,
    server: string | undefined,
    key: ClientKeyInfo | undefined,
  ) {
    const contentType = req.headers['content-type'] ?? '';
    if (!contentType.toLowerCase().startsWith('application/json')) {
      return sendRpcError(res, 415, null, JSONRPC_INVALID_REQUEST, 'Content-Type must be application/json');
    }
    let body: unknown;
    try {
      body = JSON.parse(
        (
          await readBody(req, this.#settings.gateway.maxBodyBytes, 'supervisor.gateway.maxBodyBytes')
        ).toString('utf8'),
      );
    } catch (error) {
      if (isBodyTooLarge(error)) {
        return sendRpcError(res, 413, null, JSONRPC_INVALID_REQUEST, error.message);
      }
      return sendRpcError(
        res,
        400,
        null,
        JSONRPC_PARSE_ERROR,
        `request body is not valid JSON: ${errorMessage(error)}`,
      );
    }
    if (Array.isArray(body)) {
      return sendRpcError(
        res,
        400,
        null,
        JSONRPC_INVALID_REQUEST,
        'JSON-RPC batches are not supported (MCP 2025-06-18); send one message per request',
      );
    }
    const parsed = classifyMessage(body);
    if (parsed.kind === 'invalid')
      return sendRpcError(res, 400, parsed.id, JSONRPC_INVALID_REQUEST, parsed.reason);
    const version = req.headers['mcp-protocol-version'];
    if (typeof version === 'string' && !SUPPORTED_PROTOCOL_VERSIONS.includes(version)) {
      return sendRpcError(
        res,
        400,
        null,
        JSONRPC_INVALID_REQUEST,
        `unsupported MCP-Protocol-Version "${version}"`,
      );
    }

    if (parsed.kind === 'request' && parsed.message.method === 'initialize') {
      return this.#initialize(req, res, server, key, parsed.message);
    }
    const session = this.#sessionOf(req, res, server, key);
    if (!session) return;
    session.lastActiveAt = Date.now();

    if (parsed.kind === 'notification') {
      this.#onClientNotification(session, parsed.message.method, parsed.message.params);
      res.writeHead(202).end();
      return;
    }
    if (parsed.kind === 'response') {
      session.deliverResponse(parsed.message);
      res.writeHead(202).end();
      return;
    }
    return this.#request(req, res, session, parsed.message);
  }

  async #initialize(
    req: IncomingMessage,
    res: ServerResponse,
    server: string | undefined,
    key: ClientKeyInfo | undefined,
    request: JsonRpcRequest,
  ) {
    if (req.headers[SESSION_HEADER]) {
      return sendRpcError(
        res,
        400,
        request.id,
        JSONRPC_INVALID_REQUEST,
        'initialize must not carry an Mcp-Session-Id',
      );
    }
    if (this.#sessions.size >= this.#settings.gateway.maxSessions) this.#expireIdleSessions(true);
    if (this.#sessions.size >= this.#settings.gateway.maxSessions) {
      res.setHeader('retry-after', '5');
      return sendRpcError(
        res,
        503,
        request.id,
        JSONRPC_SESSION_ERROR,
        `too many sessions (${this.#settings.gateway.maxSessions}); close idle clients or raise supervisor.gateway.maxSessions`,
      );
    }
    const params = request.params ?? {};
    let result: Record<string, unknown>;
    try {
      result = this.#dispatcher.initializeResult(server, params.protocolVersion);
    } catch (error) {
      return sendJson(res, 200, toErrorResponse(request.id, error));
    }
    const session = new Session({
      server,
      clientKey: key?.id,
      scope: key?.servers ? new Set(key.servers) : undefined,
      clientInfo: params.clientInfo as Implementation | undefined,
      capabilities: (params.capabilities as ClientCapabilities | undefined) ?? {},
      protocolVersion: String(result.protocolVersion),
    });
    this.#sessions.set(session.id, session);
    this.#logger.debug(
      { session: session.id, server, client: session.clientInfo?.name },
      'MCP session opened',
    );
    sendJson(res, 200, resultResponse(request.id, result), { [SESSION_HEADER]: session.id });
  }

  #sessionOf(
    req: IncomingMessage,
    res: ServerResponse,
    server: string | undefined,
    key: ClientKeyInfo | undefined,
  ) {
    const id = req.headers[SESSION_HEADER];
    if (typeof id !== 'string' || id === '') {
      sendRpcError(
        res,
        400,
        null,
        JSONRPC_INVALID_REQUEST,
        'Mcp-Session-Id header is required: send initialize first',
      );
      return undefined;
    }
    const session = this.#sessions.get(id);
    if (!session || session.server !== server || session.clientKey !== (key?.id ?? session.id)) {
      sendRpcError(
        res,
        404,
        null,
        JSONRPC_SESSION_ERROR,
        'session not found (expired or closed): initialize a new session',
      );
      return undefined;
    }
    return session;
  }

  async #request(req: IncomingMessage, res: ServerResponse, session: Session, request: JsonRpcRequest) {
    const { id, method, params } = request;
    if (session.inFlight.has(id)) {
      return sendRpcError(
        res,
        400,
        id,
        JSONRPC_INVALID_REQUEST,
        `request id ${JSON.stringify(id)} is already in flight`,
      );
    }
    const abort = new AbortController();
    const inFlight: InFlight = { id, method, abort, startedAt: Date.now() };
    session.inFlight.set(id, inFlight);
    const accept = req.headers.accept ?? '';
    const progressToken = (params?._meta as { progressToken?: unknown } | undefined)?.progressToken;
    // A stream only when something may precede the answer: progress the client asked for, or a
    // sampling/elicitation request to a client that can take one. Otherwise a plain JSON answer is
    // one write instead of three.
    const canBeAsked =
      session.capabilities.sampling !== undefined || session.capabilities.elicitation !== undefined;
    const isStreamed =
      accept.includes('text/event-stream') &&
      (progressToken !== undefined || (canBeAsked && STREAMED_METHODS.has(method)));
    if (isStreamed) inFlight.stream = new SseWriter(res, { headers: { [SESSION_HEADER]: session.id } });
    // The client going away mid-request cancels it upstream.
    const onClose = () => {
      if (session.inFlight.get(id) === inFlight) abort.abort(new Error('the client disconnected'));
    };
    res.on('close', onClose);
    const onProgress =
      progressToken === undefined
        ? undefined
        : (progress: object) => {
            const notification = {
              jsonrpc: '2.0',
              method: 'notifications/progress',
              params: { ...progress, progressToken },
            };
            if (!inFlight.stream?.send(notification)) session.notify(notification);
          };
    let response: JsonRpcResponse;
    try {
      const result = await this.#dispatcher.handle(session, method, params, {
        session,
        inFlight,
        signal: abort.signal,
        ...(onProgress ? { onProgress } : {}),
      });
      response = resultResponse(id, result);
    } catch (error) {
      response = toErrorResponse(id, error);
      // A cancel or a disconnect is the client's choice, not a failure of ours.
      if (!abort.signal.aborted && !(error instanceof McpError) && !(error instanceof SupervisorError)) {
        this.#logger.error({ err: error, method, session: session.id }, 'gateway request failed');
      }
    } finally {
      res.off('close', onClose);
      session.inFlight.delete(id);
    }
    if (abort.signal.aborted && res.destroyed) return;
    if (inFlight.stream) inFlight.stream.end(response);
    else sendJson(res, 200, response, { [SESSION_HEADER]: session.id });
  }

  #get(
    req: IncomingMessage,
    res: ServerResponse,
    server: string | undefined,
    key: ClientKeyInfo | undefined,
  ) {
    if (!(req.headers.accept ?? '').includes('text/event-stream')) {
      return sendRpcError(
        res,
        406,
        null,
        JSONRPC_INVALID_REQUEST,
        'the GET stream needs Accept: text/event-stream',
      );
    }
    const session = this.#sessionOf(req, res, server, key);
    if (!session) return;
    if (session.standalone && !session.standalone.isClosed) {
      return sendRpcError(
        res,
        409,
        null,
        JSONRPC_INVALID_REQUEST,
        'this session already has an open GET stream',
      );
    }
    const stream = new SseWriter(res, { headers: { [SESSION_HEADER]: session.id }, heartbeatMs: 15_000 });
    // The client's fetch resolves on the headers: send them (with a comment) at once.
    stream.comment('stream open');
    session.standalone = stream;
    session.lastActiveAt = Date.now();
    stream.onClose(() => {
      if (session.standalone === stream) session.standalone = undefined;
      session.lastActiveAt = Date.now();
    });
  }

  #delete(
    req: IncomingMessage,
    res: ServerResponse,
    server: string | undefined,
    key: ClientKeyInfo | undefined,
  ) {
    const session = this.#sessionOf(req, res, server, key);
    if (!session) return;
    this.#closeSession(session, 'the client ended the session');
    res.writeHead(200, { 'content-length': 0 }).end();
  }

  #closeSession(session: Session, reason: string): void {
    this.#sessions.delete(session.id);
    session.close(reason);
  }

  #expireIdleSessions(isUnderPressure = false): void {
    const idleMs = isUnderPressure
      ? Math.min(60_000, this.#settings.gateway.sessionIdleMs)
      : this.#settings.gateway.sessionIdleMs;
    const cutoff = Date.now() - idleMs;
    for (const session of this.#sessions.values()) {
      const isBusy = session.inFlight.size > 0 || (session.standalone && !session.standalone.isClosed);
      if (!isBusy && session.lastActiveAt < cutoff) this.#closeSession(session, 'idle session expired');
    }
  }

  #onClientNotification(session: Session, method: string, params: Record<string, unknown> | undefined): void {
    if (method === 'notifications/cancelled') {
      const requestId = params?.requestId as RequestId | undefined;
      const inFlight = requestId === undefined ? undefined : session.inFlight.get(requestId);
      inFlight?.abort.abort(
        new Error(typeof params?.reason === 'string' ? params.reason : 'cancelled by the client'),
      );
      return;
    }
    if (method === 'notifications/roots/list_changed') {
      const targets = session.server ? [session.server] : [...this.#core.servers.keys()];
      for (const name of targets)
        void this.#core.servers
          .get(name)
          ?.upstream.client?.sendRootsListChanged()
          .catch(() => {});
    }
    // notifications/initialized and others need nothing from the gateway.
  }

  /** Hooks a server's upstream: its notifications and its requests to clients. */
  #attach(runtime: ServerRuntime): void {
    runtime.upstream.on('notification', (notification) =>
      this.#fanOutNotification(runtime.name, notification),
    );
    runtime.upstream.setClientConfigurer((client) => this.#routeServerRequests(runtime.name, client));
  }

  #fanOutNotification(server: string, notification: Notification): void {
    const message = { jsonrpc: '2.0', ...notification };
    let aggregated: unknown;
    for (const session of this.#sessions.values()) {
      if (session.server === server) session.notify(message);
      else if (session.server === undefined && session.canReach(server)) {
        aggregated ??= aggregateNotification(server, message);
        session.notify(aggregated);
      }
    }
  }

  #broadcastListChanged(server: string | undefined): void {
    const tools = { jsonrpc: '2.0', method: 'notifications/tools/list_changed' };
    for (const session of this.#sessions.values()) {
      if (
        server === undefined
          ? session.server === undefined
          : session.server === server || session.server === undefined
      ) {
        session.notify(tools);
        if (session.server === undefined && server === undefined) {
          session.notify({ jsonrpc: '2.0', method: 'notifications/prompts/list_changed' });
          session.notify({ jsonrpc: '2.0', method: 'notifications/resources/list_changed' });
        }
      }
    }
  }

  /**
   * Server→client requests go to the session whose request is in flight on that server (the most
   * recent one whose client declared the capability); with none, a clear error, never a hang.
   */
  #routeServerRequests(server: string, client: Client): void {
    const route = async (
      method: string,
      params: Record<string, unknown> | undefined,
      capability: keyof ClientCapabilities,
      signal: AbortSignal,
    ) => {
      const target = this.#sessionForServerRequest(server, capability);
      if (!target) {
        if (method === 'roots/list') return { roots: [] };
        throw new McpError(
          JSONRPC_INVALID_REQUEST,
          `${method} from server "${server}": no connected client with ${capability} support has a request in flight on it`,
        );
      }
      const response = await target.session.requestFromClient(method, params, {
        ...(target.inFlight ? { via: target.inFlight } : {}),
        timeoutMs: this.#settings.limits.requestTimeoutMs,
        signal,
      });
      if (response.error)
        throw new McpError(response.error.code, response.error.message, response.error.data);
      return response.result ?? {};
    };
    client.setRequestHandler(
      CreateMessageRequestSchema,
      (request, extra) => route(request.method, request.params, 'sampling', extra.signal) as never,
    );
    client.setRequestHandler(
      ElicitRequestSchema,
      (request, extra) => route(request.method, request.params, 'elicitation', extra.signal) as never,
    );
    client.setRequestHandler(
      ListRootsRequestSchema,
      (request, extra) => route(request.method, request.params, 'roots', extra.signal) as never,
    );
  }

  #sessionForServerRequest(server: string, capability: keyof ClientCapabilities) {
    let best: { session: Session; inFlight?: InFlight } | undefined;
    let bestStartedAt = -1;
    for (const session of this.#sessions.values()) {
      if (!session.capabilities[capability]) continue;
      for (const inFlight of session.inFlight.values()) {
        if (inFlight.server === server && inFlight.startedAt > bestStartedAt) {
          best = { session, inFlight };
          bestStartedAt = inFlight.startedAt;
        }
      }
    }
    if (best || capability !== 'roots') return best;
    // Roots describe the client, not a call: any session of this server that has them will do.
    for (const session of this.#sessions.values()) {
      if (session.capabilities.roots && (session.server === server || session.server === undefined))
        return { session };
    }
    return undefined;
  }
}

/** The server a `/mcp/<server>` path names (percent-decoded), or `null` for any other path. */
function parseServerPath(pathname: string): string | null {
  const match = /^\/mcp\/([^/]+)\/?$/.exec(pathname);
  if (!match?.[1]) return null;
  try {
    return decodeURIComponent(match[1]);
  } catch {
    return null;
  }
}

/** On the aggregated endpoint, a server's log messages name the server in `logger`. */
function aggregateNotification(
  server: string,
  message: { method: string; params?: Record<string, unknown> },
) {
  if (message.method !== 'notifications/message') return message;
  const logger = message.params?.logger;
  return {
    ...message,
    params: { ...message.params, logger: typeof logger === 'string' ? `${server}/${logger}` : server },
  };
}

/** The JSON-RPC error for anything a request threw: the server's own, a refusal, or ours. */
export function toErrorResponse(id: RequestId, error: unknown): JsonRpcResponse {
  const refusal = refusalToJsonRpcError(error);
  if (refusal) return errorResponse(id, refusal.code, refusal.message, refusal.data);
  if (error instanceof UpstreamRpcError) return errorResponse(id, error.code, error.message, error.data);
  if (error instanceof McpError) {
    // McpError prefixes "MCP error <code>: "; the client gets the server's message unchanged.
    const message = error.message.replace(/^MCP error -?\d+: /, '');
    return errorResponse(id, error.code, message, error.data);
  }
  if (error instanceof SupervisorError) {
    const code =
      error.code === 'UNKNOWN_SERVER' || error.code === 'BAD_REQUEST'
        ? JSONRPC_INVALID_PARAMS
        : JSONRPC_INTERNAL_ERROR;
    return errorResponse(id, code, error.message);
  }
  if (error instanceof Error && error.name === 'AbortError')
    return errorResponse(id, -32800, 'request cancelled');
  return errorResponse(id, JSONRPC_INTERNAL_ERROR, `internal error: ${errorMessage(error)}`);
}

function sendRpcError(
  res: ServerResponse,
  status: number,
  id: RequestId | null,
  code: number,
  message: string,
): void {
  sendJson(res, status, errorResponse(id, code, message));
}
