import { describe, expect, it } from 'vitest';
import { createAlertStore } from '../../../supervisor/store/alert-store.ts';
import { RetentionJob } from '../../../supervisor/store/retention.ts';
import { useTempStores } from './helpers.ts';

const DAY_MS = 86_400_000;
const NOW = Date.UTC(2026, 5, 1);

describe('RetentionJob', () => {
  const temp = useTempStores();

  it('deletes only rows older than the configured days, in batches', async () => {
    const store = temp.open();
    const db = store.db;
    const insertRequest = db.prepare(
      "INSERT INTO requests (ts, server, method, status, latency_ms) VALUES (?, 'a', 'm', 'ok', 1)",
    );
    const insertSample = db.prepare('INSERT INTO system_samples VALUES (?, 1, 1, 1, 1, 1, 1)');
    db.transaction(() => {
      // 2 500 requests older than 7 days, 1 000 within; samples 40 and 10 days old.
      for (let i = 0; i < 2500; i++) insertRequest.run(NOW - 8 * DAY_MS - i);
      for (let i = 0; i < 1000; i++) insertRequest.run(NOW - 6 * DAY_MS - i);
      for (let i = 0; i < 30; i++) insertSample.run(NOW - 40 * DAY_MS + i);
      for (let i = 0; i < 20; i++) insertSample.run(NOW - 10 * DAY_MS + i);
      db.prepare("INSERT INTO request_rollups VALUES ('a', '', ?, 1, 0, 0, 1, '[1]')").run(NOW - 31 * DAY_MS);
      db.prepare("INSERT INTO request_rollups VALUES ('a', '', ?, 1, 0, 0, 1, '[1]')").run(NOW - 8 * DAY_MS);
      db.prepare("INSERT INTO process_samples (ts, server) VALUES (?, 'a')").run(NOW - 31 * DAY_MS);
      db.prepare("INSERT INTO server_events (ts, server, kind) VALUES (?, 'a', 'start')").run(
        NOW - 31 * DAY_MS,
      );
    })();
    const alerts = createAlertStore(store);
    const base = {
      rule: 'host_cpu',
      subject: 'host',
      severity: 'warning' as const,
      value: 90,
      threshold: 80,
      message: 'cpu',
      suppressedCount: 0,
      refiredCount: 0,
      acknowledgedAt: null,
    };
    const old = NOW - 40 * DAY_MS;
    alerts.insert({
      ...base,
      key: 'old-resolved',
      firedAt: old,
      lastSeenAt: old,
      notifiedAt: old,
      notifiedState: 'resolved',
      resolvedAt: old,
    });
    alerts.insert({
      ...base,
      key: 'old-open',
      firedAt: old,
      lastSeenAt: old,
      notifiedAt: old,
      notifiedState: 'fired',
      resolvedAt: null,
    });

    const job = new RetentionJob({
      store,
      retention: { requestsDays: 7, samplesDays: 30 },
      now: () => NOW,
      batchRows: 1000,
    });
    const result = await job.runOnce();
    expect(result).toEqual({
      requests: 2500,
      request_rollups: 1,
      system_samples: 30,
      process_samples: 1,
      server_events: 1,
      alerts: 1,
    });
    expect(db.prepare('SELECT count(*) FROM requests').pluck().get()).toBe(1000);
    expect(db.prepare('SELECT min(ts) FROM requests').pluck().get()).toBeGreaterThanOrEqual(NOW - 7 * DAY_MS);
    expect(db.prepare('SELECT count(*) FROM system_samples').pluck().get()).toBe(20);
    expect(alerts.firing().map((a) => a.key)).toEqual(['old-open']);
    expect(await job.runOnce()).toMatchObject({ requests: 0 });
  });

  it('yields to the event loop between batches and stops between them when aborted', async () => {
    const store = temp.open();
    const insert = store.db.prepare(
      "INSERT INTO requests (ts, server, method, status, latency_ms) VALUES (?, 'a', 'm', 'ok', 1)",
    );
    store.db.transaction(() => {
      for (let i = 0; i < 1000; i++) insert.run(i);
    })();
    const job = new RetentionJob({
      store,
      retention: { requestsDays: 1, samplesDays: 1 },
      now: () => NOW,
      batchRows: 100,
    });
    const controller = new AbortController();
    const run = job.runOnce(controller.signal);
    // The abort can only land if the job gives the event loop a turn between two batches.
    setImmediate(() => controller.abort(new Error('stop now')));
    await expect(run).rejects.toThrow('stop now');
    const left = store.db.prepare('SELECT count(*) FROM requests').pluck().get() as number;
    expect(left).toBeGreaterThan(0);
    expect(left).toBeLessThan(1000);
    expect(left % 100).toBe(0);
  });

  it('runs at start and on its timer, and stop waits for it', async () => {
    const store = temp.open();
    store.db
      .prepare("INSERT INTO requests (ts, server, method, status, latency_ms) VALUES (0, 'a', 'm', 'ok', 1)")
      .run();
    const job = new RetentionJob({ store, retention: { requestsDays: 1, samplesDays: 1 }, now: () => NOW });
    job.start();
    await job.stop();
    expect(store.db.prepare('SELECT count(*) FROM requests').pluck().get()).toBe(0);
    expect(
      () => new RetentionJob({ store, retention: { requestsDays: 1, samplesDays: 1 }, batchRows: 0 }),
    ).toThrow(/batchRows/);
  });
});
