import { type CircuitBreaker, createBreaker } from '../limits/breaker.ts';
import {
  createServerGuard,
  type RunOptions,
  type ServerGuard,
  type ServerGuardLimits,
  type ServerGuardOptions,
  type ServerGuardStats,
} from '../limits/server-guard.ts';
import { Slots } from '../limits/slots.ts';
import { clusterRefusals } from './cluster-refusals.ts';
import type { ClusterConnection } from './connection.ts';
import { isBottleneckError, type LimiterSet, limiterIds } from './limiter-set.ts';
import { createSharedLimiters } from './shared-limiters.ts';
import { checkRate, hostLimitsOf, leaseMsFor, localShare, rateRefillMs } from './shares.ts';
import { takeToken } from './take-token.ts';

/** Where a request goes now: shared limits, this host's share alone, or a refusal. */
export type ClusteredGuardMode = 'clustered' | 'local' | 'refuse';

export type ClusteredGuardOptions = ServerGuardOptions & {
  cluster: ClusterConnection;
  /**
   * Lease of a shared slot for requests that time themselves (`timeoutMs: Infinity`, as the
   * forwarder passes). Default: 2 × `requestTimeoutMs`. See {@link leaseMsFor}.
   */
  leaseMs?: number;
};

export type ClusteredGuardStats = {
  mode: ClusteredGuardMode;
  /** The Bottleneck id of the shared server limiter (its Redis keys are `b_<id>_*`). */
  limiterId: string;
  membersSeen: number;
  /** What this host enforces alone in `local` mode. */
  localShare: ServerGuardLimits & { perClientConcurrent: number };
  /** Requests of this host waiting for a shared token or slot (not started yet). */
  sharedWaiting: number;
  /** Requests that took the local or refusing path because Redis was unavailable. */
  fallbackRequests: number;
  /** Requests that were waiting for a shared slot when Redis went away, and were moved. */
  movedRequests: number;
  /** Times the shared limiters were built again after their initialisation failed. */
  rebuilds: number;
  /** Shared slots freed after outages that this host held in Redis for no request. */
  reclaimedSlots: number;
};

export type ClusteredGuard = ServerGuard & { clusterStats(): ClusteredGuardStats };

/** Added to a finite request timeout for its lease, so the guard's own timer always fires first. */
const LEASE_GRACE_MS = 5_000;
/** Queue-wait estimate before any request has finished (as the local guard). */
const DEFAULT_TASK_MS = 1_000;

type Pending = {
  /** Answered, moved or given up: every Bottleneck job of it left behind is a tombstone. */
  isSettled: boolean;
  /** Handed to the host guard (it holds its shared slots); from then on that guard answers it. */
  isStarted: boolean;
  readonly task: (signal: AbortSignal) => Promise<unknown>;
  readonly runOptions: RunOptions;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
  /** Gives this host's slot back once (set while the request holds one). */
  releaseHost?: () => void;
};

class HostQueueFull extends Error {}

/**
 * A server's guard whose limits hold across every supervisor of the cluster: the same contract as
 * `createServerGuard` (run / stats / update / setConcurrencyScale / dispose, the same refusals), so
 * it can stand in for it per server. A request takes a shared token (rate + burst), a shared
 * client-key slot and a shared server slot (Bottleneck's Redis datastore), then runs through a
 * local guard of this host, which owns its timeout, the circuit breaker, the global cap and
 * cancellation. The global cap stays per host.
 *
 * While Redis is unavailable (`cluster.isAvailable()` is false), `onUnavailable: "local"` sends
 * requests to a local guard enforcing this host's share (limits ÷ members last seen), and
 * `"refuse"` answers SERVER_UNAVAILABLE with `retryAfterMs`. Requests waiting for a shared slot
 * when Redis goes away are moved the same way: none waits for a Redis that is gone. Redis calls
 * are bounded by the connection's `timeoutMs`; a call that fails marks the connection degraded.
 */
