import { afterEach, describe, expect, it, vi } from 'vitest';
import { createBreaker, isTransportFailure } from '../../../supervisor/limits/breaker.ts';
import { SupervisorError } from '../../../supervisor/shared/errors.ts';
import { refusalOf } from '../../../supervisor/shared/refusals.ts';
import { rejectionOf } from './helpers.ts';

const fail = (error: unknown) => async () => {
  throw error;
};

afterEach(() => {
  vi.useRealTimers();
});

describe('isTransportFailure', () => {
  it('counts timeouts, unavailability and transport errors; not answers, refusals or aborts', () => {
    expect(isTransportFailure(new SupervisorError('TIMEOUT', 't'))).toBe(true);
    expect(isTransportFailure(new SupervisorError('SERVER_UNAVAILABLE', 'u'))).toBe(true);
    expect(isTransportFailure(new Error('write EPIPE'))).toBe(true);
    expect(isTransportFailure(Object.assign(new Error('Connection closed'), { code: -32000 }))).toBe(true);
    expect(isTransportFailure(Object.assign(new Error('Request timed out'), { code: -32001 }))).toBe(true);
    expect(isTransportFailure(Object.assign(new Error('Invalid params'), { code: -32602 }))).toBe(false);
    expect(isTransportFailure(new SupervisorError('QUEUE_FULL', 'q'))).toBe(false);
    expect(isTransportFailure(new DOMException('aborted', 'AbortError'))).toBe(false);
  });
});

describe('createBreaker', () => {
  it('opens after consecutive failures, refuses with circuit_open, and recovers through a probe', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const breaker = createBreaker({ server: 'files', consecutiveFailures: 3, halfOpenAfterMs: 5_000 });
    const states: string[] = [];
    breaker.onStateChange((state) => states.push(state));
    for (let i = 0; i < 3; i++) await rejectionOf(breaker.execute(fail(new Error('ECONNRESET'))));
    expect(breaker.state()).toBe('open');
    expect(breaker.retryAfterMs()).toBe(5_000);
    const refused = await rejectionOf(breaker.execute(async () => 'x'));
    expect(refusalOf(refused)).toEqual({ reason: 'circuit_open', server: 'files', retryAfterMs: 5_000 });
    expect(() => breaker.assertAdmits()).toThrow(SupervisorError);

    vi.setSystemTime(Date.now() + 5_000);
    expect(breaker.retryAfterMs()).toBe(0);
    // A failed probe opens it again for another halfOpenAfterMs.
    await rejectionOf(breaker.execute(fail(new SupervisorError('TIMEOUT', 't'))));
    expect(breaker.state()).toBe('open');
    vi.setSystemTime(Date.now() + 5_000);
    expect(await breaker.execute(async () => 'ok')).toBe('ok');
    expect(breaker.state()).toBe('closed');
    expect(states).toEqual(['open', 'half-open', 'open', 'half-open', 'closed']);
  });

  it('counts answers as successes: tool errors between failures keep it closed', async () => {
    const breaker = createBreaker({ server: 'files', consecutiveFailures: 2 });
    const answer = Object.assign(new Error('Invalid params'), { code: -32602 });
    for (let i = 0; i < 4; i++) {
      await rejectionOf(breaker.execute(fail(new Error('ECONNRESET'))));
      expect(await rejectionOf(breaker.execute(fail(answer)))).toBe(answer);
    }
    expect(breaker.state()).toBe('closed');
  });

  it('uses a custom isFailure predicate', async () => {
    const breaker = createBreaker({ server: 'files', consecutiveFailures: 1, isFailure: () => false });
    await rejectionOf(breaker.execute(fail(new Error('ECONNRESET'))));
    expect(breaker.state()).toBe('closed');
  });

  it('does not count neutral outcomes at all', async () => {
    const breaker = createBreaker({ server: 'files', consecutiveFailures: 2 });
    await rejectionOf(breaker.execute(fail(new Error('ECONNRESET'))));
    // A neutral error neither resets nor adds to the run of failures.
    await rejectionOf(breaker.execute(fail(new Error('caller left')), { isNeutral: () => true }));
    expect(breaker.state()).toBe('closed');
    await rejectionOf(breaker.execute(fail(new Error('ECONNRESET'))));
    expect(breaker.state()).toBe('open');
  });

  it('rejects bad options, naming them', () => {
    expect(() => createBreaker({ server: 's', consecutiveFailures: 0 })).toThrow(/consecutiveFailures/);
    expect(() => createBreaker({ server: 's', halfOpenAfterMs: -1 })).toThrow(/halfOpenAfterMs/);
  });
});
