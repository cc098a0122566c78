import { describe, expect, it } from 'vitest';
import { SupervisorError } from '../../../supervisor/shared/errors.ts';
import { REFUSAL_REASONS, refusalError, refusalOf } from '../../../supervisor/shared/refusals.ts';

describe('refusals', () => {
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
  });

  it('never reports a negative retryAfterMs', () => {
    expect(
      refusalOf(refusalError({ reason: 'timeout', server: 's', retryAfterMs: -5 }, 'm'))?.retryAfterMs,
    ).toBe(0);
  });
});
