import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import {
  type ClientCapabilities,
  CreateMessageRequestSchema,
  ElicitRequestSchema,
  ListRootsRequestSchema,
  McpError,
} from '@modelcontextprotocol/sdk/types.js';
import type { Dispatcher } from './dispatch.ts';
import { JSONRPC_INVALID_REQUEST } from './rpc-errors.ts';
import type { InFlight, Session } from './session.ts';
import type { SessionRegistry } from './sessions.ts';

/**
 * The one owner of server→client requests (sampling, elicitation, roots): installs their
 * handlers on each server's upstream client and sends each request to the session whose request
 * is in flight on that server (the most recent one whose client declared the capability); with
 * none, a clear error, never a hang. Roots describe the client, not a call: any session of the
 * server that has them answers.
 */
export class ServerRequests {
  readonly #sessions: SessionRegistry;
  readonly #dispatcher: Dispatcher;
  readonly #timeoutMs: number;

  constructor(options: { sessions: SessionRegistry; dispatcher: Dispatcher; timeoutMs: number }) {
    this.#sessions = options.sessions;
    this.#dispatcher = options.dispatcher;
    this.#timeoutMs = options.timeoutMs;
  }

  /** Installs the handlers on `client`, the upstream client of `server`. */
  install(server: string, client: Client): void {
    client.setRequestHandler(
      CreateMessageRequestSchema,
      (request, extra) =>
        this.#route(server, request.method, request.params, 'sampling', extra.signal) as never,
    );
    client.setRequestHandler(
      ElicitRequestSchema,
      (request, extra) =>
        this.#route(server, request.method, request.params, 'elicitation', extra.signal) as never,
    );
    client.setRequestHandler(
      ListRootsRequestSchema,
      (request, extra) => this.#route(server, request.method, request.params, 'roots', extra.signal) as never,
    );
  }

  async #route(
    server: string,
    method: string,
    params: Record<string, unknown> | undefined,
    capability: keyof ClientCapabilities,
    signal: AbortSignal,
  ): Promise<Record<string, unknown>> {
    const target = this.#sessionFor(server, capability);
    if (!target) {
      if (method === 'roots/list') return { roots: [] };
      throw new McpError(
        JSONRPC_INVALID_REQUEST,
        `${method} from server "${server}": no connected client with ${capability} support has a request in flight on it`,
      );
    }
    const response = await target.session.requestFromClient(method, params, {
      ...(target.inFlight ? { via: target.inFlight } : {}),
      timeoutMs: this.#timeoutMs,
      signal,
    });
    if (response.error) throw new McpError(response.error.code, response.error.message, response.error.data);
    return response.result ?? {};
  }

  #sessionFor(server: string, capability: keyof ClientCapabilities) {
    let best: { session: Session; inFlight?: InFlight } | undefined;
    let bestStartedAt = -1;
    for (const session of this.#sessions.values()) {
      if (!session.capabilities[capability]) continue;
      for (const inFlight of session.inFlight.values()) {
        if (
          inFlight.startedAt > bestStartedAt &&
          this.#dispatcher.targetOf(session, inFlight.method, inFlight.params) === server
        ) {
          best = { session, inFlight };
          bestStartedAt = inFlight.startedAt;
        }
      }
    }
    if (best || capability !== 'roots') return best;
    for (const session of this.#sessions.values()) {
      if (session.capabilities.roots && (session.server === server || session.server === undefined))
        return { session };
    }
    return undefined;
  }
}
