import { describe, expect, it } from 'vitest';
import { createQueries } from '../../../supervisor/store/queries.ts';
import { RequestRecorder } from '../../../supervisor/store/recorder.ts';
import type { RequestEvent } from '../../../supervisor/store/types.ts';
import { useTempStores } from './helpers.ts';

const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);

function event(overrides: Partial<RequestEvent> = {}): RequestEvent {
  return {
    ts: T0,
    server: 'alpha',
    method: 'tools/call',
    tool: 'echo',
    status: 'ok',
    latencyMs: 10,
    ...overrides,
  };
}

/** Matches a number within `fraction` (default 2 %) of `exact`. */
function within(exact: number, fraction = 0.02) {
  return expect.closeTo(exact, -Math.log10(exact * fraction * 2));
}

describe('RequestRecorder', () => {
  const temp = useTempStores();

  it('writes raw events and rollups in one flush and computes percentiles from the rollups', () => {
    const store = temp.open();
    const recorder = new RequestRecorder({ store, now: () => T0 });
    // 1..1000 ms in one minute, every 10th an error, plus 50 refusals that must not touch latency.
    for (let i = 1; i <= 1000; i++) {
      recorder.record(event({ ts: T0 + i, latencyMs: i, status: i % 10 === 0 ? 'error' : 'ok' }));
    }
    for (let i = 0; i < 50; i++) recorder.record(event({ ts: T0 + 5, latencyMs: 0.01, status: 'refused' }));
    const result = recorder.flush();
    expect(result).toMatchObject({ events: 1050, rollups: 1, persistedEvents: 1050 });
    expect(store.db.prepare('SELECT count(*) FROM requests').pluck().get()).toBe(1050);

    const series = createQueries(store).series({ from: T0, to: T0 + 120_000, stepMs: 60_000 });
    // Percentiles are interpolated inside their bucket with the rollup's latency sum: within 2 % of
    // the exact 500 / 950 / 990 ms of 1..1000 (the bucket bounds would read 512 / 1024 / 1024).
    expect(series).toEqual([
      {
        ts: T0,
        count: 1050,
        errors: 100,
        refused: 50,
        p50Ms: within(500),
        p95Ms: within(950),
        p99Ms: within(990),
      },
      { ts: T0 + 60_000, count: 0, errors: 0, refused: 0, p50Ms: null, p95Ms: null, p99Ms: null },
    ]);
  });

  it('persists every raw event exactly, in order, across multi-row batches and the remainder', () => {
    const store = temp.open();
    const recorder = new RequestRecorder({ store, now: () => T0 });
    // 64-row batches: 133 = two full batches and 5 single rows.
    const events = Array.from({ length: 133 }, (_, i) =>
      event({
        ts: T0 + i,
        server: i % 2 === 0 ? 'alpha' : 'beta',
        tool: i % 3 === 0 ? null : `tool-${i}`,
        client: i % 5 === 0 ? undefined : `key-${i}`,
        status: i % 7 === 0 ? 'refused' : 'ok',
        latencyMs: i + 0.5,
        errorCode: i % 7 === 0 ? 'queue_full' : undefined,
      }),
    );
    for (const item of events) recorder.record(item);
    expect(recorder.flush()).toMatchObject({ events: 133 });
    const rows = store.db
      .prepare('SELECT ts, server, tool, client, status, latency_ms, error_code FROM requests ORDER BY rowid')
      .all();
    expect(rows).toEqual(
      events.map((item) => ({
        ts: item.ts,
        server: item.server,
        tool: item.tool ?? null,
        client: item.client ?? null,
        status: item.status,
        latency_ms: item.latencyMs,
        error_code: item.errorCode ?? null,
      })),
    );
  });

  it('adds to an existing rollup row across flushes and across recorders', () => {
    const store = temp.open();
    const first = new RequestRecorder({ store });
    for (let i = 1; i <= 500; i++) first.record(event({ latencyMs: i }));
    first.flush();
    for (let i = 501; i <= 700; i++) first.record(event({ latencyMs: i }));
    first.stop();
    // A new process (recorder) continues the same minute.
    const second = new RequestRecorder({ store });
    for (let i = 701; i <= 1000; i++) second.record(event({ latencyMs: i, status: 'error' }));
    second.stop();
    const rows = store.db.prepare('SELECT count, errors FROM request_rollups').all();
    expect(rows).toEqual([{ count: 1000, errors: 300 }]);
    const [point] = createQueries(store).series({
      from: T0,
      to: T0 + 60_000,
      stepMs: 60_000,
      server: 'alpha',
    });
    expect(point).toMatchObject({
      count: 1000,
      p50Ms: within(500),
      p95Ms: within(950),
    });
  });

  it('keeps servers, tools and minutes apart and filters series by server and tool', () => {
    const store = temp.open();
    const recorder = new RequestRecorder({ store });
    recorder.record(event({ server: 'alpha', tool: 'a', latencyMs: 5 }));
    recorder.record(event({ server: 'alpha', tool: null, method: 'tools/list', latencyMs: 5 }));
    recorder.record(event({ server: 'beta', tool: 'a', latencyMs: 100 }));
    recorder.record(event({ server: 'beta', tool: 'a', ts: T0 + 61_000, latencyMs: 100 }));
    recorder.stop();
    expect(store.db.prepare('SELECT count(*) FROM request_rollups').pluck().get()).toBe(4);
    const queries = createQueries(store);
    const range = { from: T0, to: T0 + 120_000, stepMs: 60_000 };
    expect(queries.series(range).map((p) => p.count)).toEqual([3, 1]);
    expect(queries.series({ ...range, server: 'beta' }).map((p) => p.count)).toEqual([1, 1]);
    expect(queries.series({ ...range, server: 'alpha', tool: '' }).map((p) => p.count)).toEqual([1, 0]);
    expect(queries.series({ ...range, stepMs: 120_000 })).toEqual([
      expect.objectContaining({ ts: T0, count: 4, p50Ms: expect.any(Number) }),
    ]);
    expect(() => queries.series({ ...range, stepMs: 1000 })).toThrow(/multiple of 60000/);
    expect(() => queries.series({ from: 0, to: T0, stepMs: 60_000 })).toThrow(/points requested/);
  });

  it('drops the oldest raw events on overflow, counts them, and keeps every rollup count', () => {
    const store = temp.open();
    const recorder = new RequestRecorder({ store, capacity: 100 });
    for (let i = 0; i < 250; i++) recorder.record(event({ ts: T0 + i, latencyMs: 1 + (i % 7) }));
    expect(recorder.droppedEvents).toBe(150);
    expect(recorder.stats()).toMatchObject({ recordedEvents: 250, droppedEvents: 150, pendingEvents: 100 });
    recorder.flush();
    const raw = store.db.prepare('SELECT min(ts) AS first, count(*) AS n FROM requests').get();
    expect(raw).toEqual({ first: T0 + 150, n: 100 });
    expect(store.db.prepare('SELECT sum(count) FROM request_rollups').pluck().get()).toBe(250);
  });

  it('flushes samples and server events in the same transaction', () => {
    const store = temp.open();
    const recorder = new RequestRecorder({ store });
    recorder.recordSystemSample({
      ts: T0,
      cpuPercent: 12.5,
      memPercent: 40,
      load1: 1,
      load5: 0.5,
      load15: 0.25,
      loadPerCore: 0.5,
    });
    recorder.recordProcessSample({
      ts: T0,
      server: 'alpha',
      pid: 42,
      cpuPercent: 3,
      rssBytes: 1_000_000,
      restarts: 1,
      uptimeMs: 5000,
    });
    recorder.recordServerEvent({
      ts: T0,
      server: 'alpha',
      kind: 'exit',
      exitCode: 1,
      detail: { signal: null },
    });
    expect(recorder.flush()).toMatchObject({ events: 0, samples: 3 });
    const queries = createQueries(store);
    expect(queries.latestProcessSamples({ now: T0 })).toEqual([
      { server: 'alpha', ts: T0, pid: 42, cpuPercent: 3, rssBytes: 1_000_000, restarts: 1, uptimeMs: 5000 },
    ]);
    expect(queries.events({ since: T0 })).toEqual([
      { ts: T0, server: 'alpha', kind: 'exit', detail: { signal: null }, exitCode: 1 },
    ]);
    expect(queries.hostSeries({ from: T0, to: T0 + 10_000, stepMs: 5000 })).toEqual([
      { ts: T0, cpuPercent: 12.5, memPercent: 40, load1: 1, load5: 0.5, load15: 0.25, loadPerCore: 0.5 },
      {
        ts: T0 + 5000,
        cpuPercent: null,
        memPercent: null,
        load1: null,
        load5: null,
        load15: null,
        loadPerCore: null,
      },
    ]);
  });

  it('keeps everything pending when a flush fails, and writes it on the next one', () => {
    const store = temp.open();
    const recorder = new RequestRecorder({ store });
    recorder.record(event());
    store.db.exec('ALTER TABLE requests RENAME TO requests_away');
    expect(recorder.flush()).toBeNull();
    expect(recorder.stats()).toMatchObject({ failedFlushes: 1, pendingEvents: 1 });
    store.db.exec('ALTER TABLE requests_away RENAME TO requests');
    // The rollup was not written either: the transaction rolled back as a whole.
    expect(store.db.prepare('SELECT count(*) FROM request_rollups').pluck().get()).toBe(0);
    recorder.record(event());
    expect(recorder.flush()).toMatchObject({ events: 2 });
    expect(store.db.prepare('SELECT sum(count) FROM request_rollups').pluck().get()).toBe(2);
  });

  it('flushes on its timer, early when a batch fills, and once more on stop', async () => {
    const store = temp.open();
    const flushed: number[] = [];
    const recorder = new RequestRecorder({
      store,
      flushIntervalMs: 20,
      maxBatchEvents: 10,
      onFlush: (r) => flushed.push(r.events),
    });
    recorder.start();
    for (let i = 0; i < 10; i++) recorder.record(event());
    await new Promise((resolve) => setImmediate(resolve));
    expect(flushed).toEqual([10]);
    recorder.record(event());
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(flushed).toEqual([10, 1]);
    recorder.record(event());
    recorder.stop();
    expect(flushed).toEqual([10, 1, 1]);
    recorder.record(event());
    expect(recorder.stats().recordedEvents).toBe(12);
    expect(() => recorder.start()).toThrow(/stopped/);
  });

  it('answers lastMinuteStats from memory over the last minute only', () => {
    const store = temp.open();
    let now = T0;
    const recorder = new RequestRecorder({ store, now: () => now });
    for (let i = 1; i <= 100; i++) {
      recorder.record(event({ ts: T0 + i * 100, latencyMs: i, status: i <= 5 ? 'error' : 'ok' }));
    }
    recorder.record(event({ ts: T0, status: 'refused', latencyMs: 0 }));
    recorder.record(event({ ts: T0, server: 'beta' }));
    now = T0 + 10_000;
    expect(recorder.lastMinuteStats('alpha')).toEqual({
      count: 101,
      errors: 5,
      refused: 1,
      // 95 of 1..100 ms, interpolated inside its bucket (2^6.5, 2^6.75] = (90.5, 107.6], of which
      // the values fill only the lower part (91..100): within 5 %, where the bound is 13 % off.
      p95Ms: within(95, 0.05),
    });
    expect(recorder.lastMinuteStats('gamma')).toEqual({ count: 0, errors: 0, refused: 0, p95Ms: null });
    now = T0 + 70_000;
    expect(recorder.lastMinuteStats('alpha').count).toBe(0);
  });

  it('answers lastMinuteStats when the first request lands in a later slot of the window', () => {
    // Regression: the live window is indexed by slot modulo 6; a first event in slot 3 left holes
    // at 0-2, and reading them threw, failing every monitor tick (no alert could fire).
    const store = temp.open();
    const at = T0 - (T0 % 60_000) + 35_000;
    const recorder = new RequestRecorder({ store, now: () => at + 1_000 });
    for (let i = 0; i < 25; i++) recorder.record(event({ ts: at, status: 'error', latencyMs: 5 }));
    expect(recorder.lastMinuteStats('alpha')).toMatchObject({ count: 25, errors: 25 });
  });

  it('validates its options by name', () => {
    const store = temp.open();
    expect(() => new RequestRecorder({ store, flushIntervalMs: 5000 })).toThrow(/flushIntervalMs/);
    expect(() => new RequestRecorder({ store, capacity: 0 })).toThrow(/capacity/);
  });
});
