import { describe, expect, it } from 'vitest';
import { createQueries } from '../../../supervisor/store/queries.ts';
import { RequestRecorder } from '../../../supervisor/store/recorder.ts';
import { useTempStores } from './helpers.ts';

const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);
const STEP_MS = 5_000;

describe('queries: host and process series', () => {
  const temp = useTempStores();

  /** Samples every 1.234 s from T0 + 777 ms: none of them sits on a step boundary. */
  function seed() {
    const store = temp.open();
    const recorder = new RequestRecorder({ store });
    for (let i = 0; i < 8; i++) {
      const ts = T0 + 777 + i * 1_234;
      recorder.recordSystemSample({
        ts,
        cpuPercent: 10 + i,
        memPercent: 50,
        load1: 1,
        load5: 1,
        load15: 1,
        loadPerCore: 0.5,
      });
      recorder.recordProcessSample({
        ts,
        server: 'alpha',
        pid: 42,
        cpuPercent: 2 * i,
        rssBytes: 1_000 + i,
        restarts: i < 4 ? 0 : 1,
        uptimeMs: 1_000,
      });
    }
    recorder.stop();
    return createQueries(store);
  }

  it('averages host samples that fall inside a step, wherever in the step they are', () => {
    const queries = seed();
    // Samples at +0.777, 2.011, 3.245, 4.479 s (step 0) and 5.713, 6.947, 8.181, 9.415 s (step 1).
    const points = queries.hostSeries({ from: T0, to: T0 + 3 * STEP_MS, stepMs: STEP_MS });
    expect(points.map((p) => p.ts)).toEqual([T0, T0 + STEP_MS, T0 + 2 * STEP_MS]);
    expect(points.map((p) => p.cpuPercent)).toEqual([11.5, 15.5, null]);
    expect(points[0]).toMatchObject({ memPercent: 50, load1: 1, loadPerCore: 0.5 });
  });

  it('buckets process samples per step: average CPU, maximum RSS and restarts', () => {
    const queries = seed();
    const points = queries.processSeries({
      server: 'alpha',
      from: T0,
      to: T0 + 3 * STEP_MS,
      stepMs: STEP_MS,
    });
    expect(points).toEqual([
      { ts: T0, cpuPercent: 3, rssBytes: 1_003, restarts: 0 },
      { ts: T0 + STEP_MS, cpuPercent: 11, rssBytes: 1_007, restarts: 1 },
      { ts: T0 + 2 * STEP_MS, cpuPercent: null, rssBytes: null, restarts: null },
    ]);
    expect(queries.processSeries({ server: 'beta', from: T0, to: T0 + STEP_MS, stepMs: STEP_MS })).toEqual([
      { ts: T0, cpuPercent: null, rssBytes: null, restarts: null },
    ]);
  });

  it('aligns steps to the epoch when "from" is not on a boundary', () => {
    const queries = seed();
    const points = queries.hostSeries({ from: T0 + 2_500, to: T0 + 7_500, stepMs: STEP_MS });
    expect(points.map((p) => p.ts)).toEqual([T0, T0 + STEP_MS]);
    // Whole steps from the one holding "from"; the last one ends at "to" (T0 + 7.5 s).
    expect(points.map((p) => p.cpuPercent)).toEqual([11.5, 14.5]);
  });
});
