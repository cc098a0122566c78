/*
 * Over 400 lines because one class owns the life of a server's one connection — the probe and
 * handshake, the request channel, the listen feed and the resource subscriptions all hang on the
 * same generation check; split, each part would have to re-check that its connection is current.
 */

import {
  type Client,
  SdkError,
  SdkErrorCode,
  type ServerCapabilities,
  StreamableHTTPClientTransport,
  type Tool,
  type Transport,
} from '@modelcontextprotocol/client';
import { META } from '../protocol/revisions.ts';
import { detectUpstreamRevision, type UpstreamRevision } from '../protocol/upstream-revision.ts';
import { SupervisorError } from '../shared/errors.ts';
import type { Logger } from '../shared/logger.ts';
import { silentLogger } from '../shared/logger.ts';
import { PRODUCT_NAME, VERSION } from '../shared/version.ts';
import { FifoClientTransport } from './fifo-transport.ts';
import { httpErrorAnswer } from './http-error-answer.ts';
import { OversizedLineError } from './line-framer.ts';
import { ListenFeed, withoutSubscriptionId } from './listen-feed.ts';
import { type ChannelSend, RequestChannel } from './request-channel.ts';
import { Subscribers } from './subscribers.ts';

export type UpstreamState = 'idle' | 'connecting' | 'ready' | 'unavailable' | 'closed';

/** The protocol era a server connection speaks: 2026-07-28 (`modern`) or the 2025 handshake. */
export type UpstreamEra = 'modern' | 'legacy';

/**
 * How to reach a server: the FIFO pair of a stdio server's current process (usable once), or a
 * Streamable HTTP url.
 */
export type UpstreamEndpoint =
  | { kind: 'fifo'; stdinPath: string; stdoutPath: string }
  | { kind: 'http'; url: string; headers: Record<string, string> };

/** A notification as the server sent it (method and params). */
export interface UpstreamNotification {
  method: string;
  params?: Record<string, unknown>;
}

export interface UpstreamEvents {
  state: (state: UpstreamState) => void;
  /** Every notification the server sends (progress is delivered to the request that asked). */
  notification: (notification: UpstreamNotification) => void;
}

/** Capabilities the gateway answers on behalf of downstream clients. */
export const UPSTREAM_CLIENT_CAPABILITIES = {
  sampling: {},
  elicitation: {},
  roots: { listChanged: true },
};

/**
 * How long the 2026-07-28 probe waits on a stdio server before taking silence for a 2025 server
 * (the SDK's own fallback rule for stdio); HTTP servers answer at once either way.
 */
const PROBE_TIMEOUT_MS = 5_000;

/**
 * One MCP SDK v2 `Client` per server process, shared by every downstream session: connected once
 * in the newest revision the server speaks (2026-07-28 first, the 2025 handshake otherwise, decided
 * in place on the one connection: protocol/upstream-revision.ts), reconnected after a restart,
 * with the server's capabilities and tool list cached and refreshed on list changes. Requests of
 * downstream clients go through the {@link RequestChannel} beside it.
 *
 * The v2 client serves both eras, so the era is a property of the connection, not of the code:
 * for a 2025 server it is byte-for-byte a 2025 client (the SDK's `legacy` path); for a 2026 server
 * it attaches the per-request `_meta` envelope to its own requests and opens one
 * `subscriptions/listen` stream for the change notifications ({@link ListenFeed}).
 */
