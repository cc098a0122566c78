import type { ServerGuardLimits } from '../limits/server-guard.ts';

/**
 * Limit maths of the clustered guard, free of IO.
 */

/** A limit divided among `members` hosts: each gets the floor of its part, and at least 1. */
export function shareOf(value: number, members: number): number {
  return Math.max(1, Math.floor(value / Math.max(1, members)));
}

/**
 * What one host enforces on its own while Redis is unavailable (`onUnavailable: "local"`): its
 * share of the server's concurrency, rate, burst and per-client cap, so that the members together
 * stay within the shared limits (up to the rounding to at least 1). The queue and the request
 * timeout are per host anyway and stay as they are.
 */
export function localShare(
  limits: ServerGuardLimits,
  perClientConcurrent: number,
  members: number,
): { limits: ServerGuardLimits; perClientConcurrent: number } {
  const { requestsPerMinute } = limits;
  const burst = limits.burst ?? requestsPerMinute;
  return {
    limits: {
      maxConcurrent: shareOf(limits.maxConcurrent, members),
      requestsPerMinute: requestsPerMinute === undefined ? undefined : shareOf(requestsPerMinute, members),
      burst: burst === undefined ? undefined : shareOf(burst, members),
      queueSize: limits.queueSize,
      requestTimeoutMs: limits.requestTimeoutMs,
    },
    perClientConcurrent: shareOf(perClientConcurrent, members),
  };
}

/** Shortest reservoir increase period: Redis computes refills lazily, so it can be fine-grained. */
const MIN_REFILL_INTERVAL_MS = 10;

/**
 * The shared token bucket as Bottleneck reservoir settings: `burst` tokens at most, refilled by
 * `amount` every `intervalMs` (one token per 60 000 / requestsPerMinute ms, batched so that a
 * period is at least 10 ms). The Redis datastore applies the increase inside each script from the
 * elapsed time, so no heartbeat has to poll for it and the rate is exact, not an underestimate.
 */
export function reservoirSettings(requestsPerMinute: number, burst: number) {
  const amount = Math.max(1, Math.ceil((requestsPerMinute * MIN_REFILL_INTERVAL_MS) / 60_000));
  const intervalMs = (60_000 * amount) / requestsPerMinute;
  return {
    reservoir: burst,
    reservoirIncreaseAmount: amount,
    reservoirIncreaseInterval: intervalMs,
    reservoirIncreaseMaximum: burst,
  };
}

/** What a lease adds to a request's timeout at least, so the request channel's timer fires first. */
export const LEASE_GRACE_MS = 5_000;

/**
 * How long a request may hold a shared slot (Bottleneck's job `expiration`) by default. A
 * supervisor that dies holding slots gives them back when their leases end, so nothing is held
 * forever. The request channel times each request with `requestTimeoutMs`, but progress resets
 * that timer: the lease is twice the timeout (and at least the timeout plus
 * {@link LEASE_GRACE_MS}), and a call kept alive by progress past its lease gives its shared slot
 * back early (the cluster may then admit one request more than `maxConcurrent` for as long).
 */
export function leaseMsFor(requestTimeoutMs: number): number {
  return Math.ceil(Math.max(2 * requestTimeoutMs, requestTimeoutMs + LEASE_GRACE_MS));
}

/** What the host guard of a clustered server enforces itself: no rate, the shared caps are Redis's. */
export function hostLimitsOf(limits: ServerGuardLimits): ServerGuardLimits {
  return {
    maxConcurrent: limits.maxConcurrent,
    queueSize: limits.queueSize,
    requestTimeoutMs: limits.requestTimeoutMs,
  };
}

/** Checks what the local guard does not when it enforces no rate (the host guard of a clustered server). */
export function checkRate(limits: ServerGuardLimits): void {
  for (const [name, value] of [
    ['requestsPerMinute', limits.requestsPerMinute],
    ['burst', limits.burst],
  ] as const) {
    if (value !== undefined && (!Number.isInteger(value) || value < 1)) {
      throw new TypeError(`limits.${name} must be a positive integer, got ${value}`);
    }
  }
}

/** Milliseconds between two refills of the shared bucket: when a refused caller may come back. */
export function rateRefillMs(limits: ServerGuardLimits): number {
  if (limits.requestsPerMinute === undefined) return 0;
  return reservoirSettings(limits.requestsPerMinute, limits.burst ?? limits.requestsPerMinute)
    .reservoirIncreaseInterval;
}
