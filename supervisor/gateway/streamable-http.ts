import type { IncomingMessage, ServerResponse } from 'node:http';
import { type ClientCapabilities, type Implementation, McpError } from '@modelcontextprotocol/sdk/types.js';
import type { ClientKeyInfo } from '../client/wire-types.ts';
import type { SupervisorSettings } from '../config/schema.ts';
import type { SupervisorCore } from '../core/supervisor.ts';
import { isBodyTooLarge, readBody } from '../http/body.ts';
import { sendJson } from '../http/respond.ts';
import { SseWriter } from '../http/sse.ts';
import { classifyHttpRequest } from '../protocol/classify.ts';
import { errorMessage, SupervisorError } from '../shared/errors.ts';
import type { Logger } from '../shared/logger.ts';
import type { GatewayAuth } from './auth.ts';
import type { CallContext, Dispatcher } from './dispatch.ts';
import { headerOf, serverOf, sessionlessMethod } from './endpoint.ts';
import { classifyMessage, type JsonRpcRequest, type JsonRpcResponse, resultResponse } from './jsonrpc.ts';
import type { ModernHttp } from './modern-http.ts';
import type { Notifications } from './notifications.ts';
import {
  JSONRPC_INVALID_REQUEST,
  JSONRPC_PARSE_ERROR,
  JSONRPC_SESSION_ERROR,
  sendRpcError,
  toErrorResponse,
} from './rpc-errors.ts';
import { type InFlight, Session } from './session.ts';
import type { SessionRegistry } from './sessions.ts';

/** Methods during which a server may send requests to the client (sampling, elicitation). */
const STREAMED_METHODS = new Set(['tools/call', 'prompts/get', 'resources/read', 'completion/complete']);

const SESSION_HEADER = 'mcp-session-id';
/** Bound of the path → server cache. */
const MAX_CACHED_PATHS = 256;

/**
 * The Streamable HTTP transport of `/mcp` and `/mcp/<server>`, for both protocol eras on the same
 * endpoint: each POST is classified by its own content and headers (protocol/classify.ts, the SDK's
 * decision): a 2026-07-28 request goes the stateless path (modern-http.ts), a rejection is answered
 * as the revision prescribes, and 2025 traffic goes the session path here — POST (initialize, a
 * notification, a client's response, or a request), GET (the session's standalone stream for
 * notifications and server→client requests) and DELETE (end the session). A request is
 * answered as SSE only when something may precede its answer (progress it asked for, or a
 * sampling/elicitation request to a client that can take one), otherwise as one JSON write; its
 * lifecycle (abort on cancel or disconnect, progress back to the client) is owned here.
 *
 * A lean implementation rather than the SDK's server transport: each request is parsed once,
 * checked by hand and written straight to the socket, which keeps the gateway's own cost per
 * call a small fraction of a millisecond (test/bench/gateway-bench.ts).
 */
export class StreamableHttp {
  readonly #core: SupervisorCore;
  readonly #settings: SupervisorSettings;
  readonly #logger: Logger;
  readonly #auth: GatewayAuth;
  readonly #sessions: SessionRegistry;
  readonly #dispatcher: Dispatcher;
  readonly #notifications: Notifications;
  /**
   * {@link serverOf} by path: a client calls the same path over and over, and the regex and
   * percent-decoding were a cost only `/mcp/<server>` paid on every request (CPU profile).
   */
  readonly #servers = new Map<string, string | undefined | null>();
  readonly #modern: ModernHttp;
  readonly #onSessionClosed: (session: Session) => void;

  constructor(options: {
    core: SupervisorCore;
    settings: SupervisorSettings;
    logger: Logger;
    auth: GatewayAuth;
    sessions: SessionRegistry;
    dispatcher: Dispatcher;
    notifications: Notifications;
    modern: ModernHttp;
    /** Called once when a session ends (its subscriptions go). */
    onSessionClosed: (session: Session) => void;
  }) {
    this.#core = options.core;
    this.#settings = options.settings;
    this.#logger = options.logger;
    this.#auth = options.auth;
    this.#sessions = options.sessions;
    this.#dispatcher = options.dispatcher;
    this.#notifications = options.notifications;
    this.#modern = options.modern;
    this.#onSessionClosed = options.onSessionClosed;
  }

