/**
 * Classifies one incoming HTTP request to `/mcp` or `/mcp/<server>` by its own content and
 * headers: a modern (2026-07-28, stateless) request, a legacy (2025, session) request, or a
 * rejection with the exact HTTP status and JSON-RPC error the revision prescribes.
 *
 * The era decision is the SDK's own (`classifyInboundRequest` of @modelcontextprotocol/server, the
 * code its dual-era `createMcpHandler` routes by), so the gateway can never disagree with a v2
 * server about which era a request belongs to. On top of it this adds what a gateway must check
 * and the SDK leaves to its protocol layer: the revision is one we serve (-32022 with our list and
 * the request's own id), the required standard headers are present and match the body (-32020),
 * and a legacy request's `MCP-Protocol-Version` is one we serve.
 *
 * Pure: no IO; the caller has read the body once (or failed to parse it) and passes the headers.
 */
import { classifyInboundRequest } from '@modelcontextprotocol/server';
import { isRecord } from '../shared/is-record.ts';
import {
  HEADERLESS_LEGACY_REVISION,
  HEADERS,
  isModernRevision,
  META,
  RPC_CODES,
  SUPPORTED_REVISIONS,
} from './revisions.ts';

export type RequestId = string | number;

/** A JSON-RPC error response, ready to send. `id` is the request's own, or null when unreadable. */
export interface RpcErrorResponse {
  jsonrpc: '2.0';
  id: RequestId | null;
  error: { code: number; message: string; data?: unknown };
}

/** What the caller read off the HTTP request. */
export interface IncomingHttpRequest {
  /** `POST`, `GET`, `DELETE`, … */
  httpMethod: string;
  /** Header lookup by lower-case name (node:http's `req.headers` fits: join arrays first). */
  header(name: string): string | undefined;
  /** The parsed JSON body; `undefined` for a body-less method. */
  body?: unknown;
  /** Set instead of `body` when the POST body was not valid JSON. */
  bodyParseError?: string;
}

/** The per-request fields a modern request carries in `params._meta` (basic/index#meta). */
export interface ModernEnvelope {
  revision: string;
  clientInfo?: { name: string; version: string; [key: string]: unknown };
  clientCapabilities: Record<string, unknown>;
  logLevel?: string;
}

export type Classification =
  | {
      era: 'modern';
      kind: 'request';
      message: { jsonrpc: '2.0'; id: RequestId; method: string; params?: Record<string, unknown> };
      envelope: ModernEnvelope;
    }
  | {
      era: 'modern';
      kind: 'notification';
      message: { jsonrpc: '2.0'; method: string; params?: Record<string, unknown> };
      revision: string;
    }
  | {
      era: 'legacy';
      /** Why it is 2025 traffic (the SDK's reason: `initialize`, `no-claim`, `http-method`, …). */
      reason: string;
      /** The 2025 revision the request names (header, or `initialize`'s protocolVersion). */
      revision: string;
      /** `Mcp-Session-Id`, when it carries one. */
      sessionId?: string;
    }
  | {
      era: 'reject';
      httpStatus: number;
      response: RpcErrorResponse;
    };

/** Options; `supported` defaults to {@link SUPPORTED_REVISIONS} (narrow it for a server that cannot). */
export interface ClassifyOptions {
  supported?: readonly string[];
}

/** Classifies one request; never throws. */
export function classifyHttpRequest(
  request: IncomingHttpRequest,
  options: ClassifyOptions = {},
): Classification {
  const supported = options.supported ?? SUPPORTED_REVISIONS;
  return fastClassify(request, supported) ?? classifyWithSdk(request, options);
}

/**
 * {@link classifyHttpRequest} without its fast path: always the SDK's classifier. Exported for the
 * test that holds the fast path to the same answers.
 */
