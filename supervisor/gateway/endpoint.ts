import type { IncomingMessage, ServerResponse } from 'node:http';
import { JSONRPC_INVALID_REQUEST, sendRpcError } from './rpc-errors.ts';

/**
 * GET and DELETE belong to a 2025 session; without one there is nothing to stream or end, and a
 * 2026-07-28 endpoint answers both with 405 (basic/transports/streamable-http).
 */
export function sessionlessMethod(res: ServerResponse, method: string): void {
  res.setHeader('allow', 'POST');
  sendRpcError(
    res,
    405,
    null,
    JSONRPC_INVALID_REQUEST,
    `${method} needs the Mcp-Session-Id of a 2025 session (initialize first); 2026-07-28 clients only POST`,
  );
}

/** One request header as a string (repeated headers joined), lower-case name. */
export function headerOf(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
}

/** `undefined` = aggregated, a server name (percent-decoded) = one server, `null` = not an MCP path. */
export function serverOf(pathname: string): string | undefined | null {
  if (pathname === '/mcp' || pathname === '/mcp/') return undefined;
  const match = /^\/mcp\/([^/]+)\/?$/.exec(pathname);
  if (!match?.[1]) return null;
  try {
    return decodeURIComponent(match[1]);
  } catch {
    return null;
  }
}
