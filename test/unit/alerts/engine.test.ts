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

    // Hysteresis: one absent sample does not resolve; the condition coming back resets the count.
    clock.advance(SAMPLE_MS);
    engine.evaluate([]);
    clock.advance(SAMPLE_MS);
    engine.evaluate([cpu]);
    clock.advance(SAMPLE_MS);
    engine.evaluate([]);
    expect(events).toHaveLength(2);
    clock.advance(SAMPLE_MS);
    engine.evaluate([]);
    expect(events).toHaveLength(3);
    expect(events[2]).toMatchObject({
      type: 'alert.resolved',
      alert: { key: cpu.key, resolvedAt: clock.now() },
    });
    clock.advance(SAMPLE_MS);
    engine.evaluate([]);
    expect(events).toHaveLength(3);
    expect(createQueries(store).firingAlerts()).toEqual([]);
    expect(createQueries(store).alertHistory()[0]).toMatchObject({ resolvedAt: clock.now() - SAMPLE_MS });

    // The same key later is a new alert, notified at once.
    clock.advance(SAMPLE_MS);
    engine.evaluate([cpu]);
    expect(events).toHaveLength(4);
    expect(events[3]).toMatchObject({ type: 'alert.fired', isRepeat: false });
    expect(events[3]!.alert.id).not.toBe(events[0]!.alert.id);
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
