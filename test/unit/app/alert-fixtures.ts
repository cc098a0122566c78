import type { AlertRecord } from '../../../app/supervisor-wire.ts';

/** A host CPU alert as the supervisor sends it, fired at 1 000 000 ms. */
export function hostCpuAlert(overrides: Partial<AlertRecord> = {}): AlertRecord {
  return {
    id: 7,
    key: 'host_cpu:host',
    rule: 'host_cpu',
    subject: 'host',
    severity: 'warning',
    value: 93.24,
    threshold: 80,
    message: 'host CPU at 93.24% for 3 samples (threshold 80%)',
    firedAt: 1_000_000,
    notifiedAt: 1_000_000,
    lastSeenAt: 1_000_000,
    resolvedAt: null,
    suppressedCount: 0,
    acknowledgedAt: null,
    ...overrides,
  };
}

/** The crash-loop alert of server `memory`. */
export function crashLoopAlert(overrides: Partial<AlertRecord> = {}): AlertRecord {
  return hostCpuAlert({
    id: 9,
    key: 'crash_loop:memory',
    rule: 'crash_loop',
    subject: 'memory',
    severity: 'critical',
    value: 1,
    threshold: 1,
    message: 'memory keeps crashing and is no longer restarted; see its log',
    ...overrides,
  });
}
