import type { ServerResponse } from 'node:http';
import { ProtocolError } from '@modelcontextprotocol/client';
import { McpError } from '@modelcontextprotocol/sdk/types.js';
import { sendJson } from '../http/respond.ts';
import { RPC_CODES } from '../protocol/revisions.ts';
import { errorMessage, SupervisorError } from '../shared/errors.ts';
import { type Refusal, type RefusalReason, refusalOf } from '../shared/refusals.ts';
import { isAbortError } from '../shared/timers.ts';
import { UpstreamRpcError } from '../shared/upstream-error.ts';
import { errorResponse, type JsonRpcResponse, type RequestId } from './jsonrpc.ts';

/**
 * Every JSON-RPC error code the gateway answers with, named once. The JSON-RPC 2.0 codes, the
 * ones MCP and its SDK use, and the supervisor's own refusal codes.
 */
export const JSONRPC_PARSE_ERROR = -32700;
export const JSONRPC_INVALID_REQUEST = -32600;
export const JSONRPC_METHOD_NOT_FOUND = -32601;
export const JSONRPC_INVALID_PARAMS = -32602;
export const JSONRPC_INTERNAL_ERROR = -32603;
/**
 * Session-level refusals of the Streamable HTTP transport (unknown session, not initialized, no
 * stream to ask the client on), and the answer `connect` gives when the gateway cannot be
 * reached. The SDK uses the same code for a closed connection.
 */
export const JSONRPC_SESSION_ERROR = -32000;
/** A request that got no answer in time: the SDK's RequestTimeout. */
export const JSONRPC_REQUEST_TIMEOUT = -32001;
/** MCP: no server offers the resource. */
export const MCP_RESOURCE_NOT_FOUND = -32002;
/** The client (or its disconnect) cancelled the request (LSP's RequestCancelled, as MCP clients expect). */
export const JSONRPC_REQUEST_CANCELLED = -32800;

/**
 * An answer that is a JSON-RPC error by design (the gateway's own protocol decision, e.g. a
 * `requestState` that cannot resume a round), with the HTTP status the revision gives it.
 */
export class RpcAnswerError extends Error {
  readonly code: number;
  readonly data: unknown;
  readonly httpStatus: number;

  constructor(error: { code: number; message: string; data?: unknown }, httpStatus = 200) {
    super(error.message);
    this.name = 'RpcAnswerError';
    this.code = error.code;
    this.data = error.data;
    this.httpStatus = httpStatus;
  }
}

/**
 * The HTTP status of a JSON-RPC error answered to a 2026-07-28 request
 * (basic/transports/streamable-http): method not found is 404, a missing client capability 400,
 * everything else travels in-band on 200 — what the SDK's own server does for the same codes.
 */
export function modernHttpStatus(code: number): number {
  if (code === JSONRPC_METHOD_NOT_FOUND) return 404;
  if (code === RPC_CODES.missingRequiredClientCapability) return 400;
  return 200;
}

/**
 * Stable JSON-RPC error codes the gateway answers a refused request with, one per reason, in the
 * implementation-defined server-error range (-32000..-32099). They start at -32010 so they never
 * collide with the MCP SDK's own codes (-32000 ConnectionClosed, -32001 RequestTimeout, -32002
 * resource not found, -32042 URL elicitation required). Clients may rely on them: never renumber.
 */
export const REFUSAL_JSONRPC_CODES: Readonly<Record<RefusalReason, number>> = {
  queue_full: -32010,
  rate_limited: -32011,
  circuit_open: -32012,
  timeout: -32013,
  server_unavailable: -32014,
};

/** The JSON-RPC error object (code, message, data) for a refusal error; undefined if not one. */
export function refusalToJsonRpcError(
  error: unknown,
): { code: number; message: string; data: Refusal } | undefined {
  const refusal = refusalOf(error);
  if (refusal === undefined) return undefined;
  return {
    code: REFUSAL_JSONRPC_CODES[refusal.reason],
    message: (error as Error).message,
    data: refusal,
  };
}

/** The JSON-RPC error for anything a request threw: the server's own, a refusal, or ours. */
export function toErrorResponse(id: RequestId, error: unknown): JsonRpcResponse {
  const refusal = refusalToJsonRpcError(error);
  if (refusal) return errorResponse(id, refusal.code, refusal.message, refusal.data);
  if (error instanceof UpstreamRpcError || error instanceof RpcAnswerError)
    return errorResponse(id, error.code, error.message, error.data);
  if (error instanceof ProtocolError) return errorResponse(id, error.code, error.message, error.data);
  if (error instanceof McpError) {
    // McpError prefixes "MCP error <code>: "; the client gets the server's message unchanged.
    const message = error.message.replace(/^MCP error -?\d+: /, '');
    return errorResponse(id, error.code, message, error.data);
  }
  if (error instanceof SupervisorError) {
    const code =
      error.code === 'UNKNOWN_SERVER' || error.code === 'BAD_REQUEST'
        ? JSONRPC_INVALID_PARAMS
        : JSONRPC_INTERNAL_ERROR;
    return errorResponse(id, code, error.message);
  }
  if (isAbortError(error)) return errorResponse(id, JSONRPC_REQUEST_CANCELLED, 'request cancelled');
  return errorResponse(id, JSONRPC_INTERNAL_ERROR, `internal error: ${errorMessage(error)}`);
}

/** Answers an HTTP request with a JSON-RPC error body and the given HTTP status. */
export function sendRpcError(
  res: ServerResponse,
  status: number,
  id: RequestId | null,
  code: number,
  message: string,
): void {
  sendJson(res, status, errorResponse(id, code, message));
}
