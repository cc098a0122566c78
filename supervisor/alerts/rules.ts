import type { ClusterStatus } from '../client/wire-types.ts';
import type { ThresholdsConfig } from '../config/schema.ts';
import type { BreakerState } from '../limits/breaker.ts';
import type { AlertSeverity } from '../store/alert-store.ts';

/**
 * Alert rules: pure functions from a snapshot to the conditions that hold now. No IO, no clock,
 * no hidden state: the streak counters of the host rules are passed in and returned.
 */
export type AlertRule =
  | 'host_cpu'
  | 'host_memory'
  | 'host_load'
  | 'latency_p95'
  | 'error_rate'
  | 'crash_loop'
  | 'breaker_open'
  | 'queue_saturation'
  | 'cluster_unavailable';

export interface ServerSnapshot {
  name: string;
  lastMinute: { count: number; errors: number; p95Ms: number | null };
  /** Process manager state; `errored` is what PM2 reports once it gave up restarting. */
  state: 'online' | 'starting' | 'stopping' | 'stopped' | 'errored' | 'crash_loop' | (string & {});
  breaker: BreakerState;
  queueDepth: number;
  /** Capacity of the server's queue; 0 means no queue (the rule stays quiet). */
  queueSize: number;
}

/** The cluster's connection as the rules see it (only when `supervisor.cluster` is configured). */
export type ClusterSnapshot = Pick<
  ClusterStatus,
  'clusterId' | 'state' | 'onUnavailable' | 'membersSeen' | 'lastError'
>;

export interface AlertSnapshot {
  host: { cpuPercent: number; memPercent: number; loadPerCore: number };
  servers: readonly ServerSnapshot[];
  cluster?: ClusterSnapshot;
}

export interface AlertCondition {
  /** `${rule}:${subject}` */
  key: string;
  rule: AlertRule;
  /** `host` or a server name. */
  subject: string;
  severity: AlertSeverity;
  value: number;
  threshold: number;
  message: string;
}

export interface RuleOptions {
  thresholds: ThresholdsConfig;
  /** Consecutive samples over a host threshold before its rule holds. */
  sustainedSamples: number;
  /** Requests in the last minute below which latency and error-rate rules stay quiet. */
  minRequests: number;
  /**
   * Hysteresis, percent of each threshold (config `monitor.alertHysteresisPercent`): a firing
   * alert holds until its value falls below `threshold × (1 − hysteresisPercent / 100)`, so a value
   * hovering around the threshold is one alert, not a series. Default 10; 0 clears at the threshold.
   */
  hysteresisPercent?: number;
}

/** Consecutive over-threshold samples per host rule. */
export type HostStreaks = ReadonlyMap<AlertRule, number>;

/**
 * What a rule measured for one key this evaluation, holding or not: the engine words a resolution
 * from it, so a resolved alert quotes the value that cleared it, never the one that fired it.
 */
export interface AlertReading {
  /** The measured value, or null when the rule could not judge (too few requests). */
  value: number | null;
  /** The reading as a sentence, for a resolution. */
  message: string;
}

export interface RuleResult {
  /** The conditions that hold now. */
  conditions: AlertCondition[];
  streaks: Map<AlertRule, number>;
  /** Every key the rules measured, by key. */
  readings: Map<string, AlertReading>;
}

const round = (value: number, digits = 1): number => Math.round(value * 10 ** digits) / 10 ** digits;

/** The level below which a firing alert of `threshold` clears. */
export function clearLevel(threshold: number, hysteresisPercent: number): number {
  return threshold * (1 - hysteresisPercent / 100);
}

/**
 * Evaluates every rule. A key not in `firing` holds once its value reaches its threshold (≥) —
 * host rules only after `sustainedSamples` consecutive samples there (one spike is not an alert);
 * server rules at once, since their inputs are already minute-wide aggregates or states. A key in
 * `firing` (an alert that is firing now) holds until its value falls below the clear level (see
 * `hysteresisPercent`), or the rule can no longer judge it.
 */
