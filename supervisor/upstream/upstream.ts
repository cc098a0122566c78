import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import {
  type Implementation,
  type Notification,
  type ServerCapabilities,
  type Tool,
  ToolListChangedNotificationSchema,
} from '@modelcontextprotocol/sdk/types.js';
import { SupervisorError } from '../shared/errors.ts';
import type { Logger } from '../shared/logger.ts';
import { silentLogger } from '../shared/logger.ts';
import { PRODUCT_NAME, VERSION } from '../shared/version.ts';
import { FifoClientTransport } from './fifo-transport.ts';
import { RequestChannel } from './request-channel.ts';

export type UpstreamState = 'idle' | 'connecting' | 'ready' | 'unavailable' | 'closed';

/**
 * How to reach a server: the FIFO pair of a stdio server's current process (usable once), or a
 * Streamable HTTP url.
 */
export type UpstreamEndpoint =
  | { kind: 'fifo'; stdinPath: string; stdoutPath: string }
  | { kind: 'http'; url: string; headers: Record<string, string> };

export interface UpstreamEvents {
  state: (state: UpstreamState) => void;
  /** Every notification the server sends (progress is delivered to the request that asked). */
  notification: (notification: Notification) => void;
}

/** Capabilities the gateway answers on behalf of downstream clients. */
export const UPSTREAM_CLIENT_CAPABILITIES = {
  sampling: {},
  elicitation: {},
  roots: { listChanged: true },
};

/**
 * One MCP SDK `Client` per server, shared by every downstream session (the SDK multiplexes by
 * request id): initialized once per server process, reconnected after a restart, with the
 * server's capabilities and tool list cached and refreshed on `notifications/tools/list_changed`.
 */
export class Upstream {
  readonly name: string;
  readonly #logger: Logger;
  readonly #version: string;
  #client: Client | undefined;
  #channel: RequestChannel | undefined;
  #state: UpstreamState = 'idle';
  #tools: Tool[] = [];
  #capabilities: ServerCapabilities | undefined;
  #serverInfo: Implementation | undefined;
  #instructions: string | undefined;
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
  get tools(): readonly Tool[] {
    return this.#tools;
  }
  get capabilities(): ServerCapabilities | undefined {
    return this.#capabilities;
  }
  get serverInfo(): Implementation | undefined {
    return this.#serverInfo;
  }
  get instructions(): string | undefined {
    return this.#instructions;
  }

  on<K extends keyof UpstreamEvents>(event: K, listener: UpstreamEvents[K]): () => void {
    this.#listeners[event].add(listener);
    return () => this.#listeners[event].delete(listener);
  }

  /** Sets the hook that installs server→client request handlers on every client this creates. */
  setClientConfigurer(configure: (client: Client) => void): void {
    this.#configureClient = configure;
    if (this.#client) configure(this.#client);
  }

  /**
   * Connects and initializes, retrying while the server is still coming up, until `deadlineMs`
   * from now or `signal` aborts. Resolves when the tool list is cached.
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
      const client = this.#newClient();
      try {
        const transport = this.#transportFor(endpoint, Math.max(1, deadline - Date.now()), options.signal);
        await client.connect(transport, {
          signal: options.signal,
          timeout: Math.max(1, deadline - Date.now()),
        });
        if (generation !== this.#generation) {
          await client.close().catch(() => {});
          return;
        }
        const channel = this.#openChannel(transport, generation);
        this.#client = client;
        this.#channel = channel;
        this.#capabilities = client.getServerCapabilities();
        this.#serverInfo = client.getServerVersion();
        this.#instructions = client.getInstructions();
        client.onclose = () => {
          channel.close();
          if (generation !== this.#generation) return;
          this.#client = undefined;
          this.#channel = undefined;
          this.#setState('unavailable');
        };
        await this.refreshTools();
        this.#setState('ready');
        return;
      } catch (error) {
        lastError = error;
        await client.close().catch(() => {});
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

  /** Re-reads the whole (paginated) tool list. */
  async refreshTools(): Promise<readonly Tool[]> {
    const client = this.#client;
    if (!client || !this.#capabilities?.tools) {
      this.#tools = [];
      return this.#tools;
    }
    const tools: Tool[] = [];
    let cursor: string | undefined;
    do {
      const page = await client.listTools(cursor ? { cursor } : undefined, { timeout: 30_000 });
      tools.push(...page.tools);
      cursor = page.nextCursor;
    } while (cursor);
    this.#tools = tools;
    return tools;
  }

  /** MCP `ping`; rejects when the server does not answer within `timeoutMs`. */
  async ping(timeoutMs: number): Promise<void> {
    const client = this.client;
    if (!client) throw new SupervisorError('SERVER_UNAVAILABLE', `server "${this.name}" is not connected`);
    await client.ping({ timeout: timeoutMs });
  }

  /** Closes the client; the state becomes `closed` until the next `connect`. */
  async close(): Promise<void> {
    this.#generation++;
    await this.#dropClient();
    this.#setState('closed');
  }

  async #dropClient(): Promise<void> {
    const client = this.#client;
    this.#client = undefined;
    this.#channel?.close();
    this.#channel = undefined;
    if (client) await client.close().catch(() => {});
  }

  #newClient(): Client {
    const client = new Client(
      { name: PRODUCT_NAME, version: this.#version },
      { capabilities: UPSTREAM_CLIENT_CAPABILITIES },
    );
    client.setNotificationHandler(ToolListChangedNotificationSchema, async () => {
      try {
        await this.refreshTools();
      } catch (error) {
        this.#logger.warn({ server: this.name, err: error }, 'could not refresh the tool list');
      }
      this.#emitNotification({ method: 'notifications/tools/list_changed' });
    });
    client.fallbackNotificationHandler = async (notification) => this.#emitNotification(notification);
    // Server→client requests (sampling, elicitation, roots) are answered by the handlers the
    // gateway installs here (gateway/server-requests.ts).
    this.#configureClient?.(client);
    return client;
  }

  /** Puts a {@link RequestChannel} on a connected transport, ahead of the SDK client's handler. */
  #openChannel(transport: Transport, generation: number): RequestChannel {
    const isFifo = transport instanceof FifoClientTransport;
    const channel = new RequestChannel({
      server: this.name,
      generation,
      // The FIFO transport writes without a promise per message; others send as they do.
      send: isFifo ? (message) => transport.write(message) : (message) => transport.send(message),
    });
    if (isFifo) {
      transport.intercept = (message) => channel.intercept(message);
    } else {
      const toClient = transport.onmessage;
      transport.onmessage = (message, extra) => {
        if (!channel.intercept(message)) toClient?.(message, extra);
      };
    }
    return channel;
  }

  #emitNotification(notification: Notification): void {
    for (const listener of this.#listeners.notification) listener(notification);
  }

  #transportFor(endpoint: UpstreamEndpoint, connectTimeoutMs: number, signal?: AbortSignal): Transport {
    if (endpoint.kind === 'fifo') {
      const { stdinPath, stdoutPath } = endpoint;
      return new FifoClientTransport({ stdinPath, stdoutPath, connectTimeoutMs, signal });
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

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
