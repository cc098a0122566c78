import type { Notification } from '@modelcontextprotocol/sdk/types.js';
import type { SupervisorCore } from '../core/supervisor.ts';
import type { RequestId } from './jsonrpc.ts';
import type { Session } from './session.ts';
import type { SessionRegistry } from './sessions.ts';

/**
 * Notifications both ways. From servers: each one to the sessions of that server and to the
 * aggregated sessions that may reach it (log messages there name the server), and the
 * list-changed notices a reload or a server coming back owes the clients. From clients:
 * cancellation of a request in flight, and a roots change passed to the servers.
 */
export class Notifications {
  readonly #sessions: SessionRegistry;
  readonly #core: SupervisorCore;

  constructor(options: { sessions: SessionRegistry; core: SupervisorCore }) {
    this.#sessions = options.sessions;
    this.#core = options.core;
  }

  /** A notification `server` sent, to every session that can receive it. */
  fromServer(server: string, notification: Notification): void {
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

  /**
   * `tools/list_changed` to the sessions of `server` and the aggregated ones; with no server (a
   * reload added or removed some), the aggregated sessions also hear that prompts and
   * resources changed.
   */
  listChanged(server: string | undefined): void {
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
      const targets = session.server ? [session.server] : [...this.#core.servers.keys()];
      for (const name of targets)
        void this.#core.servers
          .get(name)
          ?.upstream.client?.sendRootsListChanged()
          .catch(() => {});
    }
    // notifications/initialized and others need nothing from the gateway.
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
