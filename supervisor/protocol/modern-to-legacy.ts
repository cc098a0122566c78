/**
 * A 2026-07-28 client in front of a 2025 server: maps one modern request onto the gateway's
 * upstream 2025 session, and the session's answer back to what the modern revision requires.
 *
 * The upstream session was initialized once by the gateway (one session per server process); the
 * per-request `_meta` envelope (revision, client info, capabilities, log level) is the gateway's
 * business and never reaches the server. Capabilities the server would have read from
 * `initialize` are applied by the gateway instead (capability-filter.ts, mrtr.ts).
 *
 * Pure: values in, values out.
 */
import { CACHEABLE_METHODS, isEnvelopeKey, META, MODERN_REVISION, RPC_CODES } from './revisions.ts';

type Params = Record<string, unknown>;
type Implementation = { name: string; version: string; [key: string]: unknown };

/** What the gateway does with one modern request for a 2025 server. */
export type LegacyRoute =
  /** Send `method` with `params` on the upstream session (the hot path: plain forwarding). */
  | { kind: 'forward'; method: string; params: Params | undefined }
  /** Answer `server/discover` from the upstream session's InitializeResult ({@link discoverResult}). */
  | { kind: 'discover' }
  /** Open a `subscriptions/listen` stream fed by the session's notifications (subscriptions.ts). */
  | { kind: 'listen'; filter: Params }
  /** A retry of a parked MRTR round: hand it to the MRTR machine (mrtr.ts). */
  | { kind: 'mrtr-retry'; method: string; params: Params; requestState: string; inputResponses: Params }
  /** Refuse with this error and HTTP status. */
  | { kind: 'error'; httpStatus: number; code: number; message: string };

/**
 * Routes one modern request. `initialize`, `ping`, `logging/setLevel` and `resources/(un)subscribe`
 * do not exist in 2026-07-28 (changelog, major changes 2, 4, 5): a modern client sending them gets
 * method-not-found with HTTP 404, as streamable-http#protocol-version-header prescribes.
 */
export function routeModernRequest(method: string, params: Params | undefined): LegacyRoute {
  switch (method) {
    case 'server/discover':
      return { kind: 'discover' };
    case 'subscriptions/listen':
      return { kind: 'listen', filter: ((params?.notifications as Params | undefined) ?? {}) as Params };
    case 'initialize':
    case 'ping':
    case 'logging/setLevel':
    case 'resources/subscribe':
    case 'resources/unsubscribe':
      return {
        kind: 'error',
        httpStatus: 404,
        code: RPC_CODES.methodNotFound,
        message: `Method not found: ${method} is not part of MCP ${MODERN_REVISION}`,
      };
  }
  if (hasMrtrFields(params)) {
    if (typeof params.requestState !== 'string') {
      return {
        kind: 'error',
        httpStatus: 400,
        code: RPC_CODES.invalidParams,
        message:
          'Invalid params: inputResponses without the requestState of the input_required result it answers; retry the original request without inputResponses',
      };
    }
    return {
      kind: 'mrtr-retry',
      method,
      params: stripEnvelope(params) ?? {},
      requestState: params.requestState,
      inputResponses: (params.inputResponses as Params | undefined) ?? {},
    };
  }
  return { kind: 'forward', method, params: stripEnvelope(params) };
}

/**
 * Whether `params` carry the fields of an MRTR retry (`requestState`, `inputResponses`): only
 * then does a `tools/call`, `prompts/get` or `resources/read` need {@link routeModernRequest}.
 */
export function hasMrtrFields(params: Params | undefined): params is Params {
  return params !== undefined && (params.requestState !== undefined || params.inputResponses !== undefined);
}

/**
 * `params` without the modern envelope keys and without the MRTR fields. Everything else in
 * `_meta` (progressToken, traceparent, vendor keys) is kept; an emptied `_meta` is dropped.
 * Returns the same object when there is nothing to strip (no copy on the hot path).
 *
 * Runs on every request of a 2026 client to a 2025 server: plain loops, no rest-spread, no
 * entry arrays (a third of the cost, measured in isolation).
 */
