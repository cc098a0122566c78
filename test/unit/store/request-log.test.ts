import { describe, expect, it } from 'vitest';
import { RequestRecorder } from '../../../supervisor/store/recorder.ts';
import { createRequestLog } from '../../../supervisor/store/request-log.ts';
import type { RequestEvent } from '../../../supervisor/store/types.ts';
import { useTempStores } from './helpers.ts';

const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);

function event(i: number, overrides: Partial<RequestEvent> = {}): RequestEvent {
  return {
    ts: T0 + Math.floor(i / 2) * 1_000,
    server: i % 3 === 0 ? 'beta' : 'alpha',
    method: 'tools/call',
    tool: i % 4 === 0 ? 'slow' : 'echo',
    client: i % 5 === 0 ? 'key-b' : 'key-a',
    status: i % 7 === 0 ? 'refused' : i % 6 === 0 ? 'error' : 'ok',
    latencyMs: i,
    errorCode: i % 7 === 0 ? 'queue_full' : i % 6 === 0 ? '-32603' : null,
    ...overrides,
  };
}

describe('request log', () => {
  const temp = useTempStores();

  function seeded(count: number) {
    const store = temp.open();
    const recorder = new RequestRecorder({ store, now: () => T0 });
    for (let i = 0; i < count; i++) recorder.record(event(i));
    recorder.stop();
    return createRequestLog(store);
  }

  it('pages newest first without losing or repeating a row, even with equal timestamps', () => {
    const log = seeded(101);
    const seen: number[] = [];
    let before: { ts: number; id: number } | undefined;
    for (let pages = 0; pages < 20; pages++) {
      const page = log.query({ limit: 10, ...(before ? { before } : {}) });
      seen.push(...page.rows.map((row) => row.latencyMs));
      if (!page.next) break;
      before = page.next;
    }
    // Two requests share each second; within a second the later row comes first.
    expect(seen).toEqual(Array.from({ length: 101 }, (_, i) => 100 - i));
  });

  it('filters by server, tool, status, client, refusal reason and time', () => {
    const log = seeded(60);
    const refused = log.query({ status: 'refused' }).rows;
    expect(refused.length).toBeGreaterThan(0);
    expect(refused.every((row) => row.status === 'refused' && row.errorCode === 'queue_full')).toBe(true);
    expect(log.query({ errorCode: 'queue_full' }).rows).toHaveLength(refused.length);
    const beta = log.query({ server: 'beta', tool: 'slow', client: 'key-a' }).rows;
    expect(beta.map((row) => row.latencyMs)).toEqual([48, 36, 24, 12]);
    const window = log.query({ from: T0 + 10_000, to: T0 + 12_000 }).rows;
    expect(window.map((row) => row.latencyMs)).toEqual([23, 22, 21, 20]);
    expect(window[0]).toMatchObject({ server: 'alpha', method: 'tools/call', tool: 'echo', status: 'ok' });
  });

  it('lists the servers and tools seen, from the rollups', () => {
    const log = seeded(20);
    expect(log.facets(T0)).toEqual({
      servers: ['alpha', 'beta'],
      tools: [
        { server: 'alpha', tool: 'echo' },
        { server: 'alpha', tool: 'slow' },
        { server: 'beta', tool: 'echo' },
        { server: 'beta', tool: 'slow' },
      ],
    });
  });

  it('counts refusals per step and reason', () => {
    const store = temp.open();
    const recorder = new RequestRecorder({ store, now: () => T0 });
    const refused = (ts: number, reason: string, server = 'alpha') =>
      recorder.record(event(1, { ts, server, status: 'refused', errorCode: reason }));
    refused(T0, 'queue_full');
    refused(T0 + 1_000, 'queue_full');
    refused(T0 + 2_000, 'rate_limited');
    refused(T0 + 61_000, 'circuit_open');
    refused(T0 + 61_000, 'circuit_open', 'beta');
    recorder.record(event(2, { ts: T0, status: 'ok' }));
    recorder.stop();
    const log = createRequestLog(store);
    const series = log.refusals({ from: T0, to: T0 + 120_000, stepMs: 60_000, server: 'alpha' });
    expect(series).toEqual({
      reasons: ['circuit_open', 'queue_full', 'rate_limited'],
      points: [
        { ts: T0, counts: { queue_full: 2, rate_limited: 1 } },
        { ts: T0 + 60_000, counts: { circuit_open: 1 } },
      ],
    });
    expect(log.refusals({ from: T0, to: T0 + 120_000, stepMs: 60_000 }).points[1]?.counts).toEqual({
      circuit_open: 2,
    });
  });

  it('refuses a page size it would not serve', () => {
    const log = seeded(1);
    expect(() => log.query({ limit: 0 })).toThrow(/limit must be an integer in 1\.\.5000/);
    expect(() => log.query({ limit: 10_000 })).toThrow(/limit/);
  });
});