export class Upstream {
  readonly name: string;
  readonly #logger: Logger;
  readonly #version: string;
  #client: Client | undefined;
  #channel: RequestChannel | undefined;
  #feed: ListenFeed | undefined;
  #state: UpstreamState = 'idle';
  #tools: Tool[] = [];
  #connection: UpstreamRevision | undefined;
  /** Who wants which resource's updates (kept across reconnects). */
  readonly #subscribers = new Subscribers();
  /** Set after a server did not survive the 2026-07-28 probe: it is spoken to in 2025 from then on. */
  #isLegacyOnly = false;
  /** Bumped on every connect and close so callbacks of an older client do nothing. */
  #generation = 0;
  readonly #listeners: { [K in keyof UpstreamEvents]: Set<UpstreamEvents[K]> } = {
    state: new Set(),
    notification: new Set(),
  };
  /** Installs request handlers (sampling, elicitation, roots) on each new client. */
  #configureClient: ((client: Client) => void) | undefined;

  constructor(options: { name: string; logger?: Logger; version?: string }) {
    this.name = options.name;
    this.#logger = options.logger ?? silentLogger;
    this.#version = options.version ?? VERSION;
  }

  get state(): UpstreamState {
    return this.#state;
  }
  get client(): Client | undefined {
    return this.#state === 'ready' ? this.#client : undefined;
  }
  /** The forwarding path beside the client (see RequestChannel); set while `ready`. */
  get channel(): RequestChannel | undefined {
    return this.#state === 'ready' ? this.#channel : undefined;
  }
  /** The era of the current connection; undefined before the first one. */
  get era(): UpstreamEra | undefined {
    return this.#connection?.era;
  }
  /** The revision of the current connection (`2026-07-28`, or the one `initialize` agreed). */
  get revision(): string | undefined {
    return this.#connection?.revision;
  }
  get tools(): readonly Tool[] {
    return this.#tools;
  }
  get capabilities(): ServerCapabilities | undefined {
    return this.#connection?.capabilities as ServerCapabilities | undefined;
  }
  get serverInfo(): { name: string; version: string } | undefined {
    return this.#connection?.serverInfo;
  }
  get instructions(): string | undefined {
    return this.#connection?.instructions;
  }

  on<K extends keyof UpstreamEvents>(event: K, listener: UpstreamEvents[K]): () => void {
    this.#listeners[event].add(listener);
    return () => this.#listeners[event].delete(listener);
  }

  /** Sets the hook that installs server→client request handlers on every client this creates. */
  setClientConfigurer(configure: (client: Client) => void): void {
    this.#configureClient = configure;
  }

  /**
   * Connects in the newest revision the server speaks, retrying while the server is still coming
   * up, until `timeoutMs` from now or `signal` aborts. Resolves when the tool list is cached.
   */
  async connect(
    endpoint: UpstreamEndpoint,
    options: { timeoutMs: number; signal?: AbortSignal },
  ): Promise<void> {
    await this.#dropClient();
    const generation = ++this.#generation;
    this.#setState('connecting');
    const deadline = Date.now() + options.timeoutMs;
    let lastError: unknown;
    let delayMs = 25;
    while (generation === this.#generation) {
      options.signal?.throwIfAborted();
      const isLegacyOnly = this.#isLegacyOnly;
      try {
        const transport = this.#transportFor(endpoint, Math.max(1, deadline - Date.now()), options.signal);
        const connection = await detectUpstreamRevision(transport, {
          clientInfo: { name: PRODUCT_NAME, version: this.#version },
          capabilities: UPSTREAM_CLIENT_CAPABILITIES,
          probeTimeoutMs: Math.min(PROBE_TIMEOUT_MS, Math.max(1, deadline - Date.now())),
          timeoutMs: Math.max(1, deadline - Date.now()),
          isLegacyOnly,
          configure: (client) => this.#configure(client, generation),
          ...(options.signal && { signal: options.signal }),
        });
        if (generation !== this.#generation) {
          await connection.client.close().catch(() => {});
          return;
        }
        await this.#adopt(connection, transport, generation);
        return;
      } catch (error) {
        lastError = error;
        if (!isLegacyOnly && endpoint.kind === 'fifo' && isConnectionClosed(error)) {
          // Some SDKs exit on any request before `initialize`; the next start skips the probe.
          this.#isLegacyOnly = true;
          this.#logger.warn(
            { server: this.name },
            'the server closed its connection during the 2026-07-28 probe; it is spoken to in 2025 from now on',
          );
        }
        // A FIFO pair serves one connection: what failed on it cannot be retried.
        if (endpoint.kind === 'fifo' || Date.now() + delayMs >= deadline) break;
        await new Promise((resolve) => setTimeout(resolve, delayMs));
        delayMs = Math.min(500, delayMs * 2);
      }
    }
    if (generation === this.#generation) this.#setState('unavailable');
    throw new SupervisorError(
      'SERVER_UNAVAILABLE',
      `server "${this.name}" did not answer initialize within ${options.timeoutMs} ms: ${describe(lastError)}; ` +
        `see its log with: mcp-supervisor logs ${this.name} --stderr`,
      { cause: lastError },
    );
  }

  /** Re-reads the whole (paginated) tool list, as the gateway's own session sees it. */
  async refreshTools(): Promise<readonly Tool[]> {
    const client = this.#client;
    if (!client || !this.capabilities?.tools) {
      this.#tools = [];
      return this.#tools;
    }
    this.#tools = await this.listToolsAs(undefined);
    return this.#tools;
  }

  /**
   * The whole tool list as a client with `capabilities` sees it (2026-07-28: the capabilities of
   * each request's envelope decide); `undefined` = the gateway's own. Only a 2026 server can be
   * asked as another client: a 2025 server decided its list at `initialize`.
   */
  async listToolsAs(capabilities: Record<string, unknown> | undefined): Promise<Tool[]> {
    const client = this.#client;
    if (!client) throw new SupervisorError('SERVER_UNAVAILABLE', `server "${this.name}" is not connected`);
    if (capabilities !== undefined && this.era !== 'modern') {
      throw new Error('listToolsAs(capabilities) needs a 2026-07-28 server');
    }
    const tools: Tool[] = [];
    let cursor: string | undefined;
    do {
      const meta = capabilities === undefined ? undefined : { [META.clientCapabilities]: capabilities };
      const page = await client.listTools(
        { ...(cursor && { cursor }), ...(meta && { _meta: meta }) },
        { timeout: 30_000, cacheMode: 'bypass' },
      );
      tools.push(...page.tools);
      cursor = page.nextCursor;
    } while (cursor);
    return tools;
  }

  /** A liveness check: `ping` (2025) or `server/discover` (2026-07-28 removed ping). */
  async ping(timeoutMs: number): Promise<void> {
    const client = this.client;
    if (!client) throw new SupervisorError('SERVER_UNAVAILABLE', `server "${this.name}" is not connected`);
    if (this.era === 'modern') await client.discover({ timeout: timeoutMs });
    else await client.ping({ timeout: timeoutMs });
  }

  /**
   * `subscriber` (a downstream session or listen stream) wants `notifications/resources/updated`
   * for `uri`. The first subscriber of a URI subscribes upstream: a 2025 server is sent
   * `resources/subscribe` (its error rejects this), a 2026 server gets the URI in the
   * `subscriptions/listen` filter. Kept across reconnects.
   */
  async subscribe(uri: string, subscriber: string): Promise<void> {
    if (!this.#subscribers.add(uri, subscriber)) return;
    try {
      if (this.#feed) await this.#feed.setUris(this.#subscribers.uris());
      else if (this.era === 'legacy') await this.client?.subscribeResource({ uri });
    } catch (error) {
      this.#subscribers.remove(uri, subscriber);
      throw error;
    }
  }

  /** `subscriber` no longer wants `uri`; the last one unsubscribes upstream. */
  async unsubscribe(uri: string, subscriber: string): Promise<void> {
    if (!this.#subscribers.remove(uri, subscriber)) return;
    if (this.#feed) await this.#feed.setUris(this.#subscribers.uris());
    else if (this.era === 'legacy') await this.client?.unsubscribeResource({ uri });
  }

  /** Tells a 2025 server its client's roots changed; a 2026 server has no such notification. */
  async sendRootsListChanged(): Promise<void> {
    if (this.era !== 'legacy') return;
    await this.client?.sendRootsListChanged();
  }

  /** Closes the client; the state becomes `closed` until the next `connect`. */
  async close(): Promise<void> {
    this.#generation++;
    await this.#dropClient();
    this.#setState('closed');
  }

  async #adopt(connection: UpstreamRevision, transport: Transport, generation: number): Promise<void> {
    const client = connection.client;
    const channel = this.#openChannel(transport, generation, connection.era);
    this.#client = client;
    this.#channel = channel;
    this.#connection = connection;
    client.onclose = () => {
      channel.close();
      if (generation !== this.#generation) return;
      this.#client = undefined;
      this.#channel = undefined;
      void this.#feed?.close();
      this.#feed = undefined;
      this.#setState('unavailable');
    };
    this.#logger.info(
      { server: this.name, revision: connection.revision, era: connection.era },
      'connected to the server',
    );
    await this.refreshTools();
    if (connection.era === 'modern') {
      this.#feed = new ListenFeed({
        client,
        server: this.name,
        capabilities: connection.capabilities ?? {},
        logger: this.#logger,
      });
      await this.#feed.start(this.#subscribers.uris());
    } else {
      await this.#resubscribe(client);
    }
    this.#setState('ready');
  }

  /** A new 2025 connection subscribes to what the downstream clients subscribed to. */
  async #resubscribe(client: Client): Promise<void> {
    if (!this.capabilities?.resources?.subscribe) return;
    for (const uri of this.#subscribers.uris()) {
      await client.subscribeResource({ uri }).catch((error: unknown) => {
        this.#logger.warn({ server: this.name, uri, err: error }, 'resources/subscribe failed');
      });
    }
  }

  async #dropClient(): Promise<void> {
    const client = this.#client;
    this.#client = undefined;
    this.#channel?.close();
    this.#channel = undefined;
    const feed = this.#feed;
    this.#feed = undefined;
    await feed?.close();
    if (client) await client.close().catch(() => {});
  }

  /** Notification handlers and the gateway's request handlers, before the client connects. */
  #configure(client: Client, generation: number): void {
    client.setNotificationHandler('notifications/tools/list_changed', async () => {
      if (generation !== this.#generation) return;
      try {
        await this.refreshTools();
      } catch (error) {
        this.#logger.warn({ server: this.name, err: error }, 'could not refresh the tool list');
      }
      this.#emitNotification({ method: 'notifications/tools/list_changed' });
    });
    client.fallbackNotificationHandler = async (notification) => {
      if (generation === this.#generation) this.#emitNotification(withoutSubscriptionId(notification));
    };
    // Server→client requests (sampling, elicitation, roots) are answered by the handlers the
    // gateway installs here (gateway/server-requests.ts).
    this.#configureClient?.(client);
  }

  /** Puts a {@link RequestChannel} on a connected transport, ahead of the SDK client's handler. */
  #openChannel(transport: Transport, generation: number, era: UpstreamEra): RequestChannel {
    const isFifo = transport instanceof FifoClientTransport;
    let send: ChannelSend;
    if (isFifo) {
      // The FIFO transport writes without a promise per message.
      send = (message) => transport.write(message as never);
    } else if (transport instanceof StreamableHTTPClientTransport) {
      // A 2026 server answers a refused request with an HTTP status and a JSON-RPC body the SDK's
      // transport raises as an error; the channel takes it as the answer it is.
      send = (message, options) =>
        transport.send(message, options).catch((error: unknown) => {
          const answer = httpErrorAnswer(error, message);
          if (!answer || !channel.intercept(answer)) throw error;
        });
    } else {
      send = (message) => transport.send(message);
    }
    const channel = new RequestChannel({
      server: this.name,
      generation,
      send,
      isCancelledByStream: era === 'modern' && transport.hasPerRequestStream === true,
    });
    if (isFifo) {
      transport.intercept = (message) => channel.intercept(message as never);
    } else {
      const toClient = transport.onmessage;
      transport.onmessage = (message, extra) => {
        if (!channel.intercept(message as never)) toClient?.(message, extra);
      };
    }
    // The SDK client ignores transport errors; a dropped oversized answer must reach the request
    // waiting for it (at once, not as a timeout) and the log. Other errors (a malformed line a
    // server printed) go to the debug log only: a chatty server must not flood it.
    const clientOnError = transport.onerror;
    transport.onerror = (error) => {
      const isOversized = error instanceof OversizedLineError;
      this.#logger[isOversized ? 'warn' : 'debug'](
        { server: this.name, err: error },
        isOversized ? 'dropped a message from the server over the size limit' : 'upstream transport error',
      );
      if (!channel.interceptError(error)) clientOnError?.(error);
    };
    return channel;
  }

  #emitNotification(notification: UpstreamNotification): void {
    for (const listener of this.#listeners.notification) listener(notification);
  }

  #transportFor(endpoint: UpstreamEndpoint, connectTimeoutMs: number, signal?: AbortSignal): Transport {
    if (endpoint.kind === 'fifo') {
      const { stdinPath, stdoutPath } = endpoint;
      // The FIFO transport implements the v1 SDK interface, which the v2 one keeps.
      return new FifoClientTransport({
        stdinPath,
        stdoutPath,
        connectTimeoutMs,
        signal,
      }) as unknown as Transport;
    }
    return new StreamableHTTPClientTransport(new URL(endpoint.url), {
      requestInit: { headers: endpoint.headers },
    });
  }

  #setState(state: UpstreamState): void {
    if (state === this.#state) return;
    this.#state = state;
    this.#logger.debug({ server: this.name, state }, 'upstream state');
    for (const listener of this.#listeners.state) listener(state);
  }
}

function isConnectionClosed(error: unknown): boolean {
  return error instanceof SdkError && error.code === SdkErrorCode.ConnectionClosed;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
