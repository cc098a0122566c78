import type { AlertEvent, AlertRecord, ConfigDiff, TimelineEntry } from '../api/types.ts';
import { formatMs } from './format.ts';

/** Sentences the console shows for events, alerts and API failures. Pure. */

/** A timeline entry as a title and an optional detail line. */
export function describeTimelineEntry(entry: TimelineEntry): { title: string; detail: string | null } {
  const who = entry.server ?? 'host';
  const detail = entry.detail ?? {};
  switch (entry.type) {
    case 'start':
      return { title: `${who} started`, detail: null };
    case 'exit':
      return {
        title: `${who} exited${entry.exitCode !== null ? ` with code ${entry.exitCode}` : ''}`,
        detail: typeof detail.signal === 'string' ? `signal ${detail.signal}` : null,
      };
    case 'restart':
      return {
        title: `${who} restarting`,
        detail: typeof detail.delayMs === 'number' ? `after ${formatMs(detail.delayMs)} of backoff` : null,
      };
    case 'crash_loop':
      return { title: `${who} crash loop: stays down until started`, detail: stringOrNull(detail.message) };
    case 'stop':
      return { title: `${who} stopped`, detail: null };
    case 'error':
      return { title: `${who}: error`, detail: stringOrNull(detail.message) };
    case 'reload':
      if (detail.ok === false)
        return { title: 'Config reload refused; nothing changed', detail: stringOrNull(detail.message) };
      return { title: 'Config reloaded', detail: describeDiff(detail as unknown as ConfigDiff) };
    case 'alert.fired':
      return {
        title: `Alert: ${stringOrNull(detail.message) ?? String(detail.key)}`,
        detail: alertValueText(detail),
      };
    case 'alert.resolved':
      return { title: `Resolved: ${stringOrNull(detail.message) ?? String(detail.key)}`, detail: null };
    case 'alert.acknowledged':
      return { title: `Acknowledged: ${stringOrNull(detail.message) ?? String(detail.key)}`, detail: null };
    default:
      return { title: `${who}: ${entry.type}`, detail: null };
  }
}

function stringOrNull(value: unknown): string | null {
  return typeof value === 'string' && value !== '' ? value : null;
}

function alertValueText(detail: Record<string, unknown>): string | null {
  if (typeof detail.value !== 'number' || typeof detail.threshold !== 'number') return null;
  return `value ${round(detail.value)} vs threshold ${round(detail.threshold)}`;
}

const round = (value: number) => String(Math.round(value * 100) / 100);

/** `added memory; changed github; removed old` (or `no server changed`). */
export function describeDiff(diff: Partial<ConfigDiff> | undefined): string {
  if (!diff) return 'no server changed';
  const parts: string[] = [];
  if (diff.added?.length) parts.push(`added ${diff.added.join(', ')}`);
  if (diff.changed?.length) parts.push(`changed ${diff.changed.join(', ')}`);
  if (diff.removed?.length) parts.push(`removed ${diff.removed.join(', ')}`);
  if (parts.length === 0) parts.push('no server changed');
  if (diff.supervisorChanged)
    parts.push('supervisor settings changed (port, host and log apply at the next start)');
  return parts.join('; ');
}

const ALERT_UNITS: Partial<Record<string, string>> = {
  host_cpu: ' %',
  host_memory: ' %',
  host_load: '',
  latency_p95: ' ms',
  error_rate: ' %',
  queue_saturation: ' %',
};

/** An alert's value against its threshold, with the rule's unit (`92.1 % (threshold 80 %)`). */
export function alertValue(alert: Pick<AlertRecord, 'rule' | 'value' | 'threshold'>): string {
  const unit = ALERT_UNITS[alert.rule];
  // Crash loop and breaker rules are states, not measurements.
  if (unit === undefined) return 'condition holds';
  return `${round(alert.value)}${unit} (threshold ${round(alert.threshold)}${unit})`;
}

/** The firing list after one event of the stream: a firing is added or updated, a resolution removes. */
export function applyAlertEvent(firing: readonly AlertRecord[], event: AlertEvent): AlertRecord[] {
  const others = firing.filter((alert) => alert.id !== event.alert.id);
  if (event.type === 'alert.resolved') return others;
  return [...others, event.alert].sort((a, b) => a.firedAt - b.firedAt || a.id - b.id);
}

const OUTCOME_WORDS: Partial<Record<string, string>> = {
  queue_full: 'refused: queue full',
  rate_limited: 'refused: rate limited',
  circuit_open: 'refused: circuit breaker open',
  timeout: 'refused: timed out',
  server_unavailable: 'refused: server unavailable',
  tool_error: 'tool error',
  internal: 'supervisor error',
};

const JSONRPC_WORDS: Partial<Record<string, string>> = {
  '-32700': 'parse error',
  '-32600': 'invalid request',
  '-32601': 'method not found',
  '-32602': 'invalid params',
  '-32603': 'internal error',
  '-32002': 'resource not found',
};

/**
 * A request log row's error code in words: a refusal's reason (`refused: timed out`), a failed
 * tool call (a result flagged `isError`: `tool error`), a server's JSON-RPC error
 * (`JSON-RPC -32602 invalid params`), or the code as it came. Empty for a request that succeeded.
 */
export function describeOutcome(errorCode: string | null): string {
  if (errorCode === null || errorCode === '') return '';
  const words = OUTCOME_WORDS[errorCode];
  if (words) return words;
  if (/^-?\d+$/.test(errorCode)) {
    const name = JSONRPC_WORDS[errorCode];
    return `JSON-RPC ${errorCode}${name ? ` ${name}` : ''}`;
  }
  return errorCode;
}

/** Why an API call failed, in words a person can act on. */
export type Failure =
  | { kind: 'unreachable'; baseUrl: string; detail: string }
  | { kind: 'unauthorized' }
  | { kind: 'forbidden'; message: string }
  | { kind: 'http'; status: number; code: string | null; message: string }
  | { kind: 'bad-response'; status: number };

export function describeFailure(failure: Failure): string {
  switch (failure.kind) {
    case 'unreachable':
      return `Supervisor unreachable at ${failure.baseUrl}: it is stopped or restarting (${failure.detail}).`;
    case 'unauthorized':
      return 'Token rejected: this console’s control token is not the supervisor’s. Open the console again with `mcp-supervisor dashboard`.';
    case 'forbidden':
      return `Refused by the supervisor: ${failure.message}`;
    case 'http':
      return failure.message || `The supervisor answered ${failure.status}.`;
    case 'bad-response':
      return `The supervisor answered ${failure.status} with something that is not JSON.`;
  }
}
