import { describe, expect, it } from 'vitest';
import { SupervisorError } from '../../../supervisor/shared/errors.ts';
import {
  REFUSAL_JSONRPC_CODES,
  REFUSAL_REASONS,
  refusalError,
  refusalOf,
  refusalToJsonRpcError,
} from '../../../supervisor/shared/refusals.ts';

describe('refusals', () => {
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

  it('maps each reason to its error code and round-trips through refusalOf', () => {
    const expected = {
      queue_full: 'QUEUE_FULL',
      rate_limited: 'RATE_LIMITED',
      circuit_open: 'CIRCUIT_OPEN',
      timeout: 'TIMEOUT',
      server_unavailable: 'SERVER_UNAVAILABLE',
    } as const;
    for (const reason of REFUSAL_REASONS) {
      const error = refusalError({ reason, server: 'files', retryAfterMs: 1234.2 }, 'try later');
      expect(error.code).toBe(expected[reason]);
      expect(refusalOf(error)).toEqual({ reason, server: 'files', retryAfterMs: 1235 });
      expect(refusalToJsonRpcError(error)).toEqual({
        code: REFUSAL_JSONRPC_CODES[reason],
        message: 'try later',
        data: { reason, server: 'files', retryAfterMs: 1235 },
      });
    }
  });

  it('returns undefined for errors that are not refusals', () => {
    expect(refusalOf(new Error('x'))).toBeUndefined();
    expect(refusalOf(new SupervisorError('TIMEOUT', 'no details'))).toBeUndefined();
    expect(
      refusalOf(
        new SupervisorError('INTERNAL', 'x', { details: { reason: 'other', server: 's', retryAfterMs: 1 } }),
      ),
    ).toBeUndefined();
    expect(refusalOf(undefined)).toBeUndefined();
    expect(refusalToJsonRpcError(new Error('x'))).toBeUndefined();
  });

  it('never reports a negative retryAfterMs', () => {
    expect(
      refusalOf(refusalError({ reason: 'timeout', server: 's', retryAfterMs: -5 }, 'm'))?.retryAfterMs,
    ).toBe(0);
  });
});
