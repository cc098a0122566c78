import type { SupervisorCore } from '../core/supervisor.ts';
import type { UpstreamNotification } from '../upstream/upstream.ts';
import type { RequestId } from './jsonrpc.ts';
import type { Listens } from './listens.ts';
import type { ServerRequests } from './server-requests.ts';
import type { Session } from './session.ts';
import type { SessionRegistry } from './sessions.ts';

/**
 * Notifications both ways. From servers (of either era: a 2026 server's come through the
 * upstream's own `subscriptions/listen` stream): list changes to the 2025 sessions of that server
 * and the aggregated ones that may reach it, `notifications/resources/updated` only to the
 * sessions that subscribed to that URI, everything else (log messages) as it came, and each to
 * the 2026 `subscriptions/listen` streams that opted in (listens.ts). Also the list-changed
 * notices a reload or a server coming back owes the clients. From clients: cancellation of a
 * request in flight, and a roots change passed to the servers the session may use.
 */
export class Notifications {
  readonly #sessions: SessionRegistry;
  readonly #core: SupervisorCore;
  readonly #listens: Listens;
  readonly #serverRequests: ServerRequests;

  constructor(options: {
    sessions: SessionRegistry;
    core: SupervisorCore;
    listens: Listens;
    serverRequests: ServerRequests;
  }) {
    this.#sessions = options.sessions;
    this.#core = options.core;
    this.#listens = options.listens;
    this.#serverRequests = options.serverRequests;
  }

  /** A notification `server` sent, to every session and listen stream that can receive it. */
  fromServer(server: string, notification: UpstreamNotification): void {
    const message = { jsonrpc: '2.0' as const, ...notification };
    const uri =
      notification.method === 'notifications/resources/updated' ? notification.params?.uri : undefined;
    let aggregated: unknown;
    for (const session of this.#sessions.values()) {
      const isOwn = session.server === server;
      if (!isOwn && !(session.server === undefined && session.canReach(server))) continue;
      if (typeof uri === 'string' && !session.isSubscribed(server, uri)) continue;
      if (isOwn) session.notify(message);
      else {
        aggregated ??= aggregateNotification(server, message);
        session.notify(aggregated);
      }
    }
    this.#listens.fromServer(server, message);
  }

  /**
   * `tools/list_changed` to the sessions of `server` and the aggregated ones; with no server (a
   * reload added or removed some), the aggregated sessions also hear that prompts and
   * resources changed.
   */
  listChanged(server: string | undefined): void {
    const tools = { jsonrpc: '2.0' as const, method: 'notifications/tools/list_changed' };
    const others = [
      { jsonrpc: '2.0' as const, method: 'notifications/prompts/list_changed' },
      { jsonrpc: '2.0' as const, method: 'notifications/resources/list_changed' },
    ];
    for (const session of this.#sessions.values()) {
      if (
        server === undefined
          ? session.server === undefined
          : session.server === server || session.server === undefined
      ) {
        session.notify(tools);
        if (session.server === undefined && server === undefined)
          for (const other of others) session.notify(other);
      }
    }
    this.#listens.listChanged(server, tools);
    if (server === undefined) for (const other of others) this.#listens.listChanged(undefined, other);
  }

  /** A notification a client sent on `session`. */
  fromClient(session: Session, method: string, params: Record<string, unknown> | undefined): void {
    if (method === 'notifications/cancelled') {
      const requestId = params?.requestId as RequestId | undefined;
      const inFlight = requestId === undefined ? undefined : session.inFlight.get(requestId);
      inFlight?.abort.abort(
        new Error(typeof params?.reason === 'string' ? params.reason : 'cancelled by the client'),
      );
      return;
    }
    if (method === 'notifications/roots/list_changed') {
      // Only the servers this session may use hear of its roots (issue 9: a key scoped to one
      // server must never be asked for its roots by another).
      const targets = session.server
        ? [session.server]
        : [...this.#core.servers.keys()].filter((name) => session.canReach(name));
      if (session.capabilities.roots) this.#serverRequests.rootsAnnounced(session, targets);
      for (const name of targets)
        void this.#core.servers
          .get(name)
          ?.upstream.sendRootsListChanged()
          .catch(() => {});
    }
    // notifications/initialized and others need nothing from the gateway.
  }
}

/** On the aggregated endpoint, a server's log messages name the server in `logger`. */
export function aggregateNotification(
  server: string,
  message: { jsonrpc: '2.0'; method: string; params?: Record<string, unknown> },
) {
  if (message.method !== 'notifications/message') return message;
  const logger = message.params?.logger;
  return {
    ...message,
    params: { ...message.params, logger: typeof logger === 'string' ? `${server}/${logger}` : server },
  };
}
