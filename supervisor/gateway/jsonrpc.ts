/** JSON-RPC 2.0 message shapes, checked by hand: this runs on every gateway request. */

import { isRecord } from '../shared/is-record.ts';

export type RequestId = string | number;

export interface JsonRpcRequest {
  jsonrpc: '2.0';
  id: RequestId;
  method: string;
  params?: Record<string, unknown>;
}
export interface JsonRpcNotification {
  jsonrpc: '2.0';
  method: string;
  params?: Record<string, unknown>;
}
export interface JsonRpcErrorObject {
  code: number;
  message: string;
  data?: unknown;
}
export interface JsonRpcResponse {
  jsonrpc: '2.0';
  id: RequestId | null;
  result?: Record<string, unknown>;
  error?: JsonRpcErrorObject;
}

export type ParsedMessage =
  | { kind: 'request'; message: JsonRpcRequest }
  | { kind: 'notification'; message: JsonRpcNotification }
  | { kind: 'response'; message: JsonRpcResponse }
  | { kind: 'invalid'; id: RequestId | null; reason: string };

function isId(value: unknown): value is RequestId {
  return typeof value === 'string' || (typeof value === 'number' && Number.isFinite(value));
}

/**
 * What is wrong with a message's `params._meta` by MCP's schema, if anything. A server built on
 * the MCP SDK drops a message whose `_meta` is not an object without answering it, so such a
 * request would only time out (and count against the server): it is refused here instead.
 */
function metaProblem(meta: unknown): string | undefined {
  if (meta === undefined) return undefined;
  if (!isRecord(meta)) return `"params._meta" must be an object, got ${describeJson(meta)}`;
  const token = meta.progressToken;
  if (token !== undefined && !isId(token)) {
    return `"params._meta.progressToken" must be a string or a number, got ${describeJson(token)}`;
  }
  return undefined;
}

function describeJson(value: unknown): string {
  if (value === null) return 'null';
  return Array.isArray(value) ? 'an array' : typeof value;
}

/** Classifies one decoded JSON value as a JSON-RPC message, saying what is wrong when it is not. */
export function classifyMessage(value: unknown): ParsedMessage {
  if (!isRecord(value)) return { kind: 'invalid', id: null, reason: 'a JSON-RPC message must be an object' };
  const id = isId(value.id) ? value.id : null;
  if (value.jsonrpc !== '2.0') return { kind: 'invalid', id, reason: '"jsonrpc" must be "2.0"' };
  if (value.params !== undefined) {
    if (!isRecord(value.params)) return { kind: 'invalid', id, reason: '"params" must be an object' };
    const problem = metaProblem(value.params._meta);
    if (problem !== undefined) return { kind: 'invalid', id, reason: problem };
  }
  if (typeof value.method === 'string') {
    if (value.method.length === 0) return { kind: 'invalid', id, reason: '"method" must not be empty' };
    if (!('id' in value) || value.id === undefined) {
      return { kind: 'notification', message: value as unknown as JsonRpcNotification };
    }
    if (!isId(value.id)) return { kind: 'invalid', id: null, reason: '"id" must be a string or a number' };
    return { kind: 'request', message: value as unknown as JsonRpcRequest };
  }
  if (value.method !== undefined) return { kind: 'invalid', id, reason: '"method" must be a string' };
  if (!isId(value.id) && value.id !== null)
    return { kind: 'invalid', id: null, reason: '"id" must be a string or a number' };
  const hasResult = 'result' in value;
  const hasError = 'error' in value;
  if (hasResult === hasError)
    return { kind: 'invalid', id, reason: 'a response needs exactly one of "result" or "error"' };
  if (
    hasError &&
    !(
      isRecord(value.error) &&
      typeof value.error.code === 'number' &&
      typeof value.error.message === 'string'
    )
  ) {
    return { kind: 'invalid', id, reason: '"error" must have a numeric "code" and a string "message"' };
  }
  return { kind: 'response', message: value as unknown as JsonRpcResponse };
}

export function errorResponse(
  id: RequestId | null,
  code: number,
  message: string,
  data?: unknown,
): JsonRpcResponse {
  const error: JsonRpcErrorObject = { code, message };
  if (data !== undefined) error.data = data;
  return { jsonrpc: '2.0', id, error };
}

export function resultResponse(id: RequestId, result: Record<string, unknown>): JsonRpcResponse {
  return { jsonrpc: '2.0', id, result };
}