export function evaluateRules(
  snapshot: AlertSnapshot,
  options: RuleOptions,
  streaks: HostStreaks = new Map(),
  firing: ReadonlySet<string> = new Set(),
): RuleResult {
  const { thresholds, sustainedSamples, minRequests } = options;
  const hysteresisPercent = options.hysteresisPercent ?? 10;
  const result: RuleResult = { conditions: [], streaks: new Map(), readings: new Map() };

  /**
   * Records the reading of one key and adds its condition when it holds. `isArmed` says whether a
   * key that is not firing may fire now (the host rules' streak).
   */
  const judge = (
    rule: AlertRule,
    subject: string,
    measured: { value: number; threshold: number; severity: AlertSeverity; isArmed?: boolean } | null,
    words: { firing: string; clear: (below: number) => string; unjudged?: string },
  ): void => {
    const key = `${rule}:${subject}`;
    if (measured === null) {
      result.readings.set(key, {
        value: null,
        message: words.unjudged ?? `${subject}: ${rule} not measured`,
      });
      return;
    }
    const { value, threshold, severity } = measured;
    const below = clearLevel(threshold, hysteresisPercent);
    const holds = firing.has(key) ? value >= below : value >= threshold && measured.isArmed !== false;
    result.readings.set(key, { value, message: words.clear(below) });
    if (holds)
      result.conditions.push({ key, rule, subject, severity, value, threshold, message: words.firing });
  };

  const hostRules: [AlertRule, number, number, string, string][] = [
    ['host_cpu', snapshot.host.cpuPercent, thresholds.cpuPercent, 'CPU', '%'],
    ['host_memory', snapshot.host.memPercent, thresholds.memoryPercent, 'memory', '%'],
    ['host_load', snapshot.host.loadPerCore, thresholds.loadPerCore, 'load per core', ''],
  ];
  for (const [rule, value, threshold, label, unit] of hostRules) {
    const streak = value >= threshold ? (streaks.get(rule) ?? 0) + 1 : 0;
    result.streaks.set(rule, streak);
    const shown = `${round(value, 2)}${unit}`;
    judge(
      rule,
      'host',
      { value, threshold, severity: 'warning', isArmed: streak >= sustainedSamples },
      {
        firing:
          streak > 0
            ? `host ${label} at ${shown} for ${streak} samples (threshold ${threshold}${unit})`
            : `host ${label} at ${shown} (threshold ${threshold}${unit}; the alert clears below ${round(clearLevel(threshold, hysteresisPercent), 2)}${unit})`,
        clear: (below) =>
          `host ${label} back to ${shown} (below ${round(below, 2)}${unit}, threshold ${threshold}${unit})`,
      },
    );
  }

  for (const server of snapshot.servers) {
    const { name } = server;
    const { count, errors, p95Ms } = server.lastMinute;
    const fewRequests = `${name}: ${count} request${count === 1 ? '' : 's'} in the last minute, fewer than the ${minRequests} an alert needs`;
    const isJudged = count >= minRequests && count > 0;
    judge(
      'latency_p95',
      name,
      isJudged && p95Ms !== null
        ? { value: p95Ms, threshold: thresholds.responseTimeMs, severity: 'warning' }
        : null,
      {
        firing: `${name}: p95 latency ${Math.round(p95Ms ?? 0)} ms over the last minute (threshold ${thresholds.responseTimeMs} ms)`,
        clear: (below) =>
          `${name}: p95 latency back to ${Math.round(p95Ms ?? 0)} ms (below ${Math.round(below)} ms)`,
        unjudged: fewRequests,
      },
    );
    const errorRatePercent = count > 0 ? (errors / count) * 100 : 0;
    judge(
      'error_rate',
      name,
      isJudged
        ? { value: errorRatePercent, threshold: thresholds.errorRatePercent, severity: 'warning' }
        : null,
      {
        firing: `${name}: ${round(errorRatePercent)}% of ${count} requests failed in the last minute (threshold ${thresholds.errorRatePercent}%)`,
        clear: (below) =>
          `${name}: error rate back to ${round(errorRatePercent)}% of ${count} requests (below ${round(below)}%)`,
        unjudged: fewRequests,
      },
    );
    const isCrashLooping = server.state === 'errored' || server.state === 'crash_loop';
    judge(
      'crash_loop',
      name,
      { value: isCrashLooping ? 1 : 0, threshold: 1, severity: 'critical' },
      {
        firing: `${name} keeps crashing and is no longer restarted; see its log`,
        clear: () => `${name} is no longer crash-looping (state ${server.state})`,
      },
    );
    judge(
      'breaker_open',
      name,
      {
        value: server.breaker === 'open' ? 2 : server.breaker === 'half-open' ? 1 : 0,
        threshold: 2,
        severity: 'critical',
      },
      {
        firing: `${name}: circuit breaker open, requests are refused`,
        clear: () => `${name}: circuit breaker ${server.breaker}, requests pass again`,
      },
    );
    const saturationPercent = server.queueSize > 0 ? (server.queueDepth / server.queueSize) * 100 : 0;
    judge(
      'queue_saturation',
      name,
      // Without a queue (size 0) nothing waits: the rule reads 0 and stays quiet.
      { value: saturationPercent, threshold: thresholds.queueSaturationPercent, severity: 'warning' },
      {
        firing: `${name}: queue ${server.queueDepth}/${server.queueSize} (${round(saturationPercent)}%, threshold ${thresholds.queueSaturationPercent}%)`,
        clear: (below) =>
          `${name}: queue back to ${server.queueDepth}/${server.queueSize} (${round(saturationPercent)}%, below ${round(below)}%)`,
      },
    );
  }

  // While the cluster's Redis is not connected the limits are each host's share (`local`: a
  // warning) or requests are refused (`refuse`: critical). Value: 0 connected, 1 degraded (a call
  // failed or was slow), 2 down; it clears once Redis is connected again.
  const { cluster } = snapshot;
  if (cluster) {
    const what =
      cluster.onUnavailable === 'local'
        ? `each supervisor enforces its share of the limits alone (1/${cluster.membersSeen})`
        : 'requests to servers with shared limits are refused';
    judge(
      'cluster_unavailable',
      cluster.clusterId,
      {
        value: cluster.state === 'down' ? 2 : cluster.state === 'degraded' ? 1 : 0,
        threshold: 1,
        severity: cluster.onUnavailable === 'local' ? 'warning' : 'critical',
      },
      {
        firing: `cluster ${cluster.clusterId}: Redis is ${cluster.state}${cluster.lastError ? ` (${cluster.lastError})` : ''}; ${what}`,
        clear: () => `cluster ${cluster.clusterId}: Redis is ${cluster.state}; limits are shared again`,
      },
    );
  }
  return result;
}
