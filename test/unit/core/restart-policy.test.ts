import { describe, expect, it } from 'vitest';
import {
  decideRestart,
  initialRestartState,
  type RestartState,
} from '../../../supervisor/process/restart-policy.ts';

const policy = { maxRestarts: 3, backoffMs: 100, maxBackoffMs: 1_000, minUptimeMs: 5_000 };
const noJitter = () => 0;

/** Feeds a run of exits with the given uptimes through the policy. */
function run(uptimes: number[], random = noJitter) {
  let state: RestartState = initialRestartState;
  return uptimes.map((uptime) => {
    const decision = decideRestart(state, uptime, policy, random);
    state = decision.state;
    return decision;
  });
}

describe('decideRestart', () => {
  it('doubles the delay for each unstable run, from backoffMs', () => {
    const decisions = run([10, 10, 10]);
    expect(decisions.map((d) => (d.action === 'restart' ? d.delayMs : d.action))).toEqual([100, 200, 400]);
  });

  it('declares a crash loop after maxRestarts unstable runs in a row', () => {
    const decisions = run([10, 10, 10, 10]);
    expect(decisions.map((d) => d.action)).toEqual(['restart', 'restart', 'restart', 'crash_loop']);
    expect(decisions[3]?.state.unstableRuns).toBe(4);
  });

  it('resets the backoff after a run that lasted minUptimeMs', () => {
    const decisions = run([10, 10, 5_000, 10]);
    expect(decisions.map((d) => (d.action === 'restart' ? d.delayMs : d.action))).toEqual([
      100, 200, 100, 100,
    ]);
    expect(decisions.every((d) => d.action === 'restart')).toBe(true);
  });

  it('caps the delay at maxBackoffMs', () => {
    const wide = { ...policy, maxRestarts: 20 };
    let state: RestartState = initialRestartState;
    let last = 0;
    for (let i = 0; i < 10; i++) {
      const decision = decideRestart(state, 0, wide, noJitter);
      state = decision.state;
      if (decision.action === 'restart') last = decision.delayMs;
    }
    expect(last).toBe(1_000);
  });

  it('adds at most 10 % jitter, never beyond maxBackoffMs', () => {
    const [first] = run([10], () => 0.999);
    expect(first).toMatchObject({ action: 'restart', delayMs: 110 });
    const capped = decideRestart(
      { unstableRuns: 10, restarts: 10 },
      0,
      { ...policy, maxRestarts: 20 },
      () => 0.999,
    );
    expect(capped).toMatchObject({ action: 'restart', delayMs: 1_000 });
  });

  it('counts restarts and leaves the input state untouched', () => {
    const state = { unstableRuns: 1, restarts: 4 };
    const decision = decideRestart(state, 10, policy, noJitter);
    expect(decision.state).toEqual({ unstableRuns: 2, restarts: 5 });
    expect(state).toEqual({ unstableRuns: 1, restarts: 4 });
  });
});
