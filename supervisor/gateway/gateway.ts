import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SupervisorSettings } from '../config/schema.ts';
import type { ServerRuntime } from '../core/server-runtime.ts';
import type { SupervisorCore } from '../core/supervisor.ts';
import type { Forwarder } from '../limits/forwarder.ts';
import type { Logger } from '../shared/logger.ts';
import { type ClientKeyVerifier, GatewayAuth } from './auth.ts';
import { Dispatcher } from './dispatch.ts';
import { Listens } from './listens.ts';
import { ModernHttp } from './modern-http.ts';
import { MrtrBridge } from './mrtr-bridge.ts';
import { Notifications } from './notifications.ts';
import { ServerRequests } from './server-requests.ts';
import type { Session } from './session.ts';
import { SessionRegistry } from './sessions.ts';
import { StreamableHttp } from './streamable-http.ts';
import { ToolGate } from './tool-gate.ts';

/**
 * The MCP gateway: `/mcp` (aggregated) and `/mcp/<server>` (one server) over Streamable HTTP, for
 * 2026-07-28 and 2025 clients alike, in front of 2026-07-28 and 2025 servers alike. This façade
 * only puts the parts together and follows the servers:
 *
 * - `streamable-http.ts` — POST/GET/DELETE, the per-request era classification, the 2025 session
 *   path; `modern-http.ts` — the stateless 2026-07-28 path;
 * - `auth.ts` — client keys and the owner's token; `sessions.ts` — the registry, its bound, expiry;
 * - `dispatch.ts`, `aggregated.ts` — where each request goes and the mapping between eras;
 *   `tool-gate.ts` — tool lists filtered by the client's capabilities;
 * - `notifications.ts` — notifications both ways; `listens.ts` — `subscriptions/listen` streams;
 * - `server-requests.ts` — who answers sampling, elicitation, roots; `mrtr-bridge.ts` — those
 *   requests as multi-round-trip rounds for 2026 clients; `input-required.ts` — the other way;
 * - `rpc-errors.ts` — every JSON-RPC code and the mapping of errors to them.
 */
export class Gateway {
  readonly #sessions: SessionRegistry;
  readonly #dispatcher: Dispatcher;
  readonly #notifications: Notifications;
  readonly #serverRequests: ServerRequests;
  readonly #http: StreamableHttp;
  readonly #tools: ToolGate;
  readonly #mrtr: MrtrBridge;
  readonly #listens: Listens;
  readonly #unsubscribe: (() => void)[] = [];
  readonly #core: SupervisorCore;
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
    this.#core = core;
    this.#sessions = new SessionRegistry({
      maxSessions: settings.gateway.maxSessions,
      maxSessionsPerKey: settings.gateway.maxSessionsPerKey,
      sessionIdleMs: settings.gateway.sessionIdleMs,
      logger,
    });
    this.#tools = new ToolGate({ core, logger, probeTimeoutMs: 15_000, notBefore: core.startSettled });
    this.#mrtr = new MrtrBridge({ roundTimeoutMs: settings.limits.requestTimeoutMs });
    this.#dispatcher = new Dispatcher({
      core,
      forwarder: options.forwarder,
      tools: this.#tools,
      mrtr: this.#mrtr,
    });
    this.#listens = new Listens({
      core,
      logger,
      ownerOf: (uri) => this.#dispatcher.resourceOwner(uri),
    });
    this.#serverRequests = new ServerRequests({
      sessions: this.#sessions,
      dispatcher: this.#dispatcher,
      mrtr: this.#mrtr,
      timeoutMs: settings.limits.requestTimeoutMs,
    });
    this.#notifications = new Notifications({
      sessions: this.#sessions,
      core,
      listens: this.#listens,
      serverRequests: this.#serverRequests,
    });
    this.#http = new StreamableHttp({
      core,
      settings,
      logger,
      auth: new GatewayAuth({ keys: options.keys, ownerToken: options.ownerToken }),
      sessions: this.#sessions,
      dispatcher: this.#dispatcher,
      notifications: this.#notifications,
      modern: new ModernHttp({ dispatcher: this.#dispatcher, listens: this.#listens, logger }),
      onSessionClosed: (session) => this.#unsubscribeAll(session),
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
        if (event.kind !== 'online') return;
        // A server that comes back (restart, reconnect) may have other tools: tell its clients,
        // and learn which of its tools need which client capability (once per config).
        this.#notifications.listChanged(event.server);
        const runtime = core.servers.get(event.server);
        if (runtime) this.#tools.learn(runtime);
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
    this.#listens.closeAll();
    this.#mrtr.close();
    const probes = this.#tools.close();
    this.#sessions.closeAll('the supervisor is stopping');
    await probes;
  }

  /** Hooks a server's upstream: its notifications and its requests to clients. */
  #attach(runtime: ServerRuntime): void {
    runtime.upstream.on('notification', (notification) =>
      this.#notifications.fromServer(runtime.name, notification),
    );
    runtime.upstream.setClientConfigurer((client) => this.#serverRequests.install(runtime.name, client));
    if (runtime.upstream.state === 'ready') this.#tools.learn(runtime);
  }

  /** A closed session's resource subscriptions end (the last subscriber ends the upstream one). */
  #unsubscribeAll(session: Session): void {
    for (const [server, uris] of session.subscriptions) {
      const upstream = this.#core.servers.get(server)?.upstream;
      for (const uri of uris) void upstream?.unsubscribe(uri, session.id).catch(() => {});
    }
    session.subscriptions.clear();
  }
}
