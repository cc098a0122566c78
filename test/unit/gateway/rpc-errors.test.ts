import { McpError } from '@modelcontextprotocol/sdk/types.js';
import { describe, expect, it } from 'vitest';
import {
  JSONRPC_INTERNAL_ERROR,
  JSONRPC_INVALID_PARAMS,
  JSONRPC_REQUEST_CANCELLED,
  REFUSAL_JSONRPC_CODES,
  refusalToJsonRpcError,
  toErrorResponse,
} from '../../../supervisor/gateway/rpc-errors.ts';
import { SupervisorError } from '../../../supervisor/shared/errors.ts';
import { REFUSAL_REASONS, refusalError } from '../../../supervisor/shared/refusals.ts';
import { UpstreamRpcError } from '../../../supervisor/shared/upstream-error.ts';

describe('refusal codes', () => {
  it('gives every reason a distinct code in the JSON-RPC server-error range', () => {
    const codes = REFUSAL_REASONS.map((reason) => REFUSAL_JSONRPC_CODES[reason]);
    expect(new Set(codes).size).toBe(REFUSAL_REASONS.length);
    for (const code of codes) {
      expect(code).toBeGreaterThanOrEqual(-32099);
      expect(code).toBeLessThanOrEqual(-32000);
      // Not the MCP SDK's own ConnectionClosed / RequestTimeout.
      expect([-32000, -32001]).not.toContain(code);
    }
  });

  it('maps each refusal to its JSON-RPC error, its details as data', () => {
    for (const reason of REFUSAL_REASONS) {
      const error = refusalError({ reason, server: 'files', retryAfterMs: 1234.2 }, 'try later');
      expect(refusalToJsonRpcError(error)).toEqual({
        code: REFUSAL_JSONRPC_CODES[reason],
        message: 'try later',
        data: { reason, server: 'files', retryAfterMs: 1235 },
      });
    }
  });

  it('returns undefined for errors that are not refusals', () => {
    expect(refusalToJsonRpcError(new Error('x'))).toBeUndefined();
  });
});

describe('toErrorResponse', () => {
  it("passes the server's own error through unchanged", () => {
    const error = new UpstreamRpcError({ code: -32042, message: 'elicit first', data: { url: 'u' } });
    expect(toErrorResponse(7, error)).toEqual({
      jsonrpc: '2.0',
      id: 7,
      error: { code: -32042, message: 'elicit first', data: { url: 'u' } },
    });
  });

  it('keeps an McpError without the SDK prefix, and maps ours by their code', () => {
    expect(toErrorResponse(1, new McpError(-32602, 'bad tool')).error).toEqual({
      code: -32602,
      message: 'bad tool',
    });
    expect(toErrorResponse(1, new SupervisorError('UNKNOWN_SERVER', 'no such')).error?.code).toBe(
      JSONRPC_INVALID_PARAMS,
    );
    expect(toErrorResponse(1, new SupervisorError('STORE', 'db')).error?.code).toBe(JSONRPC_INTERNAL_ERROR);
  });

  it('answers a cancel as cancelled and anything else as an internal error', () => {
    const abort = new AbortController();
    abort.abort();
    expect(toErrorResponse(1, abort.signal.reason).error).toEqual({
      code: JSONRPC_REQUEST_CANCELLED,
      message: 'request cancelled',
    });
    expect(toErrorResponse(1, new TypeError('boom')).error).toEqual({
      code: JSONRPC_INTERNAL_ERROR,
      message: 'internal error: boom',
    });
  });
});
