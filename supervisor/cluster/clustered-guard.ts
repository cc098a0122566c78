import type { ClusterServerStatus } from '../client/wire-types.ts';
import { type CircuitBreaker, createBreaker } from '../limits/breaker.ts';
import {
  assertConcurrencyScale,
  createServerGuard,
  type RunOptions,
  type ServerGuard,
  type ServerGuardOptions,
  type ServerGuardStats,
} from '../limits/server-guard.ts';
import { Slots } from '../limits/slots.ts';
import { clusterRefusals } from './cluster-refusals.ts';
import type { ClusterConnection } from './connection.ts';
import { isBottleneckError, type LimiterSet, limiterIds } from './limiter-set.ts';
import { LocalFallback } from './local-fallback.ts';
import { createSharedLimiters } from './shared-limiters.ts';
import { checkRate, hostLimitsOf, leaseMsFor, localShare, rateRefillMs } from './shares.ts';
import { takeToken } from './take-token.ts';

/** Where a request goes now: shared limits, this host's share alone, or a refusal. */
export type ClusteredGuardMode = 'clustered' | 'local' | 'refuse';

export type ClusteredGuardOptions = ServerGuardOptions & {
  cluster: ClusterConnection;
  /**
   * How long a request may hold a shared slot (a dead host's slots come back when it ends).
   * Default: {@link leaseMsFor} the server's `requestTimeoutMs`.
   */
  leaseMs?: number;
};

/** One server's cluster view (`GET /api/status`'s `cluster.servers`, the cluster gauges). */
export type ClusteredGuardStats = ClusterServerStatus & { mode: ClusteredGuardMode };

export type ClusteredGuard = ServerGuard & { clusterStats(): ClusteredGuardStats };

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
 * `createServerGuard` (run / stats / setConcurrencyScale / dispose, the same refusals), so it can
 * stand in for it per server (`ServerGuards`' guard factory). Its limits are fixed, as the local
 * guard's: a reload that changes the server replaces the guard, and the new one imposes its
 * limits on the shared limiters in Redis. A request takes a shared token (rate + burst), a shared
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
  const limits = { ...options.limits };
  const perClientConcurrent = options.perClientConcurrent ?? 10;
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

  const share = () => localShare(limits, perClientConcurrent, cluster.membersSeen());
  const fallback = new LocalFallback({ server, global, breaker, share });

  const leaseMs = options.leaseMs ?? leaseMsFor(limits.requestTimeoutMs);
  const shared = createSharedLimiters({ cluster, server, limits, perClientConcurrent, leaseMs });

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
    else fallback.run(pending.task, pending.runOptions).then(pending.resolve, pending.reject);
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
  async function throughServer(pending: Pending, set: LimiterSet): Promise<void> {
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
      const admit = () => {
        if (pending.isSettled) return;
        // A per-client cap at or above the server's cannot bind: its three Redis scripts per
        // request (submit, register, free) would buy nothing.
        if (perClientConcurrent >= limits.maxConcurrent) {
          track(throughServer(pending, set));
          return;
        }
        const client = set.clients.key(runOptions.clientKey);
        const job = client.schedule({ expiration: leaseMs }, () => throughServer(pending, set));
        track(job);
        job.catch((error: unknown) => onAdmitError(pending, error));
      };
      const rate = set.rate;
      if (rate === undefined) return admit();
      const retryAfterMs = Math.ceil(rateRefillMs(limits));
      takeToken(rate, { deadlineMs: 2 * cluster.config.timeoutMs, retryAfterMs }).then(
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
    // Back to shared limits: the next outage gets the share of the members seen then.
    if (state === 'connected') return fallback.retire();
    // Nothing waits for a Redis that is gone: the requests not started yet are moved.
    for (const pending of [...pendings]) move(pending);
  });
  const membersSubscription = cluster.onMembersChange(() => fallback.retire());

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
      return fallback.run(task, runOptions);
    },

    stats(): ServerGuardStats {
      const host = hostGuard.stats();
      const local = fallback.stats();
      const isLocal = peekMode() === 'local' && local.effectiveConcurrent !== undefined;
      return {
        running: host.running + local.running,
        queued: pendings.size + host.queued + local.queued,
        maxConcurrent: limits.maxConcurrent,
        effectiveConcurrent: isLocal ? (local.effectiveConcurrent as number) : effectiveConcurrent(),
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

    async setConcurrencyScale(factor) {
      assertConcurrencyScale(factor);
      if (isDisposed || factor === scale) return;
      scale = factor;
      hostSlots.setMax(effectiveConcurrent());
      await fallback.setConcurrencyScale(factor);
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
      await Promise.allSettled([hostGuard.dispose(), fallback.dispose()]);
      const bound = new Promise((resolve) => setTimeout(resolve, 2 * cluster.config.timeoutMs).unref());
      await Promise.race([Promise.allSettled([...inFlight]), bound]);
      await shared.dispose();
      if (ownsBreaker) breaker.dispose();
    },
  };
}
