import { type Client, ProtocolError } from '@modelcontextprotocol/client';
import { INPUT_METHODS, noClientFor } from '../protocol/mrtr.ts';
import type { Dispatcher } from './dispatch.ts';
import type { MrtrBridge } from './mrtr-bridge.ts';
import type { InFlight, Session } from './session.ts';
import type { SessionRegistry } from './sessions.ts';

type Result = Record<string, unknown>;

/** Who answers one server→client request. */
type Target =
  | { kind: 'session'; session: Session; inFlight?: InFlight; startedAt: number }
  | { kind: 'flight'; flightId: string; startedAt: number };

/**
 * The one owner of server→client requests (sampling, elicitation, roots) of 2025 servers: installs
 * their handlers on each server's upstream client and decides who answers.
 *
 * A request goes to the client whose request is in flight on that server — the most recent one
 * among those whose key may use the server and that declared the capability (a 2025 session, or a
 * 2026 client's flight, where it becomes an `input_required` round: mrtr-bridge.ts). A 2025 server's
 * request names no request of its own, so "the most recent in flight" is the attribution on stdio.
 * Roots also describe a client rather than a call: with nothing in flight, `roots/list` goes to the
 * live session that announced its roots to that server (`notifications/roots/list_changed`).
 * Otherwise the server gets the documented error (-32601, protocol/mrtr.ts `noClientFor`): never
 * a session of another scope, never a dead one, never an answer the gateway made up.
 */
export class ServerRequests {
  readonly #sessions: SessionRegistry;
  readonly #dispatcher: Dispatcher;
  readonly #mrtr: MrtrBridge;
  readonly #timeoutMs: number;
  /** Per server, the session that last announced its roots to it. */
  readonly #rootsOwners = new Map<string, Session>();

  constructor(options: {
    sessions: SessionRegistry;
    dispatcher: Dispatcher;
    mrtr: MrtrBridge;
    timeoutMs: number;
  }) {
    this.#sessions = options.sessions;
    this.#dispatcher = options.dispatcher;
    this.#mrtr = options.mrtr;
    this.#timeoutMs = options.timeoutMs;
  }

  /** Installs the handlers on `client`, the upstream client of `server`. */
  install(server: string, client: Client): void {
    for (const method of Object.keys(INPUT_METHODS)) {
      client.setRequestHandler(
        method as 'roots/list',
        (request, ctx) => this.#route(server, method, request.params, ctx.mcpReq.signal) as never,
      );
    }
  }

  /** `session` told `servers` its roots changed: it answers their `roots/list` while nothing is in flight. */
  rootsAnnounced(session: Session, servers: readonly string[]): void {
    for (const server of servers) this.#rootsOwners.set(server, session);
  }

  async #route(
    server: string,
    method: string,
    params: Result | undefined,
    signal: AbortSignal,
  ): Promise<Result> {
    const target = this.#targetFor(server, method);
    if (!target) {
      const error = noClientFor(method);
      throw new ProtocolError(error.code, `${error.message} (server "${server}")`);
    }
    if (target.kind === 'flight') return this.#mrtr.serverRequest(target.flightId, method, params);
    const response = await target.session.requestFromClient(method, params, {
      ...(target.inFlight ? { via: target.inFlight } : {}),
      timeoutMs: this.#timeoutMs,
      signal,
    });
    if (response.error)
      throw new ProtocolError(response.error.code, response.error.message, response.error.data);
    return response.result ?? {};
  }

  #targetFor(server: string, method: string): Target | undefined {
    const capability = INPUT_METHODS[method];
    if (capability === undefined) return undefined;
    let best: Target | undefined;
    for (const session of this.#sessions.values()) {
      if (session.isClosed || !session.canReach(server) || !session.capabilities[capability]) continue;
      for (const inFlight of session.inFlight.values()) {
        if (best && inFlight.startedAt <= best.startedAt) continue;
        if (this.#dispatcher.targetOf(session, inFlight.method, inFlight.params) === server)
          best = { kind: 'session', session, inFlight, startedAt: inFlight.startedAt };
      }
    }
    const flight = this.#mrtr.candidate(server, method);
    if (flight && (!best || flight.startedAt > best.startedAt)) best = { kind: 'flight', ...flight };
    if (best || capability !== 'roots') return best;
    const owner = this.#rootsOwners.get(server);
    if (owner && this.#sessions.get(owner.id) === owner && owner.isLive && owner.canReach(server))
      return { kind: 'session', session: owner, startedAt: 0 };
    this.#rootsOwners.delete(server);
    return undefined;
  }
}
