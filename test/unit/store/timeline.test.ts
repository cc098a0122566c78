import { describe, expect, it } from 'vitest';
import { createAlertStore } from '../../../supervisor/store/alert-store.ts';
import { RequestRecorder } from '../../../supervisor/store/recorder.ts';
import { SUPERVISOR_WIDE } from '../../../supervisor/store/server-events.ts';
import { createTimeline } from '../../../supervisor/store/timeline.ts';
import { useTempStores } from './helpers.ts';

const T0 = Date.UTC(2026, 0, 1, 2, 0, 0);

describe('timeline', () => {
  const temp = useTempStores();

  function seeded() {
    const store = temp.open();
    const recorder = new RequestRecorder({ store });
    recorder.recordServerEvent({
      ts: T0,
      server: 'alpha',
      kind: 'start',
      detail: { state: 'starting' },
      exitCode: null,
    });
    recorder.recordServerEvent({ ts: T0 + 1_000, server: 'alpha', kind: 'exit', detail: null, exitCode: 1 });
    recorder.recordServerEvent({
      ts: T0 + 2_000,
      server: 'alpha',
      kind: 'crash_loop',
      detail: null,
      exitCode: null,
    });
    recorder.recordServerEvent({
      ts: T0 + 3_000,
      server: 'beta',
      kind: 'start',
      detail: null,
      exitCode: null,
    });
    recorder.recordServerEvent({
      ts: T0 + 4_000,
      server: SUPERVISOR_WIDE,
      kind: 'reload',
      detail: { ok: true, added: ['gamma'], changed: [], removed: [] },
      exitCode: null,
    });
    recorder.stop();
    const alerts = createAlertStore(store);
    const fired = alerts.insert({
      key: 'crash_loop:alpha',
      rule: 'crash_loop',
      subject: 'alpha',
      severity: 'critical',
      value: 1,
      threshold: 1,
      message: 'alpha keeps crashing',
      firedAt: T0 + 2_500,
      lastSeenAt: T0 + 2_500,
      notifiedAt: T0 + 2_500,
      resolvedAt: T0 + 6_000,
      suppressedCount: 3,
      refiredCount: 0,
      notifiedState: 'resolved',
      acknowledgedAt: T0 + 5_000,
    });
    return { timeline: createTimeline(store), alertId: fired.id };
  }

  it('merges lifecycle events, alert firings/acks/resolutions and reloads, newest first', () => {
    const { timeline, alertId } = seeded();
    const entries = timeline.query({ since: T0 });
    expect(entries.map((e) => [e.ts - T0, e.category, e.type, e.server, e.severity])).toEqual([
      [6_000, 'alert', 'alert.resolved', 'alpha', 'info'],
      [5_000, 'alert', 'alert.acknowledged', 'alpha', 'info'],
      [4_000, 'reload', 'reload', null, 'info'],
      [3_000, 'server', 'start', 'beta', 'info'],
      [2_500, 'alert', 'alert.fired', 'alpha', 'critical'],
      [2_000, 'server', 'crash_loop', 'alpha', 'critical'],
      [1_000, 'server', 'exit', 'alpha', 'warning'],
      [0, 'server', 'start', 'alpha', 'info'],
    ]);
    expect(entries[4]?.detail).toMatchObject({ alertId, message: 'alpha keeps crashing', repeats: 3 });
    expect(entries[6]?.exitCode).toBe(1);
    expect(entries[2]?.detail).toEqual({ ok: true, added: ['gamma'], changed: [], removed: [] });
  });

  it('filters by category, server and time, and keeps at most `limit` entries', () => {
    const { timeline } = seeded();
    expect(timeline.query({ since: T0, categories: ['reload'] }).map((e) => e.type)).toEqual(['reload']);
    // A server's history includes the supervisor-wide reloads.
    expect(timeline.query({ since: T0, server: 'beta' }).map((e) => e.type)).toEqual(['reload', 'start']);
    expect(timeline.query({ since: T0 + 1_500, until: T0 + 3_500, categories: ['server'] })).toHaveLength(2);
    expect(timeline.query({ since: T0, limit: 3 }).map((e) => e.ts - T0)).toEqual([6_000, 5_000, 4_000]);
  });
});
