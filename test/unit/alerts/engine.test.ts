import { describe, expect, it } from 'vitest';
import { AlertEngine, type AlertEvent } from '../../../supervisor/alerts/engine.ts';
import type { AlertCondition } from '../../../supervisor/alerts/rules.ts';
import { thresholdsSchema } from '../../../supervisor/config/schema.ts';
import { createAlertStore } from '../../../supervisor/store/alert-store.ts';
import { createQueries } from '../../../supervisor/store/queries.ts';
import { useTempStores } from '../store/helpers.ts';

const COOLDOWN_MS = 300_000;
const SAMPLE_MS = 5_000;
const T0 = Date.UTC(2026, 0, 1);

const cpu: AlertCondition = {
  key: 'host_cpu:host',
  rule: 'host_cpu',
  subject: 'host',
  severity: 'warning',
  value: 92,
  threshold: 80,
  message: 'host CPU at 92%',
};

describe('AlertEngine', () => {
  const temp = useTempStores();

  function setup(options: { resolveAfterSamples?: number } = {}) {
    const store = temp.open();
    let now = T0;
    const clock = {
      now: () => now,
      advance: (ms: number) => {
        now += ms;
      },
    };
    const engine = new AlertEngine({
      store: createAlertStore(store),
      cooldownMs: COOLDOWN_MS,
      now: clock.now,
      ...options,
    });
    const events: AlertEvent[] = [];
    engine.on((event) => events.push(event));
    engine.start();
    return { store, clock, engine, events };
  }

  it('fires once, counts repeats during the cooldown, re-notifies after it, resolves once', () => {
    const { store, clock, engine, events } = setup();
    engine.evaluate([cpu]);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      type: 'alert.fired',
      isRepeat: false,
      alert: { key: cpu.key, firedAt: T0 },
    });

    // Every sample for five minutes: counted, not sent. 300 s / 5 s = 60 samples, the 60th at T0+300 s.
    for (let i = 1; i < 60; i++) {
      clock.advance(SAMPLE_MS);
      engine.evaluate([{ ...cpu, value: 90 + (i % 5) }]);
    }
    expect(events).toHaveLength(1);
    const stored = createQueries(store).firingAlerts();
    expect(stored).toHaveLength(1);
    expect(stored[0]).toMatchObject({
      suppressedCount: 59,
      lastSeenAt: T0 + 59 * SAMPLE_MS,
      resolvedAt: null,
    });

    clock.advance(SAMPLE_MS); // exactly the cooldown after the first notification
    engine.evaluate([cpu]);
    expect(events).toHaveLength(2);
    expect(events[1]).toMatchObject({ type: 'alert.fired', isRepeat: true, alert: { suppressedCount: 59 } });
    expect(createQueries(store).firingAlerts()[0]).toMatchObject({
      suppressedCount: 0,
      notifiedAt: T0 + COOLDOWN_MS,
    });

    clock.advance(SAMPLE_MS);
    engine.evaluate([cpu]);
    expect(events).toHaveLength(2);
  });

  it('resolves after resolveAfterSamples absent samples, at once when no cooldown runs', () => {
    const { store, clock, engine, events } = setup();
    engine.evaluate([cpu]);
    clock.advance(COOLDOWN_MS);
    // One absent sample does not resolve; the condition coming back resets the count.
    engine.evaluate([]);
    clock.advance(SAMPLE_MS);
    engine.evaluate([cpu]);
    expect(events.map((e) => e.type)).toEqual(['alert.fired', 'alert.fired']);
    clock.advance(COOLDOWN_MS);
    engine.evaluate([]);
    clock.advance(SAMPLE_MS);
    const readings = new Map([[cpu.key, { value: 41, message: 'host CPU back to 41% (below 72%)' }]]);
    engine.evaluate([], readings);
    expect(events).toHaveLength(3);
    // The resolution quotes the reading that cleared it, not the value that fired.
    expect(events[2]).toMatchObject({
      type: 'alert.resolved',
      alert: {
        key: cpu.key,
        resolvedAt: clock.now(),
        value: 41,
        message: 'host CPU back to 41% (below 72%)',
      },
    });
    expect(createQueries(store).firingAlerts()).toEqual([]);
    expect(createQueries(store).alertHistory()[0]).toMatchObject({
      resolvedAt: clock.now(),
      notifiedState: 'resolved',
      value: 41,
    });

    // Inside the cooldown after that resolution a re-fire is the same incident, told at its end.
    clock.advance(SAMPLE_MS);
    engine.evaluate([cpu]);
    expect(events).toHaveLength(3);
    expect(engine.firing()).toMatchObject([{ id: events[0]!.alert.id, refiredCount: 1 }]);
    clock.advance(COOLDOWN_MS);
    engine.evaluate([cpu]);
    expect(events[3]).toMatchObject({ type: 'alert.fired', isRepeat: true, alert: { refiredCount: 1 } });

    // A key resolved and told a whole cooldown ago is forgotten: its next firing is a new alert.
    clock.advance(SAMPLE_MS);
    engine.evaluate([]);
    engine.evaluate([]);
    clock.advance(COOLDOWN_MS);
    engine.evaluate([]);
    expect(events.map((e) => e.type).slice(4)).toEqual(['alert.resolved']);
    clock.advance(COOLDOWN_MS);
    engine.evaluate([]);
    clock.advance(SAMPLE_MS);
    engine.evaluate([cpu]);
    expect(events).toHaveLength(6);
    expect(events[5]).toMatchObject({ type: 'alert.fired', isRepeat: false, alert: { refiredCount: 0 } });
    expect(events[5]!.alert.id).not.toBe(events[0]!.alert.id);
  });

  it('sends a resolution inside the cooldown when the cooldown ends, if it still holds', () => {
    const { clock, engine, events } = setup();
    engine.evaluate([cpu]);
    clock.advance(SAMPLE_MS);
    engine.evaluate([]);
    clock.advance(SAMPLE_MS);
    engine.evaluate([]);
    // Resolved (no longer firing) but not told yet: the fired notification was 10 s ago.
    expect(engine.firing()).toEqual([]);
    expect(events.map((e) => e.type)).toEqual(['alert.fired']);
    clock.advance(COOLDOWN_MS - 2 * SAMPLE_MS - 1);
    engine.evaluate([]);
    expect(events).toHaveLength(1);
    clock.advance(1);
    engine.evaluate([]);
    expect(events.map((e) => e.type)).toEqual(['alert.fired', 'alert.resolved']);
    expect(events[1]!.alert.resolvedAt).toBe(T0 + 2 * SAMPLE_MS);
  });

  it('makes one incident and one notification per cooldown of a flapping condition', () => {
    const { store, clock, engine, events } = setup();
    // Fires, clears for two samples, fires again: 20 times in 100 s (a sample a second).
    for (let flap = 0; flap < 20; flap++) {
      engine.evaluate([cpu]);
      clock.advance(1_000);
      engine.evaluate([]);
      clock.advance(1_000);
      engine.evaluate([]);
      clock.advance(1_000);
      engine.evaluate([cpu]);
      clock.advance(1_000);
      engine.evaluate([cpu]);
      clock.advance(1_000);
    }
    expect(events).toHaveLength(1);
    const history = createQueries(store).alertHistory();
    expect(history).toHaveLength(1);
    expect(history[0]).toMatchObject({ refiredCount: 20, resolvedAt: null });
    // Still flapping when the cooldown ends: one reminder, with the flaps counted.
    clock.advance(COOLDOWN_MS - 100_000);
    engine.evaluate([cpu]);
    expect(events).toHaveLength(2);
    expect(events[1]).toMatchObject({ type: 'alert.fired', isRepeat: true, alert: { refiredCount: 20 } });
  });

  it('sends at most one host-CPU notification per cooldown under a flapping CPU series', () => {
    const store = temp.open();
    let now = T0;
    const engine = new AlertEngine({
      store: createAlertStore(store),
      cooldownMs: COOLDOWN_MS,
      now: () => now,
      rules: { thresholds: thresholdsSchema.parse({}), sustainedSamples: 3, minRequests: 20 },
    });
    const sent: { at: number; event: AlertEvent }[] = [];
    engine.on((event) => sent.push({ at: now, event }));
    // A sample every 200 ms: three over the 80 % threshold, two under it — the series that gave
    // 11 notifications in 20 s. One cycle in three the CPU falls only to 78 % (inside the margin).
    const cycle = [95, 95, 95, 40, 40, 95, 95, 95, 30, 30, 95, 95, 95, 78, 78];
    const run = (durationMs: number) => {
      for (const end = now + durationMs; now < end; now += 200) {
        const cpuPercent = cycle[((now - T0) / 200) % cycle.length]!;
        engine.evaluateSnapshot({ host: { cpuPercent, memPercent: 10, loadPerCore: 0.1 }, servers: [] });
      }
    };
    run(20_000);
    console.info(`flapping host CPU: ${sent.length} notification(s) in the first 20 s`);
    expect(sent.map((s) => s.event.type)).toEqual(['alert.fired']);
    expect(createQueries(store).alertHistory()).toMatchObject([{ key: 'host_cpu:host', refiredCount: 13 }]);
    // Half an hour of it: notifications at least a cooldown apart, one alert row.
    run(30 * 60_000 - 20_000);
    const gaps = sent.slice(1).map((s, i) => s.at - sent[i]!.at);
    console.info(`flapping host CPU: ${sent.length} notification(s) in 30 minutes`);
    expect(sent.length).toBeLessThanOrEqual(7);
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(COOLDOWN_MS);
    expect(createQueries(store).alertHistory()).toHaveLength(1);
  });

  it('does not re-send firing alerts after a restart and keeps their cooldown', () => {
    const { store, clock, engine, events } = setup();
    engine.evaluate([cpu]);
    expect(events).toHaveLength(1);

    const restarted = new AlertEngine({
      store: createAlertStore(store),
      cooldownMs: COOLDOWN_MS,
      now: clock.now,
    });
    const afterRestart: AlertEvent[] = [];
    restarted.on((event) => afterRestart.push(event));
    restarted.start();
    expect(restarted.firing().map((a) => a.key)).toEqual([cpu.key]);
    clock.advance(SAMPLE_MS);
    restarted.evaluate([cpu]);
    expect(afterRestart).toEqual([]);
    clock.advance(COOLDOWN_MS);
    restarted.evaluate([cpu]);
    expect(afterRestart).toHaveLength(1);
    expect(afterRestart[0]).toMatchObject({ isRepeat: true, alert: { suppressedCount: 1 } });
  });

  it('tells a resolution still owed after a restart, and reopens an incident within its cooldown', () => {
    const { store, clock, engine } = setup();
    engine.evaluate([cpu]);
    engine.evaluate([]);
    engine.evaluate([]);
    const restart = () => {
      const next = new AlertEngine({
        store: createAlertStore(store),
        cooldownMs: COOLDOWN_MS,
        now: clock.now,
      });
      const seen: AlertEvent[] = [];
      next.on((event) => seen.push(event));
      next.start();
      return { next, seen };
    };
    // Restarted inside the cooldown: a re-fire is the same incident, still not notified.
    const first = restart();
    clock.advance(SAMPLE_MS);
    first.next.evaluate([cpu]);
    expect(first.seen).toEqual([]);
    expect(first.next.firing()).toMatchObject([{ refiredCount: 1 }]);
    first.next.evaluate([]);
    first.next.evaluate([]);
    // Restarted after it: the resolution not told yet goes out at the first evaluation.
    clock.advance(COOLDOWN_MS);
    const second = restart();
    second.next.evaluate([]);
    expect(second.seen.map((e) => e.type)).toEqual(['alert.resolved']);
    expect(createQueries(store).alertHistory()).toMatchObject([
      { notifiedState: 'resolved', refiredCount: 1 },
    ]);
  });

  it('does not remind about an acknowledged alert but still resolves it', () => {
    const { clock, engine, events } = setup({ resolveAfterSamples: 1 });
    const [fired] = engine.evaluate([cpu]);
    expect(engine.acknowledge(fired!.alert.id)).toBe(true);
    expect(engine.acknowledge(fired!.alert.id)).toBe(false);
    clock.advance(COOLDOWN_MS * 2);
    engine.evaluate([cpu]);
    expect(events).toHaveLength(1);
    engine.evaluate([]);
    expect(events.map((e) => e.type)).toEqual(['alert.fired', 'alert.resolved']);
    expect(events[1]!.alert.acknowledgedAt).toBe(T0);
  });

  it('runs the rules with sustained host streaks kept per engine', () => {
    const store = temp.open();
    const engine = new AlertEngine({
      store: createAlertStore(store),
      cooldownMs: COOLDOWN_MS,
      rules: { thresholds: thresholdsSchema.parse({}), sustainedSamples: 3, minRequests: 20 },
    });
    const snapshot = { host: { cpuPercent: 99, memPercent: 1, loadPerCore: 0 }, servers: [] };
    expect(engine.evaluateSnapshot(snapshot)).toEqual([]);
    expect(engine.evaluateSnapshot(snapshot)).toEqual([]);
    expect(engine.evaluateSnapshot(snapshot).map((e) => e.alert.key)).toEqual(['host_cpu:host']);
  });

  it('keeps notifying when a listener throws or the store fails', () => {
    const errors: unknown[] = [];
    const engine = new AlertEngine({
      store: {
        firing: () => [],
        tracked: () => [],
        history: () => [],
        insert: () => {
          throw new Error('disk full');
        },
        update: () => {},
        acknowledge: () => false,
      },
      cooldownMs: COOLDOWN_MS,
      logger: { debug() {}, info() {}, warn() {}, error: (obj) => errors.push(obj) },
    });
    const seen: string[] = [];
    engine.on(() => {
      throw new Error('listener bug');
    });
    const off = engine.on((event) => seen.push(event.type));
    engine.evaluate([cpu]);
    expect(seen).toEqual(['alert.fired']);
    expect(errors).toEqual([{ err: 'disk full', key: cpu.key }, { err: 'listener bug' }]);
    off();
    engine.evaluate([]);
    engine.evaluate([]);
    expect(seen).toEqual(['alert.fired']);
  });
});
