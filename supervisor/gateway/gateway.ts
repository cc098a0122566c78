import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SupervisorSettings } from '../config/schema.ts';
import type { ServerRuntime } from '../core/server-runtime.ts';
import type { SupervisorCore } from '../core/supervisor.ts';
import type { Forwarder } from '../limits/forwarder.ts';
import type { Logger } from '../shared/logger.ts';
import { type ClientKeyVerifier, GatewayAuth } from './auth.ts';
import { Dispatcher } from './dispatch.ts';
import { Notifications } from './notifications.ts';
import { ServerRequests } from './server-requests.ts';
import { SessionRegistry } from './sessions.ts';
import { StreamableHttp } from './streamable-http.ts';

/**
 * The MCP gateway: `/mcp` (aggregated) and `/mcp/<server>` (one server) over Streamable HTTP.
 * This façade only puts the parts together and follows the servers:
 *
 * - `streamable-http.ts` — POST/GET/DELETE, their checks, JSON-or-SSE, the request lifecycle;
 * - `auth.ts` — client keys and the owner's token; `sessions.ts` — the registry, its bound, expiry;
 * - `dispatch.ts` — where each request goes (transparent per server, `<server>__<name>` aggregated);
 * - `notifications.ts` — notifications both ways; `server-requests.ts` — sampling, elicitation, roots;
 * - `rpc-errors.ts` — every JSON-RPC code and the mapping of errors to them.
 */
export class Gateway {
  readonly #sessions: SessionRegistry;
  readonly #dispatcher: Dispatcher;
  readonly #notifications: Notifications;
  readonly #serverRequests: ServerRequests;
  readonly #http: StreamableHttp;
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
    const { core, settings, logger } = options;
    this.#sessions = new SessionRegistry({
      maxSessions: settings.gateway.maxSessions,
      sessionIdleMs: settings.gateway.sessionIdleMs,
      logger,
    });
    this.#dispatcher = new Dispatcher({ core, forwarder: options.forwarder });
    this.#notifications = new Notifications({ sessions: this.#sessions, core });
    this.#serverRequests = new ServerRequests({
      sessions: this.#sessions,
      dispatcher: this.#dispatcher,
      timeoutMs: settings.limits.requestTimeoutMs,
    });
    this.#http = new StreamableHttp({
      core,
      settings,
      logger,
      auth: new GatewayAuth({ keys: options.keys, ownerToken: options.ownerToken }),
      sessions: this.#sessions,
      dispatcher: this.#dispatcher,
      notifications: this.#notifications,
    });
    for (const runtime of core.servers.values()) this.#attach(runtime);
    this.#unsubscribe.push(
      core.onServersChanged(({ added, removed }) => {
        for (const name of removed) {
          this.#dispatcher.forget(name);
          for (const session of this.#sessions.values()) {
            if (session.server === name)
              this.#sessions.close(session, `server "${name}" was removed or changed`);
          }
        }
        for (const runtime of added) this.#attach(runtime);
        this.#notifications.listChanged(undefined);
      }),
      core.onEvent((event) => {
        // A server that comes back (restart, reconnect) may have other tools: tell its clients.
        if (event.kind === 'online') this.#notifications.listChanged(event.server);
      }),
    );
  }

  /** The HTTP handler for `/mcp` and `/mcp/<server>` (no layer of its own: the transport's promise). */
  handle(req: IncomingMessage, res: ServerResponse, url: Readonly<URL>): Promise<void> {
    return this.#http.handle(req, res, url);
  }

  /** Ends every session and answers whatever is still in flight. */
  async close(): Promise<void> {
    if (this.#isClosed) return;
    this.#isClosed = true;
    for (const unsubscribe of this.#unsubscribe) unsubscribe();
    this.#sessions.closeAll('the supervisor is stopping');
  }

  /** Hooks a server's upstream: its notifications and its requests to clients. */
  #attach(runtime: ServerRuntime): void {
    runtime.upstream.on('notification', (notification) =>
      this.#notifications.fromServer(runtime.name, notification),
    );
    runtime.upstream.setClientConfigurer((client) => this.#serverRequests.install(runtime.name, client));
  }
}
