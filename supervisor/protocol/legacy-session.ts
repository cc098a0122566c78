/**
 * A 2025 client in front of a 2026-07-28 server: the gateway keeps the session the client asked
 * for (`initialize`, `Mcp-Session-Id`, `logging/setLevel`, `resources/subscribe`) and turns each
 * of its requests into a stateless modern request carrying the session's envelope.
 *
 * The session state is what the 2025 handshake fixed once and 2026-07-28 sends per request:
 * revision, client info, capabilities, log level (basic/index#meta). A modern server never sees
 * the session: it answers each request from its own `_meta` (basic/index#statelessness).
 *
 * Pure state plus mapping; the HTTP session bookkeeping lives in gateway/sessions.ts.
 */
import { META, MODERN_REVISION } from './revisions.ts';

type Params = Record<string, unknown>;
type Implementation = { name: string; version: string; [key: string]: unknown };

/** What the gateway does with one request of a 2025 session for a 2026 server. */
export type ModernRoute =
  /** Send this modern request upstream (the envelope is already in `params._meta`). */
  | { kind: 'forward'; method: string; params: Params }
  /** Answer locally with this result (handshake-era methods the modern server does not know). */
  | { kind: 'local'; result: Params }
  /** Add (or drop) `uri` in the session's upstream `subscriptions/listen` filter. */
  | { kind: 'subscribe' | 'unsubscribe'; uri: string; result: Params };

/** The subset of a DiscoverResult an InitializeResult is built from. */
export interface ModernDiscoverResult {
  supportedVersions: string[];
  capabilities: Params;
  instructions?: string;
  _meta?: Params;
}

export class LegacySession {
  /** The 2025 revision negotiated at `initialize`. */
  readonly revision: string;
  readonly clientInfo: Implementation;
  readonly capabilities: Params;
  #logLevel: string | undefined;
  readonly #subscriptions = new Set<string>();

  constructor(init: { revision: string; clientInfo: Implementation; capabilities: Params }) {
    this.revision = init.revision;
    this.clientInfo = init.clientInfo;
    this.capabilities = init.capabilities;
  }

  get logLevel(): string | undefined {
    return this.#logLevel;
  }
  /** URIs the client subscribed to with `resources/subscribe`, in subscription order. */
  get subscriptions(): readonly string[] {
    return [...this.#subscriptions];
  }

  /** The per-request envelope this session's requests carry upstream. */
  envelope(): Params {
    return {
      [META.protocolVersion]: MODERN_REVISION,
      [META.clientInfo]: this.clientInfo,
      [META.clientCapabilities]: this.capabilities,
      ...(this.#logLevel !== undefined && { [META.logLevel]: this.#logLevel }),
    };
  }

  /**
   * Routes one request of the session. The client's own `_meta` keys (progressToken, trace
   * context) are kept beside the envelope; an envelope key the client set itself is overridden,
   * since the session, not the client, speaks 2026-07-28 upstream.
   */
  route(method: string, params: Params | undefined): ModernRoute {
    switch (method) {
      case 'ping':
        return { kind: 'local', result: {} };
      case 'logging/setLevel':
        this.#logLevel = typeof params?.level === 'string' ? params.level : undefined;
        return { kind: 'local', result: {} };
      case 'resources/subscribe':
      case 'resources/unsubscribe': {
        const uri = String(params?.uri ?? '');
        if (method === 'resources/subscribe') this.#subscriptions.add(uri);
        else this.#subscriptions.delete(uri);
        return { kind: method === 'resources/subscribe' ? 'subscribe' : 'unsubscribe', uri, result: {} };
      }
    }
    const own = (params?._meta as Params | undefined) ?? {};
    return { kind: 'forward', method, params: { ...params, _meta: { ...own, ...this.envelope() } } };
  }

  /** The `subscriptions/listen` filter that serves this session's 2025 notifications upstream. */
  listenFilter(serverCapabilities: Params): Params {
    const resources = serverCapabilities.resources as Params | undefined;
    const tools = serverCapabilities.tools as Params | undefined;
    const prompts = serverCapabilities.prompts as Params | undefined;
    return {
      ...(tools?.listChanged === true && { toolsListChanged: true }),
      ...(prompts?.listChanged === true && { promptsListChanged: true }),
      ...(resources?.listChanged === true && { resourcesListChanged: true }),
      ...(this.#subscriptions.size > 0 && { resourceSubscriptions: this.subscriptions }),
    };
  }
}

/**
 * The InitializeResult a 2025 client gets for a 2026 server, built from its `server/discover`:
 * the revision the client asked for when the gateway serves it, else the newest 2025 one it
 * serves (2025 lifecycle: the server answers with a version it supports).
 */
export function initializeResultFromDiscover(
  discover: ModernDiscoverResult,
  requestedRevision: string,
  legacyRevisions: readonly string[],
): Params {
  const protocolVersion = legacyRevisions.includes(requestedRevision)
    ? requestedRevision
    : legacyRevisions[0];
  const serverInfo = (discover._meta?.[META.serverInfo] as Implementation | undefined) ?? {
    name: 'unknown',
    version: '0',
  };
  return {
    protocolVersion,
    capabilities: discover.capabilities,
    serverInfo,
    ...(discover.instructions !== undefined && { instructions: discover.instructions }),
  };
}

/**
 * A modern result as a 2025 client sees it: `resultType: "complete"` is dropped (the 2025 schema
 * has no such field); `input_required` never reaches this function — the gateway fulfils those
 * rounds on the session first (mrtr.ts, `legacyRoundRequests`).
 */
export function toLegacyResult(result: Params): Params {
  if (result.resultType !== 'complete') return result;
  const { resultType: _type, ...rest } = result;
  return rest;
}

/**
 * A modern notification of an upstream `subscriptions/listen` stream as a 2025 session receives
 * it: without the subscription id. The acknowledgement is the gateway's, never the client's.
 */
export function toLegacyNotification(notification: { method: string; params?: Params }) {
  if (notification.method === 'notifications/subscriptions/acknowledged') return undefined;
  const meta = notification.params?._meta as Params | undefined;
  if (!meta || !(META.subscriptionId in meta)) return notification;
  const { [META.subscriptionId]: _id, ...kept } = meta;
  const { _meta, ...rest } = notification.params ?? {};
  return { ...notification, params: Object.keys(kept).length > 0 ? { ...rest, _meta: kept } : rest };
}
