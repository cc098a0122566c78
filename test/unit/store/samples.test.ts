import { describe, expect, it } from 'vitest';
import { RequestRecorder } from '../../../supervisor/store/recorder.ts';
import { createSampleQueries } from '../../../supervisor/store/samples.ts';
import { useTempStores } from './helpers.ts';

const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);

describe('sample queries', () => {
  const temp = useTempStores();

  it('averages host samples per step with every step present', () => {
    const store = temp.open();
    const recorder = new RequestRecorder({ store });
    for (let i = 0; i < 12; i++) {
      recorder.recordSystemSample({
        ts: T0 + i * 5_000,
        cpuPercent: i < 6 ? 10 : 30,
        memPercent: 50,
        load1: 1,
        load5: 1,
        load15: 1,
        loadPerCore: 0.5,
      });
    }
    recorder.stop();
    const points = createSampleQueries(store).host({ from: T0, to: T0 + 90_000, stepMs: 30_000 });
    expect(points.map((p) => [p.ts - T0, p.cpuPercent, p.memPercent])).toEqual([
      [0, 10, 50],
      [30_000, 30, 50],
      [60_000, null, null],
    ]);
  });

  it('groups process samples per server: average CPU, peak RSS', () => {
    const store = temp.open();
    const recorder = new RequestRecorder({ store });
    for (let i = 0; i < 6; i++) {
      for (const server of ['alpha', 'beta']) {
        recorder.recordProcessSample({
          ts: T0 + i * 10_000,
          server,
          pid: 10,
          cpuPercent: server === 'alpha' ? i : 50,
          rssBytes: 1_000 * (i + 1),
          restarts: 0,
          uptimeMs: 1,
        });
      }
    }
    recorder.stop();
    const queries = createSampleQueries(store);
    const range = { from: T0, to: T0 + 60_000, stepMs: 30_000 };
    const all = queries.processes(range);
    expect([...all.keys()].sort()).toEqual(['alpha', 'beta']);
    expect(all.get('alpha')?.map((p) => [p.cpuPercent, p.rssBytes])).toEqual([
      [1, 3_000],
      [4, 6_000],
    ]);
    const only = queries.processes(range, ['beta', 'gamma']);
    expect([...only.keys()]).toEqual(['beta', 'gamma']);
    expect(only.get('gamma')?.every((p) => p.cpuPercent === null)).toBe(true);
    expect(() => queries.processes({ ...range, stepMs: 1 })).toThrow(/at most 2000 points/);
  });
});
