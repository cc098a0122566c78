import { describe, expect, it } from 'vitest';
import type { StatusRow } from '../../../renderer/src/api/types.ts';
import { describeState, needsEvidence, worstTone } from '../../../renderer/src/lib/state-reason.ts';

function row(overrides: Partial<StatusRow>): StatusRow {
  return {
    name: 'memory',
    kind: 'stdio',
    state: 'online',
    stateChangedAt: 0,
    pid: 10,
    uptimeMs: 1_000,
    restarts: 0,
    cpuPercent: 1,
    rssBytes: 1,
    toolCount: 3,
    upstream: 'ready',
    health: 'ok',
    ...overrides,
  };
}

describe('state → reason', () => {
  it('tells a failed first start apart from a crash loop, with the core’s reason', () => {
    const failed = describeState(
      row({
        state: 'errored',
        pid: 0,
        lastError: 'exit code 3 before it answered initialize: Error: ENOENT | loading settings',
        lastExit: { exitCode: 3, signal: null, at: 1 },
      }),
      ['Error: ENOENT', 'loading settings'],
    );
    expect(failed).toEqual({
      tone: 'bad',
      label: 'failed to start',
      reason: 'Failed to start: exit code 3 before it answered initialize. It stays down until you start it.',
      evidence: ['Error: ENOENT', 'loading settings'],
    });
  });

  it('says for how long a server has been installing or starting', () => {
    const now = 1_000_000;
    const installing = describeState(
      row({ state: 'installing', stateChangedAt: now - 95_000, pid: 0 }),
      [],
      now,
    );
    expect(installing).toMatchObject({ tone: 'warn', label: 'installing' });
    expect(installing.reason).toMatch(/^Installing its package for 1 min; a first download can take minutes/);
    expect(describeState(row({ state: 'starting', stateChangedAt: now - 4_000 }), [], now).reason).toBe(
      'Starting for 4 s.',
    );
    // A row without the time (an older supervisor) says no duration rather than a wrong one.
    expect(describeState(row({ state: 'starting' }), [], now).reason).toBeNull();
  });

  it('says nothing more for a healthy server', () => {
    expect(describeState(row({}))).toEqual({ tone: 'ok', label: 'online', reason: null, evidence: [] });
  });

  it('explains a crash loop with its exit code, its count and the last stderr lines', () => {
    const reason = describeState(
      row({
        state: 'errored',
        restarts: 9,
        lastError: 'crash loop: 10 runs shorter than 5000 ms',
        lastExit: { exitCode: 3, signal: null, at: 1 },
      }),
      [
        'loading settings',
        'Error: ENOENT: no such file',
        'loading settings',
        '',
        'Error: ENOENT: no such file',
      ],
    );
    expect(reason.tone).toBe('bad');
    expect(reason.label).toBe('crash loop');
    expect(reason.reason).toBe(
      'Exited with exit code 3, 10 times in a row within 5.00 s of starting. It stays down until you start it.',
    );
    expect(reason.evidence).toEqual(['loading settings', 'Error: ENOENT: no such file']);
  });

  it('quotes the upstream error of an unavailable server and names a signal', () => {
    expect(
      describeState(row({ state: 'unavailable', lastError: 'did not answer initialize within 60000 ms' }))
        .reason,
    ).toBe('Does not answer: did not answer initialize within 60000 ms');
    expect(
      describeState(
        row({ state: 'restarting', restarts: 2, lastExit: { exitCode: null, signal: 'SIGKILL', at: 1 } }),
      ).reason,
    ).toBe('Exited with killed by SIGKILL; restart 3 is scheduled.');
  });

  it('flags a live server whose breaker opened or that misses pings', () => {
    expect(describeState(row({ breaker: 'open' }))).toMatchObject({
      tone: 'bad',
      reason: expect.stringMatching(/breaker open/),
    });
    expect(describeState(row({ health: 'failing' }))).toMatchObject({
      tone: 'warn',
      reason: expect.stringMatching(/pings/),
    });
    expect(describeState(row({ state: 'stopped' }))).toMatchObject({ tone: 'idle', label: 'stopped' });
  });

  it('knows which rows need evidence and the worst tone of a set', () => {
    expect(needsEvidence(row({ state: 'errored' }))).toBe(true);
    expect(needsEvidence(row({ state: 'online' }))).toBe(false);
    expect(worstTone(['ok', 'warn', 'idle'])).toBe('warn');
    expect(worstTone(['ok', 'bad'])).toBe('bad');
    expect(worstTone([])).toBe('idle');
  });
});
