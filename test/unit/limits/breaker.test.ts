import { afterEach, describe, expect, it, vi } from 'vitest';
import { createBreaker, isTransportFailure } from '../../../supervisor/limits/breaker.ts';
import { SupervisorError } from '../../../supervisor/shared/errors.ts';
import { refusalError, refusalOf } from '../../../supervisor/shared/refusals.ts';
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
    expect(() => createBreaker({ server: 's', corroboratingKeys: 0 })).toThrow(/corroboratingKeys/);
  });
});

/** A timeout as the request channel rejects with it. */
const timeout = () =>
  refusalError({ reason: 'timeout', server: 'files', retryAfterMs: 0 }, 'no answer in time');

// Issue 9 item 2: five timeouts of one client opened the server's circuit for every client.
describe('createBreaker: who failed', () => {
  it("one key's timeouts open a circuit for that key only; other keys are admitted", async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const breaker = createBreaker({ server: 'files', consecutiveFailures: 3, halfOpenAfterMs: 5_000 });
    for (let i = 0; i < 3; i++) {
      await rejectionOf(breaker.execute(fail(timeout()), { clientKey: 'attacker' }));
    }
    expect(breaker.state()).toBe('closed');
    expect(breaker.openKeyCount()).toBe(1);
    let ran = false;
    const refused = await rejectionOf(
      breaker.execute(
        async () => {
          ran = true;
        },
        { clientKey: 'attacker' },
      ),
    );
    expect(ran).toBe(false);
    expect(refusalOf(refused)).toEqual({ reason: 'circuit_open', server: 'files', retryAfterMs: 5_000 });
    expect((refused as Error).message).toMatch(/client attacker .* timed out 3 times in a row/);
    expect(() => breaker.assertAdmits('attacker')).toThrow(SupervisorError);
    expect(() => breaker.assertAdmits('bystander')).not.toThrow();
    expect(await breaker.execute(async () => 'served', { clientKey: 'bystander' })).toBe('served');
  });

  it('a key on probation is refused again at its next timeout, and freed by an answer', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const breaker = createBreaker({ server: 'files', consecutiveFailures: 2, halfOpenAfterMs: 5_000 });
    for (let i = 0; i < 2; i++) await rejectionOf(breaker.execute(fail(timeout()), { clientKey: 'k' }));
    expect(() => breaker.assertAdmits('k')).toThrow(SupervisorError);
    vi.setSystemTime(Date.now() + 5_000);
    expect(() => breaker.assertAdmits('k')).not.toThrow();
    await rejectionOf(breaker.execute(fail(timeout()), { clientKey: 'k' }));
    expect(() => breaker.assertAdmits('k')).toThrow(SupervisorError);
    vi.setSystemTime(Date.now() + 5_000);
    expect(await breaker.execute(async () => 'ok', { clientKey: 'k' })).toBe('ok');
    await rejectionOf(breaker.execute(fail(timeout()), { clientKey: 'k' }));
    expect(() => breaker.assertAdmits('k')).not.toThrow();
    expect(breaker.openKeyCount()).toBe(0);
  });

  it("timeouts from two keys open the server's circuit for every key", async () => {
    const breaker = createBreaker({ server: 'files', consecutiveFailures: 4 });
    for (const key of ['a', 'a', 'a'])
      await rejectionOf(breaker.execute(fail(timeout()), { clientKey: key }));
    expect(breaker.state()).toBe('closed');
    await rejectionOf(breaker.execute(fail(timeout()), { clientKey: 'b' }));
    expect(breaker.state()).toBe('open');
    expect(refusalOf(await rejectionOf(breaker.execute(async () => 'x', { clientKey: 'c' })))?.reason).toBe(
      'circuit_open',
    );
  });

  it('an answer to any key ends the run of timeouts', async () => {
    const breaker = createBreaker({ server: 'files', consecutiveFailures: 3 });
    await rejectionOf(breaker.execute(fail(timeout()), { clientKey: 'a' }));
    await rejectionOf(breaker.execute(fail(timeout()), { clientKey: 'b' }));
    await breaker.execute(async () => 'ok', { clientKey: 'c' });
    await rejectionOf(breaker.execute(fail(timeout()), { clientKey: 'a' }));
    await rejectionOf(breaker.execute(fail(timeout()), { clientKey: 'b' }));
    expect(breaker.state()).toBe('closed');
  });

  it('transport failures open the circuit whoever saw them', async () => {
    const breaker = createBreaker({ server: 'files', consecutiveFailures: 3 });
    for (let i = 0; i < 3; i++) {
      await rejectionOf(
        breaker.execute(fail(new SupervisorError('SERVER_UNAVAILABLE', 'gone')), { clientKey: 'a' }),
      );
    }
    expect(breaker.state()).toBe('open');
  });

  it("a caller's BAD_REQUEST (never sent) neither counts nor ends a run", async () => {
    const breaker = createBreaker({ server: 'files', consecutiveFailures: 2 });
    const badRequest = new SupervisorError('BAD_REQUEST', 'the request cannot be encoded as JSON');
    await rejectionOf(breaker.execute(fail(new Error('ECONNRESET'))));
    for (let i = 0; i < 5; i++) {
      expect(await rejectionOf(breaker.execute(fail(badRequest), { clientKey: 'a' }))).toBe(badRequest);
    }
    expect(breaker.state()).toBe('closed');
    await rejectionOf(breaker.execute(fail(new Error('ECONNRESET'))));
    expect(breaker.state()).toBe('open');
  });

  it('a key on probation cannot keep the circuit open by being its half-open probe', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const breaker = createBreaker({ server: 'files', consecutiveFailures: 2, halfOpenAfterMs: 5_000 });
    // The attacker's own circuit opens; then a second key times out too: the server's opens.
    await rejectionOf(breaker.execute(fail(timeout()), { clientKey: 'attacker' }));
    await rejectionOf(breaker.execute(fail(timeout()), { clientKey: 'attacker' }));
    expect(breaker.state()).toBe('closed');
    vi.setSystemTime(Date.now() + 5_000);
    await rejectionOf(breaker.execute(fail(timeout()), { clientKey: 'bystander' }));
    expect(breaker.state()).toBe('open');
    vi.setSystemTime(Date.now() + 5_000);
    // The attacker (two timeouts in a row: on probation) is the probe and times out again.
    await rejectionOf(breaker.execute(fail(timeout()), { clientKey: 'attacker' }));
    expect(breaker.state()).toBe('closed');
    expect(await breaker.execute(async () => 'served', { clientKey: 'bystander' })).toBe('served');
  });
});