export function classifyWithSdk(request: IncomingHttpRequest, options: ClassifyOptions = {}): Classification {
  const supported = options.supported ?? SUPPORTED_REVISIONS;
  if (request.bodyParseError !== undefined && request.httpMethod.toUpperCase() === 'POST') {
    return reject(400, null, RPC_CODES.parseError, `Parse error: ${request.bodyParseError}`);
  }
  const protocolVersionHeader = request.header(HEADERS.protocolVersion);
  const mcpMethodHeader = request.header(HEADERS.method);
  const mcpNameHeader = request.header(HEADERS.name);
  const outcome = classifyInboundRequest({
    httpMethod: request.httpMethod,
    body: request.body,
    ...(protocolVersionHeader !== undefined && { protocolVersionHeader }),
    ...(mcpMethodHeader !== undefined && { mcpMethodHeader }),
    ...(mcpNameHeader !== undefined && { mcpNameHeader }),
  });
  const id = requestIdOf(request.body);
  if (outcome.kind === 'reject') {
    return {
      era: 'reject',
      httpStatus: outcome.httpStatus,
      response: errorResponse(id, outcome.code, outcome.message, outcome.data),
    };
  }
  if (outcome.kind === 'legacy')
    return classifyLegacy(request, outcome.reason, outcome.requestedVersion, id, supported);

  const message = outcome.message as {
    jsonrpc: '2.0';
    id?: RequestId;
    method: string;
    params?: Record<string, unknown>;
  };
  const claimed = outcome.classification.revision ?? protocolVersionHeader;
  if (claimed === undefined || !isModernRevision(claimed) || !supported.includes(claimed)) {
    // A modern envelope naming a revision we do not serve — an unknown future date, a legacy
    // date inside a modern envelope, or 2026-07-28 on a server narrowed to 2025 (versioning#
    // protocol-version-negotiation; streamable-http#protocol-version-header).
    return unsupportedVersion(id, claimed ?? '(none)', supported);
  }
  if (outcome.messageKind === 'notification') {
    return { era: 'modern', kind: 'notification', message, revision: claimed };
  }
  const headerProblem = missingStandardHeader(message, protocolVersionHeader, mcpMethodHeader, mcpNameHeader);
  if (headerProblem) return reject(400, id, RPC_CODES.headerMismatch, `Header mismatch: ${headerProblem}`);
  const meta = (message.params?._meta ?? {}) as Record<string, unknown>;
  const envelope: ModernEnvelope = {
    revision: claimed,
    clientCapabilities: (meta[META.clientCapabilities] as Record<string, unknown>) ?? {},
    ...(meta[META.clientInfo] !== undefined && {
      clientInfo: meta[META.clientInfo] as ModernEnvelope['clientInfo'],
    }),
    ...(typeof meta[META.logLevel] === 'string' && { logLevel: meta[META.logLevel] as string }),
  };
  return { era: 'modern', kind: 'request', message: message as typeof message & { id: RequestId }, envelope };
}

/** RFC 5424 levels a 2026-07-28 `logLevel` may name (server/utilities/logging). */
const LOG_LEVELS = new Set(['debug', 'info', 'notice', 'warning', 'error', 'critical', 'alert', 'emergency']);

/**
 * The two common cases, decided without the SDK's classifier, whose zod passes cost ~40 µs per
 * request on the bench machine (test/bench/gateway-bench.ts): a well-formed request that claims no
 * modern revision anywhere (body envelope or header) is 2025 traffic — the SDK's `no-claim` rule;
 * a well-formed 2026-07-28 request whose envelope and standard headers check out is modern. Each
 * accepts only what the SDK accepts the same way; everything else (errors, notifications,
 * responses, `initialize`, an envelope of doubtful shape) returns undefined and takes the full
 * path, so every rejection stays the SDK's.
 */
function fastClassify(
  request: IncomingHttpRequest,
  supported: readonly string[],
): Classification | undefined {
  const body = request.body;
  if (request.httpMethod !== 'POST' || !isRecord(body) || body.jsonrpc !== '2.0') return undefined;
  const { id, method, params } = body;
  if (typeof method !== 'string' || method === '' || method === 'initialize') return undefined;
  if (!(typeof id === 'string' || (typeof id === 'number' && Number.isFinite(id)))) return undefined;
  if (params !== undefined && !isRecord(params)) return undefined;
  const meta = params?._meta;
  if (meta !== undefined && !isRecord(meta)) return undefined;
  const versionHeader = request.header(HEADERS.protocolVersion);
  if (meta === undefined || !(META.protocolVersion in meta)) {
    if (
      versionHeader !== undefined &&
      (isModernRevision(versionHeader) || !supported.includes(versionHeader))
    )
      return undefined;
    const sessionId = request.header(HEADERS.sessionId);
    return {
      era: 'legacy',
      reason: 'no-claim',
      revision: versionHeader ?? HEADERLESS_LEGACY_REVISION,
      ...(sessionId !== undefined && { sessionId }),
    };
  }
  const claimed = meta[META.protocolVersion];
  if (typeof claimed !== 'string' || claimed !== versionHeader || !isModernRevision(claimed))
    return undefined;
  if (!supported.includes(claimed) || request.header(HEADERS.method) !== method) return undefined;
  const capabilities = meta[META.clientCapabilities];
  if (!isRecord(capabilities)) return undefined;
  for (const name in capabilities) if (!isRecord(capabilities[name])) return undefined;
  const clientInfo = meta[META.clientInfo];
  if (
    clientInfo !== undefined &&
    !(isRecord(clientInfo) && typeof clientInfo.name === 'string' && typeof clientInfo.version === 'string')
  )
    return undefined;
  const logLevel = meta[META.logLevel];
  if (logLevel !== undefined && !(typeof logLevel === 'string' && LOG_LEVELS.has(logLevel))) return undefined;
  const message = body as { jsonrpc: '2.0'; id: RequestId; method: string; params?: Record<string, unknown> };
  if (missingStandardHeader(message, versionHeader, method, request.header(HEADERS.name)) !== undefined)
    return undefined;
  const envelope: ModernEnvelope = { revision: claimed, clientCapabilities: capabilities };
  if (clientInfo !== undefined) envelope.clientInfo = clientInfo as ModernEnvelope['clientInfo'];
  if (logLevel !== undefined) envelope.logLevel = logLevel;
  return { era: 'modern', kind: 'request', message, envelope };
}

