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
}

/** Consecutive over-threshold samples per host rule. */
export type HostStreaks = ReadonlyMap<AlertRule, number>;

const round = (value: number, digits = 1): number => Math.round(value * 10 ** digits) / 10 ** digits;

function condition(
  rule: AlertRule,
  subject: string,
  severity: AlertSeverity,
  value: number,
  threshold: number,
  message: string,
): AlertCondition {
  return { key: `${rule}:${subject}`, rule, subject, severity, value, threshold, message };
}

/**
 * Evaluates every rule. Host rules hold only after `sustainedSamples` consecutive samples over
 * their threshold (one spike is not an alert); server rules hold as soon as they are true, since
 * their inputs are already minute-wide aggregates or states. Thresholds are inclusive (≥).
 */
export function evaluateRules(
  snapshot: AlertSnapshot,
  options: RuleOptions,
  streaks: HostStreaks = new Map(),
): { conditions: AlertCondition[]; streaks: Map<AlertRule, number> } {
  const { thresholds, sustainedSamples, minRequests } = options;
  const conditions: AlertCondition[] = [];
  const nextStreaks = new Map<AlertRule, number>();
  const hostRules: [AlertRule, number, number, string, string][] = [
    ['host_cpu', snapshot.host.cpuPercent, thresholds.cpuPercent, 'CPU', '%'],
    ['host_memory', snapshot.host.memPercent, thresholds.memoryPercent, 'memory', '%'],
    ['host_load', snapshot.host.loadPerCore, thresholds.loadPerCore, 'load per core', ''],
  ];
  for (const [rule, value, threshold, label, unit] of hostRules) {
    const streak = value >= threshold ? (streaks.get(rule) ?? 0) + 1 : 0;
    nextStreaks.set(rule, streak);
    if (streak >= sustainedSamples) {
      conditions.push(
        condition(
          rule,
          'host',
          'warning',
          value,
          threshold,
          `host ${label} at ${round(value, 2)}${unit} for ${streak} samples (threshold ${threshold}${unit})`,
        ),
      );
    }
  }

  for (const server of snapshot.servers) {
    const { count, errors, p95Ms } = server.lastMinute;
    if (count >= minRequests && p95Ms !== null && p95Ms >= thresholds.responseTimeMs) {
      conditions.push(
        condition(
          'latency_p95',
          server.name,
          'warning',
          p95Ms,
          thresholds.responseTimeMs,
          `${server.name}: p95 latency ${Math.round(p95Ms)} ms over the last minute (threshold ${thresholds.responseTimeMs} ms)`,
        ),
      );
    }
    if (count >= minRequests && count > 0) {
      const errorRatePercent = (errors / count) * 100;
      if (errorRatePercent >= thresholds.errorRatePercent) {
        conditions.push(
          condition(
            'error_rate',
            server.name,
            'warning',
            errorRatePercent,
            thresholds.errorRatePercent,
            `${server.name}: ${round(errorRatePercent)}% of ${count} requests failed in the last minute (threshold ${thresholds.errorRatePercent}%)`,
          ),
        );
      }
    }
    if (server.state === 'errored' || server.state === 'crash_loop') {
      conditions.push(
        condition(
          'crash_loop',
          server.name,
          'critical',
          1,
          1,
          `${server.name} keeps crashing and is no longer restarted; see its log`,
        ),
      );
    }
    if (server.breaker === 'open') {
      conditions.push(
        condition(
          'breaker_open',
          server.name,
          'critical',
          2,
          2,
          `${server.name}: circuit breaker open, requests are refused`,
        ),
      );
    }
    if (server.queueSize > 0) {
      const saturationPercent = (server.queueDepth / server.queueSize) * 100;
      if (saturationPercent >= thresholds.queueSaturationPercent) {
        conditions.push(
          condition(
            'queue_saturation',
            server.name,
            'warning',
            saturationPercent,
            thresholds.queueSaturationPercent,
            `${server.name}: queue ${server.queueDepth}/${server.queueSize} (${round(saturationPercent)}%, threshold ${thresholds.queueSaturationPercent}%)`,
          ),
        );
      }
    }
  }
  const cluster = snapshot.cluster && clusterCondition(snapshot.cluster);
  if (cluster) conditions.push(cluster);
  return { conditions, streaks: nextStreaks };
}

/**
 * While the cluster's Redis is not connected (the limits are each host's share, or refused): a
 * warning for `local` (limits hold per host, by share), critical for `refuse` (requests to
 * clustered servers are refused). It resolves once Redis is back (after the engine's
 * `resolveAfterSamples`). Value: 1 degraded (a call failed or was slow), 2 down.
 */
export function clusterCondition(cluster: ClusterSnapshot): AlertCondition | undefined {
  if (cluster.state === 'connected') return undefined;
  const what =
    cluster.onUnavailable === 'local'
      ? `each supervisor enforces its share of the limits alone (1/${cluster.membersSeen})`
      : 'requests to servers with shared limits are refused';
  return condition(
    'cluster_unavailable',
    cluster.clusterId,
    cluster.onUnavailable === 'local' ? 'warning' : 'critical',
    cluster.state === 'down' ? 2 : 1,
    1,
    `cluster ${cluster.clusterId}: Redis is ${cluster.state}${cluster.lastError ? ` (${cluster.lastError})` : ''}; ${what}`,
  );
}
