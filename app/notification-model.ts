/**
 * What a desktop notification says for one supervisor alert event: pure, so titles, bodies,
 * actions and click targets are tested per event without Electron.
 *
 * One event is one notification: the supervisor already applies the cooldown (a reminder after
 * it, repeats counted in `suppressedCount`), so the app adds none of its own.
 */
import type { ConsoleRoute } from './console-routes.ts';
import type { AlertEvent, AlertRecord, ServerRow } from './supervisor-wire.ts';

export type NotificationActionId = 'restart' | 'acknowledge';

export interface NotificationModel {
  /** Identifies the event across reconnects of the stream, so a replay is shown once. */
  dedupeKey: string;
  title: string;
  body: string;
  urgency: 'low' | 'normal' | 'critical';
  /** Buttons, where the platform has them (macOS, Windows). */
  actions: { id: NotificationActionId; label: string }[];
  /** Where a click opens the console. */
  route: ConsoleRoute;
  /** The alert the actions act on. */
  alertId: number;
  /** The server the Restart action restarts. */
  server?: string;
}

/** Extra facts the supervisor's event does not carry, read by the app for a crash. */
export interface AlertContext {
  /** The server's status row (its last exit). */
  server?: ServerRow;
  /** The last line the server wrote to stderr. */
  lastStderrLine?: string;
}

/** The rules whose subject is a server (everything but the host rules). */
export function isServerAlert(alert: AlertRecord): boolean {
  return alert.subject !== 'host' && !alert.rule.startsWith('host_');
}

/** Whether the body of this alert's notification needs the server's last stderr line. */
export function wantsStderr(event: AlertEvent): boolean {
  return event.type === 'alert.fired' && event.alert.rule === 'crash_loop';
}

/** Identifies an event across reconnects: a reminder has its own `notifiedAt`, a resolution is once. */
export function alertDedupeKey(event: AlertEvent): string {
  const { alert } = event;
  if (event.type === 'alert.resolved') return `resolved:${alert.id}`;
  return `fired:${alert.id}:${alert.notifiedAt ?? alert.lastSeenAt ?? (event.isRepeat ? 'repeat' : 'first')}`;
}

const SEVERITY_LABEL: Record<string, string> = { critical: 'Critical', warning: 'Warning', info: 'Info' };

/** "CPU high — host", "memory keeps crashing": what is wrong, and with what. */
export function alertHeadline(alert: AlertRecord): string {
  const s = alert.subject;
  switch (alert.rule) {
    case 'host_cpu':
      return `CPU high — ${s}`;
    case 'host_memory':
      return `Memory high — ${s}`;
    case 'host_load':
      return `Load high — ${s}`;
    case 'latency_p95':
      return `Slow responses — ${s}`;
    case 'error_rate':
      return `Requests failing — ${s}`;
    case 'crash_loop':
      return `${s} keeps crashing`;
    case 'breaker_open':
      return `Circuit open — ${s}`;
    case 'queue_saturation':
      return `Queue filling up — ${s}`;
    default:
      return `${alert.rule.replaceAll('_', ' ')} — ${s}`;
  }
}

const round = (value: number, digits: number) => Number(value.toFixed(digits)).toString();

/** "93 % (threshold 80 %)"; undefined for rules whose value is a flag (crash loop, breaker). */
export function valueVsThreshold(alert: AlertRecord): string | undefined {
  const { value, threshold } = alert;
  switch (alert.rule) {
    case 'host_cpu':
    case 'host_memory':
      return `${round(value, 0)} % (threshold ${threshold} %)`;
    case 'host_load':
      return `${round(value, 2)} per core (threshold ${threshold})`;
    case 'latency_p95':
      return `p95 ${round(value, 0)} ms (threshold ${threshold} ms)`;
    case 'error_rate':
      return `${round(value, 1)} % of requests failed (threshold ${threshold} %)`;
    case 'queue_saturation':
      return `queue ${round(value, 0)} % full (threshold ${threshold} %)`;
    case 'crash_loop':
    case 'breaker_open':
      return undefined;
    default:
      return `${round(value, 2)} (threshold ${threshold})`;
  }
}

/** "12 min", "45 s", "2 h 5 min". */
export function formatDuration(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  return minutes % 60 === 0 ? `${hours} h` : `${hours} h ${minutes % 60} min`;
}

/** PM2 prefixes each log line with its time (`2026-01-02T03:04:05: `); the reader wants the text. */
export function stripLogTimestamp(line: string): string {
  return line.replace(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:?\d\d)?:\s?/, '');
}

function crashFacts(context: AlertContext): string[] {
  const facts: string[] = [];
  const exit = context.server?.lastExit;
  if (exit?.signal) facts.push(`killed by ${exit.signal}`);
  else if (exit && exit.exitCode !== null) facts.push(`exit code ${exit.exitCode}`);
  const line = context.lastStderrLine && stripLogTimestamp(context.lastStderrLine).trim();
  if (line) facts.push(`last error: ${line}`);
  return facts;
}

/**
 * The notification of one alert event. Fired, reminder and resolved differ in title (a
 * "Reminder" or "Resolved" prefix), body and actions; a click opens the server for a crash loop
 * and the alert otherwise.
 */
export function alertNotification(
  event: AlertEvent,
  context: AlertContext = {},
  options: { hasActions: boolean } = { hasActions: true },
): NotificationModel {
  const { alert } = event;
  const headline = alertHeadline(alert);
  const severity = SEVERITY_LABEL[alert.severity] ?? alert.severity;
  const measured = valueVsThreshold(alert);
  const server = isServerAlert(alert) ? alert.subject : undefined;
  const route: ConsoleRoute =
    alert.rule === 'crash_loop' && server
      ? { view: 'server', name: server }
      : { view: 'alert', id: alert.id };
  const base = { alertId: alert.id, route, ...(server ? { server } : {}) };

  if (event.type === 'alert.resolved') {
    const lasted =
      alert.resolvedAt && alert.firedAt ? ` after ${formatDuration(alert.resolvedAt - alert.firedAt)}` : '';
    return {
      ...base,
      dedupeKey: alertDedupeKey(event),
      title: `Resolved: ${headline}`,
      body: `Back to normal${lasted}.${measured ? ` It was ${measured}.` : ''}`,
      urgency: 'low',
      actions: [],
    };
  }

  const parts: string[] = [];
  if (alert.rule === 'crash_loop') parts.push(...crashFacts(context));
  else if (measured) parts.push(measured);
  if (parts.length === 0) parts.push(alert.message);
  if (event.isRepeat) {
    const since =
      alert.firedAt && alert.lastSeenAt ? ` for ${formatDuration(alert.lastSeenAt - alert.firedAt)}` : '';
    const repeats =
      alert.suppressedCount > 0
        ? `, ${alert.suppressedCount} more time${alert.suppressedCount === 1 ? '' : 's'} since the last notice`
        : '';
    parts.push(`Still firing${since}${repeats}.`);
  }
  const actions: NotificationModel['actions'] = [];
  if (options.hasActions) {
    if (alert.rule === 'crash_loop' && server) actions.push({ id: 'restart', label: 'Restart' });
    if (!alert.acknowledgedAt) actions.push({ id: 'acknowledge', label: 'Acknowledge' });
  }
  return {
    ...base,
    dedupeKey: alertDedupeKey(event),
    title: `${event.isRepeat ? `Reminder, ${severity.toLowerCase()}` : severity}: ${headline}`,
    body: parts.join(' · '),
    urgency: alert.severity === 'critical' ? 'critical' : 'normal',
    actions,
  };
}