function classifyLegacy(
  request: IncomingHttpRequest,
  reason: string,
  requestedVersion: string | undefined,
  id: RequestId | null,
  supported: readonly string[],
): Classification {
  const legacySupported = supported.filter((revision) => !isModernRevision(revision));
  const sessionId = request.header(HEADERS.sessionId);
  // `initialize` names the revision it wants in its params and negotiates down (2025 lifecycle),
  // so only a header names a revision that must be served exactly.
  const headerVersion = request.header(HEADERS.protocolVersion);
  if (legacySupported.length === 0) return unsupportedVersion(id, requestedVersion ?? '(none)', supported);
  if (headerVersion !== undefined && reason !== 'initialize' && !legacySupported.includes(headerVersion)) {
    return unsupportedVersion(id, headerVersion, supported);
  }
  const revision =
    headerVersion ?? (reason === 'initialize' ? requestedVersion : undefined) ?? HEADERLESS_LEGACY_REVISION;
  return { era: 'legacy', reason, revision, ...(sessionId !== undefined && { sessionId }) };
}

/**
 * The required standard headers of a modern request (streamable-http#standard-request-headers):
 * `MCP-Protocol-Version` and `Mcp-Method` always, `Mcp-Name` for the named methods when the body
 * carries the name. The SDK's classifier already rejects a header that contradicts the body.
 */
function missingStandardHeader(
  message: { method: string; params?: Record<string, unknown> },
  protocolVersionHeader: string | undefined,
  mcpMethodHeader: string | undefined,
  mcpNameHeader: string | undefined,
): string | undefined {
  if (protocolVersionHeader === undefined) return 'the required MCP-Protocol-Version header is missing';
  if (mcpMethodHeader === undefined)
    return `the required Mcp-Method header is missing (body method ${message.method})`;
  const field = NAME_SOURCE[message.method];
  if (field === undefined) return undefined;
  const value = message.params?.[field];
  if (typeof value !== 'string') return undefined;
  if (mcpNameHeader === undefined)
    return `the required Mcp-Name header is missing (body params.${field} "${value}")`;
  const decoded = decodeHeaderValue(mcpNameHeader.trim());
  if (decoded === undefined) return 'the Mcp-Name header carries an invalid =?base64?…?= value';
  if (decoded !== value) return `Mcp-Name header value '${decoded}' does not match body value '${value}'`;
  return undefined;
}

/** Which body field `Mcp-Name` mirrors, per method. */
const NAME_SOURCE: Record<string, string | undefined> = {
  'tools/call': 'name',
  'prompts/get': 'name',
  'resources/read': 'uri',
};

/** Decodes the `=?base64?…?=` sentinel of streamable-http#value-encoding; plain values pass. */
export function decodeHeaderValue(value: string): string | undefined {
  if (!(value.startsWith('=?base64?') && value.endsWith('?='))) return value;
  const encoded = value.slice('=?base64?'.length, -'?='.length);
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(encoded) || encoded.length % 4 !== 0) return undefined;
  return Buffer.from(encoded, 'base64').toString('utf8');
}

/** The -32022 error (versioning#protocol-version-negotiation) with our list and the request's id. */
export function unsupportedVersion(
  id: RequestId | null,
  requested: string,
  supported: readonly string[] = SUPPORTED_REVISIONS,
): Classification {
  return {
    era: 'reject',
    httpStatus: 400,
    response: errorResponse(
      id,
      RPC_CODES.unsupportedProtocolVersion,
      `Unsupported protocol version: ${requested}; this endpoint serves ${supported.join(', ')}`,
      {
        supported: [...supported],
        requested,
      },
    ),
  };
}

function reject(httpStatus: number, id: RequestId | null, code: number, message: string): Classification {
  return { era: 'reject', httpStatus, response: errorResponse(id, code, message) };
}

function errorResponse(
  id: RequestId | null,
  code: number,
  message: string,
  data?: unknown,
): RpcErrorResponse {
  return { jsonrpc: '2.0', id, error: { code, message, ...(data !== undefined && { data }) } };
}

/** The body's own request id when it has a readable one (errors must echo it: basic/index). */
function requestIdOf(body: unknown): RequestId | null {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return null;
  const id = (body as { id?: unknown }).id;
  return typeof id === 'string' || (typeof id === 'number' && Number.isFinite(id)) ? id : null;
}