  /** The HTTP handler for `/mcp` and `/mcp/<server>`. */
  async handle(req: IncomingMessage, res: ServerResponse, url: Readonly<URL>): Promise<void> {
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
    const verdict = this.#auth.authenticate(req, res, server);
    const key = verdict instanceof Promise ? await verdict : verdict;
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

  #serverOf(pathname: string): string | undefined | null {
    if (pathname === '/mcp' || pathname === '/mcp/') return undefined;
    let server = this.#servers.get(pathname);
    if (server === undefined && !this.#servers.has(pathname)) {
      server = serverOf(pathname);
      // Bounded: a client walking many paths must not grow it (past the bound, parsed each time).
      if (this.#servers.size < MAX_CACHED_PATHS) this.#servers.set(pathname, server);
    }
    return server;
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
    const classified = classifyHttpRequest({
      httpMethod: 'POST',
      header: (name) => headerOf(req, name),
      body,
    });
    if (classified.era === 'reject') {
      // The SDK's classifier says only "not a valid JSON-RPC message"; ours says what is wrong
      // (e.g. a non-object `params._meta`), so the caller can fix it.
      const parsed = Array.isArray(body) ? undefined : classifyMessage(body);
      if (parsed?.kind === 'invalid' && classified.response.error.code === JSONRPC_INVALID_REQUEST) {
        return sendRpcError(res, classified.httpStatus, parsed.id, JSONRPC_INVALID_REQUEST, parsed.reason);
      }
      return sendJson(res, classified.httpStatus, classified.response);
    }
    if (classified.era === 'modern') return this.#modern.handle(req, res, server, key, classified);
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

    if (parsed.kind === 'request' && parsed.message.method === 'initialize') {
      return this.#initialize(req, res, server, key, parsed.message);
    }
    const session = this.#sessionOf(req, res, server, key);
    if (!session) return;
    session.lastActiveAt = Date.now();

    if (parsed.kind === 'notification') {
      this.#notifications.fromClient(session, parsed.message.method, parsed.message.params);
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
    const refusal = this.#sessions.admit(key?.id);
    if (refusal) {
      res.setHeader('retry-after', String(refusal.retryAfterSeconds));
      const message =
        refusal.limit === 'maxSessionsPerKey'
          ? `client key "${key?.name}" has ${refusal.max} sessions, its share (supervisor.gateway.maxSessionsPerKey), all answering requests; end sessions with DELETE, or raise the share`
          : `too many sessions (${refusal.max}, supervisor.gateway.maxSessions); close idle clients or raise supervisor.gateway.maxSessions`;
      return sendRpcError(res, 503, request.id, JSONRPC_SESSION_ERROR, message);
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
    session.onClosed(() => this.#onSessionClosed(session));
    this.#sessions.add(session);
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
    const inFlight: InFlight = { id, method, params, abort, startedAt: Date.now() };
    session.inFlight.set(id, inFlight);
    const progressToken = (params?._meta as { progressToken?: unknown } | undefined)?.progressToken;
    // A stream only when something may precede the answer: progress the client asked for, or a
    // sampling/elicitation request to a client that can take one. Otherwise a plain JSON answer is
    // one write instead of three.
    const canBeAsked =
      session.capabilities.sampling !== undefined || session.capabilities.elicitation !== undefined;
    const isStreamed =
      (req.headers.accept ?? '').includes('text/event-stream') &&
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
      const context: CallContext = {
        caller: session,
        signal: abort.signal,
        inFlight,
        inputTimeoutMs: this.#settings.limits.requestTimeoutMs,
      };
      if (onProgress) context.onProgress = onProgress;
      const result = await this.#dispatcher.handle(method, params, context);
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
    if (!req.headers[SESSION_HEADER]) return sessionlessMethod(res, 'GET');
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
    if (!req.headers[SESSION_HEADER]) return sessionlessMethod(res, 'DELETE');
    const session = this.#sessionOf(req, res, server, key);
    if (!session) return;
    this.#sessions.close(session, 'the client ended the session');
    res.writeHead(200, { 'content-length': 0 }).end();
  }
}
