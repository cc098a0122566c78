/**
 * The MCP protocol revisions the gateway speaks, their order, and the names the 2026-07-28
 * revision gives its `_meta` keys, HTTP headers and error codes — each named once here.
 *
 * Spec: /specification/2026-07-28/basic/versioning ("modern" = per-request `_meta`, 2026-07-28 and
 * later; "legacy" = the `initialize` handshake, 2025-11-25 and earlier), basic/index#meta,
 * basic/index#error-codes, basic/transports/streamable-http#request-metadata.
 */

/** The modern revision: stateless, per-request `_meta`, `server/discover`, MRTR, `subscriptions/listen`. */
export const MODERN_REVISION = '2026-07-28';

/**
 * Every revision the gateway serves downstream, newest first (the order a `supported` list and an
 * upstream probe use). 2024-11-05 is absent: its HTTP+SSE transport is a separate endpoint shape
 * the gateway never served.
 */
export const SUPPORTED_REVISIONS = ['2026-07-28', '2025-11-25', '2025-06-18', '2025-03-26'] as const;
export type Revision = (typeof SUPPORTED_REVISIONS)[number];

/** The legacy (handshake) revisions of {@link SUPPORTED_REVISIONS}, newest first. */
export const LEGACY_REVISIONS = SUPPORTED_REVISIONS.filter((r) => !isModernRevision(r));

/**
 * Revision assumed for a 2025-era HTTP request without `MCP-Protocol-Version` (the header came with
 * 2025-06-18; streamable-http#protocol-version-header lets a server treat its absence as 2025-03-26).
 */
export const HEADERLESS_LEGACY_REVISION = '2025-03-26';

/** Whether `revision` is of the modern era. Revisions are ISO dates: string order is time order. */
export function isModernRevision(revision: string): boolean {
  return revision >= MODERN_REVISION;
}

/** Whether the gateway serves `revision` (exact match: a date we do not know is not served). */
export function isSupportedRevision(revision: string): revision is Revision {
  return (SUPPORTED_REVISIONS as readonly string[]).includes(revision);
}

/**
 * The newest revision both sides list, or `undefined` when they share none. `theirs` is the
 * peer's `supportedVersions` (discover) or `supported` (the -32022 error data), in any order.
 */
export function newestCommonRevision(
  theirs: readonly string[],
  ours: readonly string[] = SUPPORTED_REVISIONS,
): string | undefined {
  const shared = ours.filter((revision) => theirs.includes(revision));
  return shared.sort().at(-1);
}

/** Reserved `_meta` keys of 2026-07-28 (basic/index#meta). */
export const META = {
  protocolVersion: 'io.modelcontextprotocol/protocolVersion',
  clientInfo: 'io.modelcontextprotocol/clientInfo',
  clientCapabilities: 'io.modelcontextprotocol/clientCapabilities',
  logLevel: 'io.modelcontextprotocol/logLevel',
  serverInfo: 'io.modelcontextprotocol/serverInfo',
  subscriptionId: 'io.modelcontextprotocol/subscriptionId',
} as const;

/**
 * Whether `key` is a request-envelope key of `_meta` (protocolVersion, clientCapabilities,
 * clientInfo, logLevel), which a 2025 server never sees (the gateway lifts them off). Four
 * compares rather than a list lookup: it runs for every `_meta` key of every 2026 request.
 */
export function isEnvelopeKey(key: string): boolean {
  return (
    key === META.protocolVersion ||
    key === META.clientCapabilities ||
    key === META.clientInfo ||
    key === META.logLevel
  );
}

/** HTTP headers of Streamable HTTP, lower-cased as node:http delivers them. */
export const HEADERS = {
  protocolVersion: 'mcp-protocol-version',
  method: 'mcp-method',
  name: 'mcp-name',
  /** 2025 only: the session of a handshake-era client (gone in 2026-07-28). */
  sessionId: 'mcp-session-id',
  /** 2025 only: SSE resumption (gone in 2026-07-28). */
  lastEventId: 'last-event-id',
} as const;

/** JSON-RPC error codes the 2026-07-28 revision defines (basic/index#error-codes). */
export const RPC_CODES = {
  parseError: -32700,
  invalidRequest: -32600,
  methodNotFound: -32601,
  invalidParams: -32602,
  internalError: -32603,
  /** 2025-11-25 and earlier only; 2026-07-28 answers -32602 for an unknown resource. */
  legacyResourceNotFound: -32002,
  headerMismatch: -32020,
  missingRequiredClientCapability: -32021,
  unsupportedProtocolVersion: -32022,
} as const;

/** Methods that may answer `resultType: "input_required"` (basic/patterns/mrtr#supported-requests). */
export const MRTR_METHODS: readonly string[] = ['tools/call', 'prompts/get', 'resources/read'];

/**
 * Results that carry the required `ttlMs` + `cacheScope` of `CacheableResult` in 2026-07-28
 * (server/utilities/caching; the changelog's minor change 5, plus `server/discover`).
 */
export const CACHEABLE_METHODS: readonly string[] = [
  'tools/list',
  'prompts/list',
  'resources/list',
  'resources/read',
  'resources/templates/list',
  'server/discover',
];

/** 2025 methods that 2026-07-28 removed (changelog major changes 2, 4, 5). */
export const LEGACY_ONLY_METHODS: readonly string[] = [
  'initialize',
  'notifications/initialized',
  'ping',
  'logging/setLevel',
  'resources/subscribe',
  'resources/unsubscribe',
  'notifications/roots/list_changed',
];

/** 2026-07-28 methods a 2025 peer does not know. */
export const MODERN_ONLY_METHODS: readonly string[] = ['server/discover', 'subscriptions/listen'];
