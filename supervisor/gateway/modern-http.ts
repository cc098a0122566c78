import type { IncomingMessage, ServerResponse } from 'node:http';
import { McpError } from '@modelcontextprotocol/sdk/types.js';
import type { ClientKeyInfo } from '../client/wire-types.ts';
import { sendJson } from '../http/respond.ts';
import { SseWriter } from '../http/sse.ts';
import type { Classification } from '../protocol/classify.ts';
import { routeModernRequest, toModernError } from '../protocol/modern-to-legacy.ts';
import type { SubscriptionFilter } from '../protocol/subscriptions.ts';
import { SupervisorError } from '../shared/errors.ts';
import type { Logger } from '../shared/logger.ts';
import { ModernCaller } from './caller.ts';
import type { CallContext, Dispatcher } from './dispatch.ts';
import { errorResponse, type JsonRpcResponse, resultResponse } from './jsonrpc.ts';
import type { Listens } from './listens.ts';
import { modernHttpStatus, RpcAnswerError, toErrorResponse } from './rpc-errors.ts';

type ModernRequest = Extract<Classification, { era: 'modern' }>;

/**
 * What the gateway answers itself on the stateless path (or refuses: the methods 2026-07-28
 * removed), so every other request goes to the dispatcher without a routing step of its own.
 */
const GATEWAY_METHODS = new Set([
  'server/discover',
  'subscriptions/listen',
  'initialize',
  'ping',
  'logging/setLevel',
  'resources/subscribe',
  'resources/unsubscribe',
]);

/**
 * The stateless path of `/mcp` and `/mcp/<server>` for 2026-07-28 requests
 * (basic/transports/streamable-http): no session; each request carries its client in `_meta`
 * (the classifier has checked the envelope and the standard headers). `server/discover` and
 * `subscriptions/listen` are the gateway's; the methods the revision removed are 404 / -32601;
 * everything else is dispatched like a 2025 session's request, with the era mapping of the
 * dispatcher. The answer is one JSON write, or SSE when progress may come first; the response
 * stream closing before the answer is the request's cancellation.
 */
export class ModernHttp {
  readonly #dispatcher: Dispatcher;
  readonly #listens: Listens;
  readonly #logger: Logger;

  constructor(options: { dispatcher: Dispatcher; listens: Listens; logger: Logger }) {
    this.#dispatcher = options.dispatcher;
    this.#listens = options.listens;
    this.#logger = options.logger;
  }

  async handle(
    req: IncomingMessage,
    res: ServerResponse,
    server: string | undefined,
    key: ClientKeyInfo | undefined,
    request: ModernRequest,
  ): Promise<void> {
    if (request.kind === 'notification') {
      // 2026-07-28 cancels by closing the request's stream; no notification needs the gateway.
      res.writeHead(202).end();
      return;
    }
    const { id, method, params } = request.message;
    const caller = new ModernCaller({
      server,
      clientKey: key?.id,
      scope: key?.servers,
      envelope: request.envelope,
    });
    if (GATEWAY_METHODS.has(method)) {
      const route = routeModernRequest(method, params);
      // The methods 2026-07-28 removed. (A malformed MRTR retry is the dispatcher's to judge: only
      // the gateway's own rounds, for a 2025 server, must carry its requestState.)
      if (route.kind === 'error')
        return sendJson(res, route.httpStatus, errorResponse(id, route.code, route.message));
      let discovered: Record<string, unknown>;
      try {
        discovered = this.#dispatcher.discover(server);
      } catch (error) {
        return this.#answerError(res, id, error);
      }
      if (route.kind !== 'listen') return sendJson(res, 200, resultResponse(id, discovered));
      const capabilities = (discovered.capabilities ?? {}) as Record<string, unknown>;
      return this.#listens.open(res, caller, id, route.filter as SubscriptionFilter, capabilities);
    }
    const abort = new AbortController();
    let isAnswered = false;
    res.on('close', () => {
      if (!isAnswered) abort.abort(new Error('the client closed the request stream'));
    });
    const progressToken = (params?._meta as { progressToken?: unknown } | undefined)?.progressToken;
    const stream =
      progressToken !== undefined && (req.headers.accept ?? '').includes('text/event-stream')
        ? new SseWriter(res, { headers: { 'x-accel-buffering': 'no' } })
        : undefined;
    const onProgress =
      progressToken === undefined
        ? undefined
        : (progress: object) =>
            stream?.send({
              jsonrpc: '2.0',
              method: 'notifications/progress',
              params: { ...progress, progressToken },
            });
    let response: JsonRpcResponse;
    let status = 200;
    try {
      const context: CallContext = { caller, signal: abort.signal };
      if (onProgress) context.onProgress = onProgress;
      const result = await this.#dispatcher.handle(method, params, context);
      response = resultResponse(id, result);
    } catch (error) {
      response = toErrorResponse(id, error);
      if (response.error) {
        response.error = toModernError(response.error);
        status = error instanceof RpcAnswerError ? error.httpStatus : modernHttpStatus(response.error.code);
      }
      if (!abort.signal.aborted && !(error instanceof McpError) && !(error instanceof SupervisorError)) {
        this.#logger.debug({ err: error, method }, '2026-07-28 request failed');
      }
    } finally {
      isAnswered = true;
    }
    if (abort.signal.aborted && res.destroyed) return;
    if (stream) stream.end(response);
    else sendJson(res, status, response);
  }

  #answerError(res: ServerResponse, id: string | number, error: unknown): void {
    const response = toErrorResponse(id, error);
    if (response.error) response.error = toModernError(response.error);
    sendJson(res, 200, response);
  }
}
