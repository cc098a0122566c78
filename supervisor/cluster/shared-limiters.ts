import type { ServerGuardLimits } from '../limits/server-guard.ts';
import type { ClusterConnection } from './connection.ts';
import { createLimiterSet, type LimiterSet } from './limiter-set.ts';

/** A second reclaim after an outage, for registrations a woken Redis ran late. */
const RECLAIM_AGAIN_MS = 5_000;

/**
 * The lifecycle of one server's shared limiters on this host: built on first use, built again
 * (at most once per heartbeat) when their initialisation failed, and after each outage their
 * orphaned slots are reclaimed (see reclaim.ts) once Redis answers and once more a little later.
 */
export type SharedLimiters = {
  /** The set to use now; undefined while a broken one waits for its rebuild. Builds on first use. */
  current(): LimiterSet | undefined;
  /** Whether the current set (if any) is usable, without building one. */
  readonly isBroken: boolean;
  readonly rebuilds: number;
  readonly reclaimedSlots: number;
  dispose(): Promise<void>;
};

export function createSharedLimiters(options: {
  cluster: ClusterConnection;
  server: string;
  limits: ServerGuardLimits;
  perClientConcurrent: number;
  /** Lease of each request's shared slots (the TTLs of the limiters' state follow from it). */
  leaseMs: number;
}): SharedLimiters {
  const { cluster, server } = options;
  let set: LimiterSet | undefined;
  let rebuilds = 0;
  let reclaimedSlots = 0;
  let lastBuildAt = 0;
  let wasUnavailable = false;
  const reclaiming = new AbortController();

  const build = () =>
    createLimiterSet({
      connection: cluster.bottleneckConnection,
      prefix: cluster.keyPrefix,
      server,
      limits: options.limits,
      perClientConcurrent: options.perClientConcurrent,
      heartbeatMs: cluster.config.heartbeatMs,
      clientStateTtlMs: Math.max(5 * 60_000, 2 * options.leaseMs),
      serverStateTtlMs: Math.max(60 * 60_000, 4 * options.leaseMs),
      onError: (error) => cluster.reportFailure(error),
    });

  function reclaimAfterOutage(): void {
    const shared = set;
    if (!shared || reclaiming.signal.aborted) return;
    const once = () =>
      shared
        .reclaim(cluster.client, { graceMs: 3 * cluster.config.timeoutMs, signal: reclaiming.signal })
        .then((count) => {
          reclaimedSlots += count;
        })
        .catch((error: unknown) => {
          if (!reclaiming.signal.aborted) cluster.reportFailure(error);
        });
    void once().then(() => {
      const timer = setTimeout(() => void once(), RECLAIM_AGAIN_MS);
      timer.unref();
      reclaiming.signal.addEventListener('abort', () => clearTimeout(timer), { once: true });
    });
  }

  const subscription = cluster.onStateChange((state) => {
    if (state !== 'connected') wasUnavailable = true;
    else if (wasUnavailable) {
      wasUnavailable = false;
      reclaimAfterOutage();
    }
  });

  return {
    current() {
      if (set && !set.isBroken) return set;
      const now = Date.now();
      if (set && now - lastBuildAt < cluster.config.heartbeatMs) return undefined;
      const old = set;
      if (old) rebuilds++;
      lastBuildAt = now;
      set = build();
      void old?.dispose();
      return set;
    },
    get isBroken() {
      return set?.isBroken ?? false;
    },
    get rebuilds() {
      return rebuilds;
    },
    get reclaimedSlots() {
      return reclaimedSlots;
    },
    async dispose() {
      reclaiming.abort();
      subscription.dispose();
      await set?.dispose();
    },
  };
}
