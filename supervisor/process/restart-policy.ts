import type { RestartConfig } from '../config/schema.ts';

/** What the supervisor remembers between exits of one server. */
export interface RestartState {
  /** Consecutive runs shorter than `minUptimeMs`. */
  unstableRuns: number;
  /** Restarts since the server was (re)started by a person or a reload. */
  restarts: number;
}

export type RestartDecision =
  | { action: 'restart'; delayMs: number; state: RestartState }
  | { action: 'crash_loop'; state: RestartState };

export const initialRestartState: RestartState = { unstableRuns: 0, restarts: 0 };

/**
 * Decides what follows an unexpected exit. A run that lasted `minUptimeMs` resets the backoff; each
 * unstable run doubles the delay (from `backoffMs`, capped at `maxBackoffMs`), with up to 10 %
 * jitter so servers that crashed together do not restart in lockstep. After `maxRestarts`
 * consecutive unstable runs the server is in a crash loop and stays down until asked.
 *
 * @param random injectable for tests; returns [0, 1).
 */
export function decideRestart(
  state: RestartState,
  uptimeMs: number,
  policy: Pick<RestartConfig, 'maxRestarts' | 'backoffMs' | 'maxBackoffMs' | 'minUptimeMs'>,
  random: () => number = Math.random,
): RestartDecision {
  const unstableRuns = uptimeMs < policy.minUptimeMs ? state.unstableRuns + 1 : 0;
  if (unstableRuns > policy.maxRestarts) {
    return { action: 'crash_loop', state: { unstableRuns, restarts: state.restarts } };
  }
  const exponent = Math.max(0, unstableRuns - 1);
  const base = Math.min(policy.maxBackoffMs, policy.backoffMs * 2 ** exponent);
  const delayMs = Math.round(Math.min(policy.maxBackoffMs, base * (1 + 0.1 * random())));
  return { action: 'restart', delayMs, state: { unstableRuns, restarts: state.restarts + 1 } };
}