export function createClusteredGuard(options: ClusteredGuardOptions): ClusteredGuard {
  const { server, global, cluster } = options;
  let limits = { ...options.limits };
  let perClientConcurrent = options.perClientConcurrent ?? 10;
  const ownsBreaker = options.breaker === undefined;
  const breaker: CircuitBreaker = options.breaker ?? createBreaker({ server });
  let scale = 1;
  let isDisposed = false;
  let averageTaskMs = DEFAULT_TASK_MS;
  let fallbackRequests = 0;
  let movedRequests = 0;
  const pendings = new Set<Pending>();
  const inFlight = new Set<Promise<unknown>>();

  const effectiveConcurrent = () => Math.max(1, Math.floor(limits.maxConcurrent * scale));
  checkRate(limits);
  // The host runs what it holds shared slots for; it adds no limit of its own but the global cap.
  const hostGuard = createServerGuard({
    server,
    limits: hostLimitsOf(limits),
    perClientConcurrent,
    global,
    breaker,
  });
  // Adaptive scaling is this host's business: it caps what this host takes, before shared slots.
  const hostSlots = new Slots({ max: effectiveConcurrent(), maxWaiting: limits.queueSize });

  let fallback: ServerGuard | undefined;
  const share = () => localShare(limits, perClientConcurrent, cluster.membersSeen());
  const fallbackGuard = (): ServerGuard => {
    if (!fallback) {
      const { limits: shareLimits, perClientConcurrent: sharePerClient } = share();
      fallback = createServerGuard({
        server,
        limits: shareLimits,
        perClientConcurrent: sharePerClient,
        global,
        breaker,
      });
      if (scale !== 1) void fallback.setConcurrencyScale(scale);
    }
    return fallback;
  };

  const defaultLeaseMs = () => options.leaseMs ?? 2 * limits.requestTimeoutMs;
  const shared = createSharedLimiters({
    cluster,
    server,
    limits: () => limits,
    perClientConcurrent: () => perClientConcurrent,
    defaultLeaseMs,
  });

  /** The mode without building anything (for stats). */
  function peekMode(): ClusteredGuardMode {
    return cluster.isAvailable() && !shared.isBroken ? 'clustered' : cluster.config.onUnavailable;
  }

  const { unavailable, redisUnavailable, queueFull, rateLimited } = clusterRefusals({
    server,
    cluster,
    limits: () => limits,
    queueWaitMs: () => (averageTaskMs * (pendings.size + 1)) / effectiveConcurrent(),
  });

  function settle(pending: Pending): boolean {
    if (pending.isSettled) return false;
    pending.isSettled = true;
    pendings.delete(pending);
    // Answered before it started: its host slot is free now, not when its Bottleneck job (now a
    // tombstone) leaves the queue. After a Redis wedge that can take a lease, and the tombstones
    // held every host slot: new requests hung behind them.
    pending.releaseHost?.();
    return true;
  }
  const fail = (pending: Pending, error: unknown) => {
    if (settle(pending)) pending.reject(error);
  };

  /** Redis went away (or failed) while `pending` waited: it goes the `onUnavailable` way. */
  function move(pending: Pending, cause?: unknown): void {
    if (pending.isStarted || !settle(pending)) return;
    movedRequests++;
    if (isDisposed) pending.reject(unavailable(cause));
    else if (cluster.config.onUnavailable === 'refuse') pending.reject(redisUnavailable(cause));
    else fallbackGuard().run(pending.task, pending.runOptions).then(pending.resolve, pending.reject);
  }

  function onAdmitError(pending: Pending, error: unknown): void {
    if (pending.isSettled || pending.isStarted) return;
    if (error instanceof HostQueueFull || isBottleneckError(error, 'dropped')) {
      fail(pending, queueFull(error));
    } else if (isBottleneckError(error, 'timed out')) {
      // The client key's lease ended while the request waited for a server slot: that wait goes on.
    } else if (isDisposed || isBottleneckError(error, 'stopped')) {
      fail(pending, unavailable(error));
    } else if (pending.runOptions.signal?.aborted) {
      fail(pending, pending.runOptions.signal.reason);
    } else {
      cluster.reportFailure(error);
      move(pending, error);
    }
  }

  /** Inside the shared client slot: this host's scaled cap, then the shared server slot. */
  async function throughServer(pending: Pending, set: LimiterSet, leaseMs: number): Promise<void> {
    if (pending.isSettled) return;
    try {
      if (!hostSlots.tryAcquire()) {
        await hostSlots.acquire(() => new HostQueueFull('host queue full'), pending.runOptions.signal);
      }
    } catch (error) {
      onAdmitError(pending, error);
      return;
    }
    let isHeld = true;
    pending.releaseHost = () => {
      if (!isHeld) return;
      isHeld = false;
      hostSlots.release();
    };
    if (pending.isSettled) {
      pending.releaseHost();
      return;
    }
    try {
      await set.server.schedule({ expiration: leaseMs }, () => start(pending));
    } catch (error) {
      onAdmitError(pending, error);
    } finally {
      pending.releaseHost();
    }
  }

  /** Holding every shared slot: the host guard runs the task (timeout, breaker, global cap). */
  function start(pending: Pending): Promise<unknown> {
    if (pending.isSettled) return Promise.resolve();
    pending.isStarted = true;
    pendings.delete(pending);
    const startedAt = performance.now();
    return hostGuard
      .run(pending.task, pending.runOptions)
      .then(
        (value) => {
          pending.isSettled = true;
          pending.resolve(value);
        },
        (error: unknown) => {
          pending.isSettled = true;
          pending.reject(error);
        },
      )
      .finally(() => {
        // The task is over: the host slot is free before the shared slot's free reaches Redis.
        pending.releaseHost?.();
        averageTaskMs = 0.8 * averageTaskMs + 0.2 * (performance.now() - startedAt);
      });
  }

  function track(promise: Promise<unknown>): void {
    inFlight.add(promise);
    void promise.finally(() => inFlight.delete(promise)).catch(() => undefined);
  }

  function runShared(set: LimiterSet, task: Pending['task'], runOptions: RunOptions): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const signal = runOptions.signal;
      const onAbort = () => {
        if (!pending.isStarted) fail(pending, signal?.reason);
      };
      const pending: Pending = {
        isSettled: false,
        isStarted: false,
        task,
        runOptions,
        resolve: (value) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(value);
        },
        reject: (error) => {
          signal?.removeEventListener('abort', onAbort);
          reject(error);
        },
      };
      pendings.add(pending);
      signal?.addEventListener('abort', onAbort, { once: true });
      const leaseMs = leaseMsFor(
        runOptions.timeoutMs ?? limits.requestTimeoutMs,
        defaultLeaseMs(),
        LEASE_GRACE_MS,
      );
      const admit = () => {
        if (pending.isSettled) return;
        // A per-client cap at or above the server's cannot bind: its three Redis scripts per
        // request (submit, register, free) would buy nothing.
        if (perClientConcurrent >= limits.maxConcurrent) {
          track(throughServer(pending, set, leaseMs));
          return;
        }
        const client = set.clients.key(runOptions.clientKey);
        const job = client.schedule({ expiration: leaseMs }, () => throughServer(pending, set, leaseMs));
        track(job);
        job.catch((error: unknown) => onAdmitError(pending, error));
      };
      const rate = set.rate;
      if (rate === undefined) return admit();
      const retryAfterMs = Math.ceil(rateRefillMs(limits));
      takeToken(rate, {
        deadlineMs: 2 * cluster.config.timeoutMs,
        retryAfterMs,
        isAvailable: () => cluster.isAvailable(),
      }).then(
        (taken) => {
          if (pending.isSettled) return;
          if (taken.isTaken) admit();
          else fail(pending, rateLimited(taken.retryAfterMs));
        },
        (error: unknown) => onAdmitError(pending, error),
      );
    });
  }

  const stateSubscription = cluster.onStateChange((state) => {
    if (state === 'connected') return;
    // Nothing waits for a Redis that is gone: the requests not started yet are moved.
    for (const pending of [...pendings]) move(pending);
  });
  const membersSubscription = cluster.onMembersChange(() => {
    if (!fallback || isDisposed) return;
    const next = share();
    void fallback.update(next.limits, next.perClientConcurrent).catch(() => undefined);
  });

  return {
    server,
    run<T>(task: (signal: AbortSignal) => Promise<T>, runOptions: RunOptions): Promise<T> {
      try {
        if (isDisposed) throw unavailable();
        runOptions.signal?.throwIfAborted();
        breaker.assertAdmits();
      } catch (error) {
        return Promise.reject(error);
      }
      const set = cluster.isAvailable() ? shared.current() : undefined;
      if (set) return runShared(set, task, runOptions) as Promise<T>;
      fallbackRequests++;
      if (cluster.config.onUnavailable === 'refuse') return Promise.reject(redisUnavailable());
      return fallbackGuard().run(task, runOptions);
    },

    stats(): ServerGuardStats {
      const host = hostGuard.stats();
      const local = fallback?.stats();
      const isLocal = peekMode() === 'local' && local !== undefined;
      return {
        running: host.running + (local?.running ?? 0),
        queued: pendings.size + host.queued + (local?.queued ?? 0),
        maxConcurrent: limits.maxConcurrent,
        effectiveConcurrent: isLocal ? local.effectiveConcurrent : effectiveConcurrent(),
        breaker: breaker.state(),
        queueSize: limits.queueSize,
      };
    },

    clusterStats(): ClusteredGuardStats {
      const current = share();
      return {
        mode: peekMode(),
        limiterId: limiterIds(cluster.keyPrefix, server).server,
        membersSeen: cluster.membersSeen(),
        localShare: { ...current.limits, perClientConcurrent: current.perClientConcurrent },
        sharedWaiting: pendings.size,
        fallbackRequests,
        movedRequests,
        rebuilds: shared.rebuilds,
        reclaimedSlots: shared.reclaimedSlots,
      };
    },

    async update(next, nextPerClient = perClientConcurrent) {
      if (isDisposed) return;
      checkRate(next);
      // The local guard's checks name the option that is wrong; its update is also the host's.
      await hostGuard.update(hostLimitsOf(next), nextPerClient);
      limits = { ...next };
      perClientConcurrent = nextPerClient;
      hostSlots.setMax(effectiveConcurrent(), next.queueSize);
      const nextShare = share();
      await fallback?.update(nextShare.limits, nextShare.perClientConcurrent);
      await shared.update(next, nextPerClient);
    },

    async setConcurrencyScale(factor) {
      if (!(factor > 0 && factor <= 1)) {
        throw new TypeError(`concurrency scale must be in (0, 1], got ${factor}`);
      }
      if (isDisposed || factor === scale) return;
      scale = factor;
      hostSlots.setMax(effectiveConcurrent());
      await fallback?.setConcurrencyScale(factor);
    },

    async dispose() {
      if (isDisposed) return;
      isDisposed = true;
      stateSubscription.dispose();
      membersSubscription.dispose();
      for (const pending of [...pendings]) fail(pending, unavailable());
      hostSlots.rejectAll(unavailable());
      // The host guard answers what runs and aborts it; the shared jobs then end and free their
      // slots in Redis (bounded: a Redis that is gone frees them by their leases instead).
      await Promise.allSettled([hostGuard.dispose(), fallback?.dispose()]);
      const bound = new Promise((resolve) => setTimeout(resolve, 2 * cluster.config.timeoutMs).unref());
      await Promise.race([Promise.allSettled([...inFlight]), bound]);
      await shared.dispose();
      if (ownsBreaker) breaker.dispose();
    },
  };
}
