import type { Client, McpSubscription, SubscriptionFilter } from '@modelcontextprotocol/client';
import { META } from '../protocol/revisions.ts';
import type { Logger } from '../shared/logger.ts';

/** How long a dropped listen stream waits before it is opened again. */
const RELISTEN_DELAY_MS = 500;

/**
 * The change notifications of a 2026-07-28 server: one `subscriptions/listen` stream per server
 * connection (basic/patterns/subscriptions), with the filter the gateway's clients need together —
 * every list change the server can announce, and the resource URIs some client subscribed to. The
 * SDK client hands each notification of the stream to its notification handlers, which is where
 * the upstream picks them up, so 2025 and 2026 servers feed the gateway the same way.
 *
 * A changed URI set opens the new stream before the old one is closed, so no change falls into
 * the gap; a stream the server drops is opened again after {@link RELISTEN_DELAY_MS}.
 */
export class ListenFeed {
  readonly #client: Client;
  readonly #capabilities: Record<string, unknown>;
  readonly #logger: Logger;
  readonly #server: string;
  #uris: readonly string[] = [];
  #current: McpSubscription | undefined;
  #isClosed = false;
  /** Serializes re-listens, so two quick URI changes never leave two streams open. */
  #queue: Promise<void> = Promise.resolve();

  constructor(options: {
    client: Client;
    server: string;
    capabilities: Record<string, unknown>;
    logger: Logger;
  }) {
    this.#client = options.client;
    this.#server = options.server;
    this.#capabilities = options.capabilities;
    this.#logger = options.logger;
  }

  /** Opens the stream with the list changes the server announces and the URIs given. */
  start(uris: readonly string[]): Promise<void> {
    this.#uris = [...uris];
    return this.#relisten();
  }

  /** Changes the subscribed URIs (a no-op when they are the same). */
  setUris(uris: readonly string[]): Promise<void> {
    const next = [...uris].sort();
    if (next.join('\n') === [...this.#uris].sort().join('\n')) return this.#queue;
    this.#uris = next;
    return this.#relisten();
  }

  /** Closes the stream for good. */
  async close(): Promise<void> {
    this.#isClosed = true;
    const current = this.#current;
    this.#current = undefined;
    await current?.close().catch(() => {});
  }

  #relisten(): Promise<void> {
    this.#queue = this.#queue
      .then(() => this.#open())
      .catch((error: unknown) => {
        if (!this.#isClosed)
          this.#logger.warn({ server: this.#server, err: error }, 'could not open subscriptions/listen');
      });
    return this.#queue;
  }

  async #open(): Promise<void> {
    if (this.#isClosed) return;
    const filter = this.#filter();
    if (Object.keys(filter).length === 0) {
      const old = this.#current;
      this.#current = undefined;
      await old?.close();
      return;
    }
    const next = await this.#client.listen(filter);
    const old = this.#current;
    this.#current = next;
    void next.closed.then((reason) => {
      if (reason !== 'remote' || this.#isClosed || this.#current !== next) return;
      this.#logger.warn({ server: this.#server }, 'the server ended subscriptions/listen; listening again');
      setTimeout(() => void this.#relisten(), RELISTEN_DELAY_MS).unref();
    });
    await old?.close();
  }

  #filter(): SubscriptionFilter {
    const tools = this.#capabilities.tools as { listChanged?: boolean } | undefined;
    const prompts = this.#capabilities.prompts as { listChanged?: boolean } | undefined;
    const resources = this.#capabilities.resources as
      | { listChanged?: boolean; subscribe?: boolean }
      | undefined;
    return {
      ...(tools?.listChanged === true && { toolsListChanged: true }),
      ...(prompts?.listChanged === true && { promptsListChanged: true }),
      ...(resources?.listChanged === true && { resourcesListChanged: true }),
      ...(resources?.subscribe === true &&
        this.#uris.length > 0 && { resourceSubscriptions: [...this.#uris] }),
    };
  }
}

/** A listen stream's notification as any other: its subscription id is the upstream's own. */
export function withoutSubscriptionId<T extends { method: string; params?: Record<string, unknown> }>(
  notification: T,
): T | { method: string; params: Record<string, unknown> } {
  const meta = notification.params?._meta as Record<string, unknown> | undefined;
  if (!meta || !(META.subscriptionId in meta)) return notification;
  const { [META.subscriptionId]: _id, ...kept } = meta;
  const { _meta, ...rest } = notification.params ?? {};
  return {
    method: notification.method,
    params: Object.keys(kept).length > 0 ? { ...rest, _meta: kept } : rest,
  };
}
