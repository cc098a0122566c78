import type { Client } from '@modelcontextprotocol/client';
import { errorMessage } from '../shared/errors.ts';
import type { Upstream } from '../upstream/upstream.ts';

/** What a server offers, as the console lists it; descriptions are trimmed, schemas kept whole. */
export interface ServerCatalog {
  /** When the lists were read, ms since the epoch. */
  readAt: number;
  prompts: { name: string; title?: string; description?: string; arguments?: unknown[] }[];
  resources: { uri: string; name?: string; title?: string; description?: string; mimeType?: string }[];
  resourceTemplates: { uriTemplate: string; name?: string; description?: string; mimeType?: string }[];
  /** Why a list could not be read (`prompts: timed out after 5000 ms`), per list. */
  problems: string[];
}

const LIST_TIMEOUT_MS = 5_000;
/** The lists are read again after this long, or at once when the server says they changed. */
const FRESH_MS = 60_000;
/** A server with thousands of resources: the console shows the first pages, not all of them. */
const MAX_ITEMS = 1_000;

interface Entry {
  client: Client;
  catalog: Promise<ServerCatalog>;
  readAt: number;
}

/**
 * Prompts, resources and resource templates of each server, read through its upstream client on
 * demand and kept for a minute (tools are already cached by the upstream). A list-changed
 * notification or a new client (a restart) makes the next read fresh. Reads bypass the gateway's
 * limiter: they are rare, bounded (5 s, 1 000 items) and for the owner only.
 */
export class CatalogCache {
  readonly #entries = new WeakMap<Upstream, Entry>();
  readonly #watched = new WeakSet<Upstream>();
  readonly #now: () => number;

  constructor(options: { now?: () => number } = {}) {
    this.#now = options.now ?? Date.now;
  }

  /** The cached catalog if it is still fresh for the upstream's current client, else undefined. */
  peek(upstream: Upstream): Promise<ServerCatalog> | undefined {
    const entry = this.#entries.get(upstream);
    if (!entry || entry.client !== upstream.client || this.#now() - entry.readAt > FRESH_MS) return undefined;
    return entry.catalog;
  }

  /** The catalog, read now unless a fresh one is cached; null while the server is not connected. */
  get(upstream: Upstream, signal?: AbortSignal): Promise<ServerCatalog> | null {
    const client = upstream.client;
    if (!client) return null;
    const cached = this.peek(upstream);
    if (cached) return cached;
    this.#watch(upstream);
    const catalog = readCatalog(client, upstream, this.#now, signal);
    this.#entries.set(upstream, { client, catalog, readAt: this.#now() });
    // A failed read must not stay cached for a minute.
    catalog.catch(() => this.#entries.delete(upstream));
    return catalog;
  }

  #watch(upstream: Upstream): void {
    if (this.#watched.has(upstream)) return;
    this.#watched.add(upstream);
    upstream.on('notification', (notification) => {
      if (/^notifications\/(prompts|resources)\/list_changed$/.test(notification.method)) {
        this.#entries.delete(upstream);
      }
    });
  }
}

async function readCatalog(
  client: Client,
  upstream: Upstream,
  now: () => number,
  signal: AbortSignal | undefined,
): Promise<ServerCatalog> {
  const capabilities = upstream.capabilities ?? {};
  const problems: string[] = [];
  const options = { timeout: LIST_TIMEOUT_MS, ...(signal ? { signal } : {}) };
  /** Reads every page of one list, up to MAX_ITEMS; a failure becomes a problem, not an error. */
  const all = async <T>(
    label: string,
    isOffered: boolean,
    page: (cursor: string | undefined) => Promise<{ items: T[]; nextCursor?: string | undefined }>,
  ): Promise<T[]> => {
    if (!isOffered) return [];
    const items: T[] = [];
    let cursor: string | undefined;
    try {
      do {
        const result = await page(cursor);
        items.push(...result.items);
        cursor = result.nextCursor;
      } while (cursor && items.length < MAX_ITEMS);
    } catch (error) {
      problems.push(`${label}: ${errorMessage(error)}`);
    }
    return items.slice(0, MAX_ITEMS);
  };
  const params = (cursor: string | undefined) => (cursor ? { cursor } : undefined);
  const [prompts, resources, resourceTemplates] = await Promise.all([
    all('prompts', Boolean(capabilities.prompts), async (cursor) => {
      const result = await client.listPrompts(params(cursor), options);
      return { items: result.prompts, nextCursor: result.nextCursor };
    }),
    all('resources', Boolean(capabilities.resources), async (cursor) => {
      const result = await client.listResources(params(cursor), options);
      return { items: result.resources, nextCursor: result.nextCursor };
    }),
    all('resource templates', Boolean(capabilities.resources), async (cursor) => {
      const result = await client.listResourceTemplates(params(cursor), options);
      return { items: result.resourceTemplates, nextCursor: result.nextCursor };
    }),
  ]);
  return {
    readAt: now(),
    prompts: prompts.map((p) => ({
      name: p.name,
      ...(p.title ? { title: p.title } : {}),
      ...(p.description ? { description: p.description } : {}),
      ...(p.arguments ? { arguments: p.arguments } : {}),
    })),
    resources: resources.map((r) => ({
      uri: r.uri,
      name: r.name,
      ...(r.title ? { title: r.title } : {}),
      ...(r.description ? { description: r.description } : {}),
      ...(r.mimeType ? { mimeType: r.mimeType } : {}),
    })),
    resourceTemplates: resourceTemplates.map((t) => ({
      uriTemplate: t.uriTemplate,
      name: t.name,
      ...(t.description ? { description: t.description } : {}),
      ...(t.mimeType ? { mimeType: t.mimeType } : {}),
    })),
    problems,
  };
}
