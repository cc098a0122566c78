import { describe, expect, it } from 'vitest';
import {
  alertDedupeKey,
  alertHeadline,
  alertNotification,
  formatDuration,
  stripLogTimestamp,
} from '../../../app/notification-model.ts';
import type { AlertEvent, AlertRecord } from '../../../app/supervisor-wire.ts';
import { crashLoopAlert, hostCpuAlert } from './alert-fixtures.ts';

const MINUTE = 60_000;
const alert = hostCpuAlert;
const crash = crashLoopAlert;

describe('alert notification', () => {
  it('titles a firing with severity and subject, and tells value against threshold', () => {
    const model = alertNotification({ type: 'alert.fired', alert: alert(), isRepeat: false });
    expect(model.title).toBe('Warning: CPU high — host');
    expect(model.body).toBe('93 % (threshold 80 %)');
    expect(model.urgency).toBe('normal');
    expect(model.route).toEqual({ view: 'alert', id: 7 });
    expect(model.actions).toEqual([{ id: 'acknowledge', label: 'Acknowledge' }]);
  });

  it('names each rule in words, with the unit of its value', () => {
    const cases: [Partial<AlertRecord>, string, string][] = [
      [{ rule: 'host_memory', value: 91.6, threshold: 85 }, 'Memory high — host', '92 % (threshold 85 %)'],
      [
        { rule: 'host_load', value: 2.345, threshold: 1.5 },
        'Load high — host',
        '2.35 per core (threshold 1.5)',
      ],
      [
        { rule: 'latency_p95', subject: 'files', value: 6210.4, threshold: 5000 },
        'Slow responses — files',
        'p95 6210 ms (threshold 5000 ms)',
      ],
      [
        { rule: 'error_rate', subject: 'files', value: 12.345, threshold: 10 },
        'Requests failing — files',
        '12.3 % of requests failed (threshold 10 %)',
      ],
      [
        { rule: 'queue_saturation', subject: 'files', value: 85, threshold: 80 },
        'Queue filling up — files',
        'queue 85 % full (threshold 80 %)',
      ],
      [
        {
          rule: 'breaker_open',
          subject: 'files',
          message: 'files: circuit breaker open, requests are refused',
        },
        'Circuit open — files',
        'files: circuit breaker open, requests are refused',
      ],
      [
        { rule: 'disk_full', subject: 'host', value: 97, threshold: 95 },
        'disk full — host',
        '97 (threshold 95)',
      ],
    ];
    for (const [overrides, headline, body] of cases) {
      const model = alertNotification({ type: 'alert.fired', alert: alert(overrides), isRepeat: false });
      expect(alertHeadline(alert(overrides)), String(overrides.rule)).toBe(headline);
      expect(model.body, String(overrides.rule)).toBe(body);
    }
  });

  it('tells a crash loop with the exit code and the last stderr line, and offers Restart', () => {
    const model = alertNotification(
      { type: 'alert.fired', alert: crash(), isRepeat: false },
      {
        server: { name: 'memory', state: 'errored', lastExit: { exitCode: 1, signal: null, at: 1 } },
        lastStderrLine: '2026-01-02T03:04:05: Error: MEMORY_FILE_PATH is not writable',
      },
    );
    expect(model.title).toBe('Critical: memory keeps crashing');
    expect(model.body).toBe('exit code 1 · last error: Error: MEMORY_FILE_PATH is not writable');
    expect(model.urgency).toBe('critical');
    expect(model.route).toEqual({ view: 'server', name: 'memory' });
    expect(model.server).toBe('memory');
    expect(model.actions.map((a) => a.id)).toEqual(['restart', 'acknowledge']);
  });

  it('falls back to the supervisor message for a crash without details', () => {
    const model = alertNotification({ type: 'alert.fired', alert: crash(), isRepeat: false });
    expect(model.body).toBe('memory keeps crashing and is no longer restarted; see its log');
  });

  it('tells a reminder apart, with how long and how often it repeated', () => {
    const model = alertNotification({
      type: 'alert.fired',
      alert: alert({
        notifiedAt: 1_000_000 + 5 * MINUTE,
        lastSeenAt: 1_000_000 + 12 * MINUTE,
        suppressedCount: 4,
      }),
      isRepeat: true,
    });
    expect(model.title).toBe('Reminder, warning: CPU high — host');
    expect(model.body).toBe(
      '93 % (threshold 80 %) · Still firing for 12 min, 4 more times since the last notice.',
    );
  });

  it('tells a resolution apart, without actions', () => {
    const model = alertNotification({
      type: 'alert.resolved',
      alert: alert({ resolvedAt: 1_000_000 + 7 * MINUTE }),
    });
    expect(model.title).toBe('Resolved: CPU high — host');
    expect(model.body).toBe('Back to normal after 7 min. It was 93 % (threshold 80 %).');
    expect(model.urgency).toBe('low');
    expect(model.actions).toEqual([]);
    expect(model.route).toEqual({ view: 'alert', id: 7 });
  });

  it('offers no actions where the platform has none, and no Acknowledge once acknowledged', () => {
    const event: AlertEvent = { type: 'alert.fired', alert: crash(), isRepeat: false };
    expect(alertNotification(event, {}, { hasActions: false }).actions).toEqual([]);
    const acked = alertNotification({ ...event, alert: crash({ acknowledgedAt: 5 }) });
    expect(acked.actions.map((a) => a.id)).toEqual(['restart']);
  });

  it('keys an event so a replay is recognised and a reminder is not', () => {
    const first: AlertEvent = { type: 'alert.fired', alert: alert(), isRepeat: false };
    const reminder: AlertEvent = {
      type: 'alert.fired',
      alert: alert({ notifiedAt: 2_000_000 }),
      isRepeat: true,
    };
    const resolved: AlertEvent = { type: 'alert.resolved', alert: alert({ resolvedAt: 3_000_000 }) };
    expect(alertDedupeKey(first)).toBe(alertDedupeKey({ ...first, alert: { ...first.alert } }));
    expect(new Set([first, reminder, resolved].map(alertDedupeKey)).size).toBe(3);
  });
});

describe('formatting', () => {
  it('formats durations and strips the PM2 time prefix', () => {
    expect(formatDuration(45_000)).toBe('45 s');
    expect(formatDuration(12 * MINUTE)).toBe('12 min');
    expect(formatDuration(125 * MINUTE)).toBe('2 h 5 min');
    expect(formatDuration(120 * MINUTE)).toBe('2 h');
    expect(stripLogTimestamp('2026-01-02T03:04:05: boom')).toBe('boom');
    expect(stripLogTimestamp('2026-01-02T03:04:05.123+01:00: boom')).toBe('boom');
    expect(stripLogTimestamp('no prefix: here')).toBe('no prefix: here');
  });
});