export function stripEnvelope(params: Params | undefined): Params | undefined {
  if (params === undefined) return undefined;
  const meta = params._meta as Params | undefined;
  let hasEnvelope = false;
  if (meta !== undefined) {
    for (const key in meta) {
      if (isEnvelopeKey(key)) {
        hasEnvelope = true;
        break;
      }
    }
  }
  if (!hasEnvelope && !('requestState' in params) && !('inputResponses' in params)) return params;
  const rest: Params = {};
  for (const key in params) {
    if (key !== '_meta' && key !== 'requestState' && key !== 'inputResponses') rest[key] = params[key];
  }
  if (meta === undefined) return rest;
  let kept: Params | undefined;
  for (const key in meta) {
    if (!isEnvelopeKey(key)) {
      kept ??= {};
      kept[key] = meta[key];
    }
  }
  if (kept !== undefined) rest._meta = kept;
  return rest;
}

/** How long a modern client may cache a list result the gateway relays; see {@link toModernResult}. */
export interface CacheHint {
  ttlMs: number;
  cacheScope: 'public' | 'private';
}

/**
 * The gateway's default hint: not cacheable beyond this answer, and private — lists are filtered
 * per client (capabilities, key scopes), so no shared cache may serve them across clients.
 */
export const DEFAULT_CACHE_HINT: CacheHint = { ttlMs: 0, cacheScope: 'private' };

/**
 * A 2025 result as 2026-07-28 requires it: `resultType: "complete"` (basic/index, changelog 8),
 * the server's identity in `_meta` (basic/index#meta, per-response fields), and `ttlMs` +
 * `cacheScope` on the cacheable results (server/utilities/caching). Fields the server already
 * set are kept.
 */
export function toModernResult(
  method: string,
  result: Params,
  serverInfo: Implementation | undefined,
  hint: CacheHint = DEFAULT_CACHE_HINT,
): Params {
  const meta = result._meta as Params | undefined;
  const out: Params = { ...result, resultType: result.resultType ?? 'complete' };
  if (serverInfo && meta?.[META.serverInfo] === undefined)
    out._meta =
      meta === undefined ? { [META.serverInfo]: serverInfo } : { ...meta, [META.serverInfo]: serverInfo };
  if (CACHEABLE_METHODS.includes(method)) {
    if (out.ttlMs === undefined) out.ttlMs = hint.ttlMs;
    if (out.cacheScope === undefined) out.cacheScope = hint.cacheScope;
  }
  return out;
}

/**
 * A 2025 server's error as a modern client must see it: `-32002` (resource not found, 2025 and
 * earlier) is `-32602` in 2026-07-28 (changelog, minor change 6; basic/index#error-codes forbids
 * emitting it). Everything else is passed as the server sent it.
 */
export function toModernError(error: { code: number; message: string; data?: unknown }) {
  if (error.code !== RPC_CODES.legacyResourceNotFound) return error;
  return { ...error, code: RPC_CODES.invalidParams };
}

/** The subset of an InitializeResult that `server/discover` is built from. */
export interface LegacyInitializeResult {
  protocolVersion: string;
  capabilities: Params;
  serverInfo: Implementation;
  instructions?: string;
}

/**
 * `server/discover` answered by the gateway for a 2025 server (server/discover#response): the
 * revisions the gateway serves for it, the server's capabilities as the gateway relays them
 * (`resources.subscribe` is served through `subscriptions/listen`, `logging` stays: per-request
 * `logLevel` is mapped), and its identity.
 */
export function discoverResult(
  init: LegacyInitializeResult,
  supportedVersions: readonly string[],
  hint: CacheHint = DEFAULT_CACHE_HINT,
): Params {
  return {
    resultType: 'complete',
    supportedVersions: [...supportedVersions],
    capabilities: init.capabilities,
    ...(init.instructions !== undefined && { instructions: init.instructions }),
    _meta: { [META.serverInfo]: init.serverInfo },
    ttlMs: hint.ttlMs,
    cacheScope: hint.cacheScope,
  };
}

/** RFC 5424 severities in the order `notifications/message` uses (server/utilities/logging). */
const LOG_LEVELS = ['debug', 'info', 'notice', 'warning', 'error', 'critical', 'alert', 'emergency'];

/**
 * Whether a `notifications/message` from the shared upstream session reaches a modern request's
 * response stream: only when that request set `io.modelcontextprotocol/logLevel` and the message
 * is at least that severe ("servers MUST NOT emit notifications/message for requests that did not
 * include this field", changelog major change 5).
 */
export function shouldRelayLog(requestLogLevel: string | undefined, messageLevel: unknown): boolean {
  if (requestLogLevel === undefined) return false;
  const wanted = LOG_LEVELS.indexOf(requestLogLevel);
  const got = LOG_LEVELS.indexOf(String(messageLevel));
  return wanted !== -1 && got >= wanted;
}
