/**
 * `subscriptions/listen` streams for 2026-07-28 clients, fed from the notifications of a 2025
 * server's shared upstream session (`notifications/tools/list_changed`, `…/prompts/…`,
 * `…/resources/list_changed`, `notifications/resources/updated`).
 *
 * basic/patterns/subscriptions: the stream's first message is `notifications/subscriptions/
 * acknowledged` with the filter the server agreed to (types the server cannot send are omitted);
 * every message carries `io.modelcontextprotocol/subscriptionId` = the listen request's id; only
 * opted-in types are sent; a graceful end is a `subscriptions/listen` result.
 *
 * Pure routing: the gateway writes what {@link ListenHub.route} returns to each stream, and keeps
 * the upstream `resources/subscribe` set equal to {@link ListenHub.subscribedUris}.
 */
import { META } from './revisions.ts';

export type RequestId = string | number;
type Params = Record<string, unknown>;

export interface SubscriptionFilter {
  toolsListChanged?: boolean;
  promptsListChanged?: boolean;
  resourcesListChanged?: boolean;
  resourceSubscriptions?: string[];
}

export interface Notification {
  jsonrpc: '2.0';
  method: string;
  params?: Params;
}

const LIST_CHANGED: Record<string, keyof SubscriptionFilter> = {
  'notifications/tools/list_changed': 'toolsListChanged',
  'notifications/prompts/list_changed': 'promptsListChanged',
  'notifications/resources/list_changed': 'resourcesListChanged',
};

interface Listener {
  key: string;
  subscriptionId: RequestId;
  filter: SubscriptionFilter;
}

export class ListenHub {
  readonly #listeners = new Map<string, Listener>();

  /**
   * Opens a stream for the listen request `subscriptionId` of stream `key` (unique per open
   * HTTP stream). Returns the acknowledgement to send first: the requested filter narrowed to
   * what the upstream server's capabilities can produce.
   */
  open(
    key: string,
    subscriptionId: RequestId,
    requested: SubscriptionFilter,
    serverCapabilities: Params,
  ): Notification {
    const tools = serverCapabilities.tools as Params | undefined;
    const prompts = serverCapabilities.prompts as Params | undefined;
    const resources = serverCapabilities.resources as Params | undefined;
    const uris = Array.isArray(requested.resourceSubscriptions)
      ? requested.resourceSubscriptions.filter((u) => typeof u === 'string')
      : [];
    const filter: SubscriptionFilter = {
      ...(requested.toolsListChanged === true && tools?.listChanged === true && { toolsListChanged: true }),
      ...(requested.promptsListChanged === true &&
        prompts?.listChanged === true && { promptsListChanged: true }),
      ...(requested.resourcesListChanged === true &&
        resources?.listChanged === true && { resourcesListChanged: true }),
      ...(uris.length > 0 && resources?.subscribe === true && { resourceSubscriptions: uris }),
    };
    this.#listeners.set(key, { key, subscriptionId, filter });
    return stamp('notifications/subscriptions/acknowledged', { notifications: filter }, subscriptionId);
  }

  /** Closes stream `key` (the client closed it, or the gateway ends it). */
  close(key: string): void {
    this.#listeners.delete(key);
  }

  /** The graceful end of stream `key` (the listen request's result), e.g. at gateway shutdown. */
  closingResult(key: string): { id: RequestId; result: Params } | undefined {
    const listener = this.#listeners.get(key);
    if (!listener) return undefined;
    this.#listeners.delete(key);
    return {
      id: listener.subscriptionId,
      result: { resultType: 'complete', _meta: { [META.subscriptionId]: listener.subscriptionId } },
    };
  }

  /** Routes one upstream notification: what to write to which open stream. */
  route(notification: Notification): { key: string; message: Notification }[] {
    const out: { key: string; message: Notification }[] = [];
    const listType = LIST_CHANGED[notification.method];
    const uri =
      notification.method === 'notifications/resources/updated' ? notification.params?.uri : undefined;
    if (listType === undefined && typeof uri !== 'string') return out;
    for (const listener of this.#listeners.values()) {
      const wanted =
        listType !== undefined
          ? listener.filter[listType] === true
          : listener.filter.resourceSubscriptions?.includes(uri as string);
      if (wanted)
        out.push({
          key: listener.key,
          message: stamp(notification.method, notification.params ?? {}, listener.subscriptionId),
        });
    }
    return out;
  }

  /** Every URI some open stream subscribed to: the set the upstream 2025 session must subscribe. */
  subscribedUris(): Set<string> {
    const uris = new Set<string>();
    for (const listener of this.#listeners.values())
      for (const uri of listener.filter.resourceSubscriptions ?? []) uris.add(uri);
    return uris;
  }

  get size(): number {
    return this.#listeners.size;
  }
}

function stamp(method: string, params: Params, subscriptionId: RequestId): Notification {
  const meta = (params._meta as Params | undefined) ?? {};
  return {
    jsonrpc: '2.0',
    method,
    params: { ...params, _meta: { ...meta, [META.subscriptionId]: subscriptionId } },
  };
}

/**
 * The upstream `resources/subscribe` / `resources/unsubscribe` calls that bring the session's
 * subscriptions from `current` to `wanted`.
 */
export function subscriptionDelta(current: ReadonlySet<string>, wanted: ReadonlySet<string>) {
  return {
    subscribe: [...wanted].filter((uri) => !current.has(uri)),
    unsubscribe: [...current].filter((uri) => !wanted.has(uri)),
  };
}
