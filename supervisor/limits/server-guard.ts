import type { LimitsConfig, ServerLimitsConfig } from '../config/schema.ts';
import { SupervisorError } from '../shared/errors.ts';
import { refusalError } from '../shared/refusals.ts';
import { type BreakerState, type CircuitBreaker, createBreaker } from './breaker.ts';
import type { GlobalLimiter } from './global-limiter.ts';
import { Slots } from './slots.ts';
import { createTokenBucket, type TokenBucket } from './token-bucket.ts';

/** One server's limits, every value resolved (see {@link resolveServerLimits}). */
export type ServerGuardLimits = {
  /** Requests to this server running at once (before adaptive scaling). */
  maxConcurrent: number;
  /** Sustained request rate; unset means no rate limit. */
  requestsPerMinute?: number;
  /** Token-bucket capacity; default `requestsPerMinute` (a minute's allowance may go at once). */
  burst?: number;
  /** Requests that may wait for a slot; 0 means a request is refused when no slot is free. */
  queueSize: number;
  /**
   * Time a started request gets to answer; queue time is not counted. The request channel times
   * the request (progress resets it), so the guard only checks it and passes it on.
   */
  requestTimeoutMs: number;
};

export type ServerGuardOptions = {
  server: string;
  limits: ServerGuardLimits;
  /** Requests one client key may have running against this server at once. Default 10. */
  perClientConcurrent?: number;
  global: GlobalLimiter;
  /** The server's breaker; it outlives the guard on reload. Default: a new one with defaults. */
  breaker?: CircuitBreaker;
};

export type RunOptions = {
  /** Who is asking (an API key id, a session); requests are capped per key. */
  clientKey: string;
  /** Aborts when the caller goes away: a waiting request leaves, a running one is aborted. */
  signal?: AbortSignal;
};

export type ServerGuardStats = {
  /** Requests whose task is running. */
  running: number;
  /** Requests admitted and waiting for a client, server or global slot. */
  queued: number;
  maxConcurrent: number;
  /** `maxConcurrent` after adaptive scaling. */
  effectiveConcurrent: number;
  breaker: BreakerState;
  queueSize: number;
};

export type ServerGuard = {
  readonly server: string;
  /**
   * Runs `task` within the server's limits. `task` gets a signal that aborts when the caller's
   * signal aborts (its reason) and on dispose; the caller uses it to cancel upstream
   * (`notifications/cancelled`). The task times itself (the request channel's timeout, which
   * progress resets): a TIMEOUT it rejects with counts against the client key's own circuit, and
   * against the server's once several keys time out (see failure-accounting.ts). Order of checks: circuit, rate, then queues (client key → server → global).
   * Resolves or rejects with what `task` does, or rejects with a refusal (see `refusals.ts`):
   * CIRCUIT_OPEN, RATE_LIMITED, QUEUE_FULL, SERVER_UNAVAILABLE; or with the caller's abort reason.
   */
  run<T>(task: (signal: AbortSignal) => Promise<T>, options: RunOptions): Promise<T>;
  stats(): ServerGuardStats;
  /** Adaptive scaling: effective concurrency = max(1, floor(maxConcurrent × factor)), 0 < factor ≤ 1. */
  setConcurrencyScale(factor: number): Promise<void>;
  /**
   * Refuses new requests and answers every pending one (queued or running) with
   * SERVER_UNAVAILABLE, aborting running tasks' signals. Resolves once all are answered.
   */
  dispose(): Promise<void>;
};

/** Throws unless `factor` is a concurrency scale {@link ServerGuard.setConcurrencyScale} takes: 0 < factor ≤ 1. */
export function assertConcurrencyScale(factor: number): void {
  if (!(factor > 0 && factor <= 1)) {
    throw new TypeError(`concurrency scale must be in (0, 1], got ${factor}`);
  }
}

/** Merges a server's optional overrides over the supervisor-wide defaults. */
export function resolveServerLimits(defaults: LimitsConfig, server: ServerLimitsConfig): ServerGuardLimits {
  return {
    maxConcurrent: server.maxConcurrent ?? defaults.maxConcurrentPerServer,
    requestsPerMinute: server.requestsPerMinute,
    burst: server.burst,
    queueSize: server.queueSize ?? defaults.queueSize,
    requestTimeoutMs: server.requestTimeoutMs ?? defaults.requestTimeoutMs,
  };
}

function checkLimits(limits: ServerGuardLimits, perClientConcurrent: number): void {
  const positive: [string, number | undefined][] = [
    ['maxConcurrent', limits.maxConcurrent],
    ['requestsPerMinute', limits.requestsPerMinute],
    ['burst', limits.burst],
    ['requestTimeoutMs', limits.requestTimeoutMs],
    ['perClientConcurrent', perClientConcurrent],
  ];
  for (const [name, value] of positive) {
    if (value !== undefined && (!Number.isInteger(value) || value < 1)) {
      throw new TypeError(`limits.${name} must be a positive integer, got ${value}`);
    }
  }
  if (!Number.isInteger(limits.queueSize) || limits.queueSize < 0) {
    throw new TypeError(`limits.queueSize must be a non-negative integer, got ${limits.queueSize}`);
  }
}

/** Calls `task`, turning a synchronous throw into a rejection. */
function callTask<T>(task: (signal: AbortSignal) => Promise<T>, signal: AbortSignal): Promise<T> {
  try {
    return task(signal);
  } catch (error) {
    return Promise.reject(error);
  }
}

/** Queue-wait estimate before any request has finished. */
const DEFAULT_TASK_MS = 1_000;

type Pending = {
  readonly clientKey: string;
  isSettled: boolean;
  isStarted: boolean;
  /** Set when the outcome says nothing about the server (caller abort, dispose). */
  isNeutral: boolean;
  readonly controller: AbortController;
  /** Settles when a started task has come back and its slots are given back. */
  done: Promise<void> | undefined;
  /**
   * Ends the wait for a started task with its signal's reason: the guard's own abort (the caller's
   * or dispose) answers at once, whether or not the task honours its signal.
   */
  stopWaiting: ((reason: unknown) => void) | undefined;
  fail(error: unknown): void;
};

export function createServerGuard(options: ServerGuardOptions): ServerGuard {
  const { server, global } = options;
  const limits = { ...options.limits };
  const perClientConcurrent = options.perClientConcurrent ?? 10;
  checkLimits(limits, perClientConcurrent);
  const ownsBreaker = options.breaker === undefined;
  const breaker = options.breaker ?? createBreaker({ server });

  let scale = 1;
  let running = 0;
  let queued = 0;
  let isDisposed = false;
  let averageTaskMs = DEFAULT_TASK_MS;
  const pendings = new Set<Pending>();

  const effectiveConcurrent = () => Math.max(1, Math.floor(limits.maxConcurrent * scale));

  // The server's own queue and concurrency: a counting semaphore whose waiters are bounded by
  // queueSize (what Bottleneck's OVERFLOW strategy with highWater = queueSize did). Bottleneck
  // stays for the rate limit (token-bucket.ts) and the clustered guard; on this path its job
  // bookkeeping (a job object, several promises and a microtask hop per stage) cost more than the
  // rest of the guard together in the gateway bench's CPU profile (issue 13 goal 4).
  const serverSlots = new Slots({ max: effectiveConcurrent(), maxWaiting: limits.queueSize });
  // A client key waiting for its own slot waits here, not in the server queue; its queue is bounded
  // by the same queueSize so one client cannot hold unbounded work. Counters, not a Bottleneck
  // Group: see slots.ts for the measured cost of a Bottleneck pass.
  const clients = new Map<string, Slots>();
  const clientSlots = (key: string): Slots => {
    let slots = clients.get(key);
    if (!slots) {
      slots = new Slots({ max: perClientConcurrent, maxWaiting: limits.queueSize });
      clients.set(key, slots);
    }
    return slots;
  };
  const clientQueueFull = () => new Error('the client key has queueSize requests waiting');
  const serverQueueFull = () => new Error('the server has queueSize requests waiting');
  const bucket: TokenBucket | undefined =
    limits.requestsPerMinute === undefined
      ? undefined
      : createTokenBucket({
          requestsPerMinute: limits.requestsPerMinute,
          burst: limits.burst ?? limits.requestsPerMinute,
        });

  const unavailable = (cause?: unknown) =>
    refusalError(
      { reason: 'server_unavailable', server, retryAfterMs: 1_000 },
      `server "${server}" was stopped or removed while the request was pending; retry when it is running`,
      { cause },
    );

  const queueFull = (cause?: unknown) => {
    // Time for the requests ahead to go through, at the observed task time.
    const retryAfterMs = Math.min(
      60_000,
      Math.max(100, (averageTaskMs * (queued + 1)) / effectiveConcurrent()),
    );
    return refusalError(
      { reason: 'queue_full', server, retryAfterMs },
      `server "${server}" has ${limits.queueSize} requests waiting; retry later or raise its limits.queueSize / maxConcurrent`,
      { cause },
    );
  };

  async function execute<T>(
    pending: Pending,
    task: (signal: AbortSignal) => Promise<T>,
    resolve: (value: T) => void,
    release: () => void,
  ): Promise<void> {
    pending.isStarted = true;
    queued--;
    running++;
    const { controller } = pending;
    const startedAt = performance.now();
    try {
      const value = await breaker.execute(
        () =>
          new Promise<T>((resolveTask, rejectTask) => {
            // What untilAborted did, without a listener of its own on the signal: the guard is
            // the only one that aborts it (abortTask), and ends the wait there.
            pending.stopWaiting = rejectTask;
            callTask(task, controller.signal).then(resolveTask, rejectTask);
          }),
        { clientKey: pending.clientKey, isNeutral: () => pending.isNeutral },
      );
      if (!pending.isSettled) {
        settle(pending);
        resolve(value);
      }
    } catch (error) {
      pending.fail(error);
    } finally {
      running--;
      averageTaskMs = 0.8 * averageTaskMs + 0.2 * (performance.now() - startedAt);
      release();
    }
  }

  /** Aborts a started task's signal and answers its wait with the signal's reason. */
  function abortTask(pending: Pending, reason: unknown): void {
    pending.controller.abort(reason);
    pending.stopWaiting?.(pending.controller.signal.reason);
  }

  function settle(pending: Pending): void {
    pending.isSettled = true;
    pendings.delete(pending);
    if (!pending.isStarted) queued--;
  }

  /**
   * Queues an admitted request: client key slot → server slot → global slot, each taken at once
   * when free (no promise, no microtask), else waited for in that order; then runs it.
   */
  function admit<T>(task: (signal: AbortSignal) => Promise<T>, runOptions: RunOptions): Promise<T> {
    const callerSignal = runOptions.signal;
    return new Promise<T>((resolve, reject) => {
      const onCallerAbort = () => {
        pending.isNeutral = true;
        if (pending.isStarted) abortTask(pending, callerSignal?.reason);
        else pending.fail(callerSignal?.reason);
      };
      const pending: Pending = {
        clientKey: runOptions.clientKey,
        isSettled: false,
        isStarted: false,
        isNeutral: false,
        controller: new AbortController(),
        done: undefined,
        stopWaiting: undefined,
        fail(error) {
          if (pending.isSettled) return;
          settle(pending);
          callerSignal?.removeEventListener('abort', onCallerAbort);
          reject(error);
        },
      };
      const succeed = (value: T) => {
        callerSignal?.removeEventListener('abort', onCallerAbort);
        resolve(value);
      };
      pendings.add(pending);
      queued++;
      callerSignal?.addEventListener('abort', onCallerAbort, { once: true });
      const key = runOptions.clientKey;
      const client = clientSlots(key);
      /** Gives back what the request holds, in reverse order of taking. */
      const release = (held: 0 | 1 | 2 | 3) => {
        if (held >= 3) global.release();
        if (held >= 2) serverSlots.release();
        if (held >= 1) {
          client.release();
          if (client.isIdle && clients.get(key) === client) clients.delete(key);
        }
      };
      // A wait that ends without a slot: a full queue, a stopped guard or limiter, or the caller's
      // abort (then the request is answered already and fail() does nothing).
      const refused = (held: 0 | 1 | 2) => (error: unknown) => {
        release(held);
        if (error instanceof SupervisorError) pending.fail(unavailable(error));
        else pending.fail(isDisposed ? unavailable(error) : queueFull(error));
      };
      const start = () => {
        // A request answered while it waited (caller abort, dispose) gives its slots back at once.
        if (pending.isSettled) return release(3);
        pending.done = execute(pending, task, succeed, () => release(3));
      };
      const withGlobal = () => {
        if (pending.isSettled) return release(2);
        let isFree: boolean;
        try {
          isFree = global.tryAcquire();
        } catch (error) {
          return refused(2)(error);
        }
        if (isFree) start();
        else global.acquire(callerSignal).then(start, refused(2));
      };
      const withServer = () => {
        if (pending.isSettled) return release(1);
        if (serverSlots.tryAcquire()) withGlobal();
        else serverSlots.acquire(serverQueueFull, callerSignal).then(withGlobal, refused(1));
      };
      if (client.tryAcquire()) withServer();
      else client.acquire(clientQueueFull, callerSignal).then(withServer, refused(0));
    });
  }

  return {
    server,
    // Not an async function: without a rate limit, the promise returned is the one that settles
    // with the task (no extra layer per request).
    run<T>(task: (signal: AbortSignal) => Promise<T>, runOptions: RunOptions): Promise<T> {
      try {
        if (isDisposed) throw unavailable();
        runOptions.signal?.throwIfAborted();
        breaker.assertAdmits(runOptions.clientKey);
      } catch (error) {
        return Promise.reject(error);
      }
      const currentBucket = bucket;
      if (currentBucket === undefined) return admit(task, runOptions);
      return currentBucket.tryTake().then((isTaken) => {
        if (!isTaken) {
          // Refused at once rather than queued until a refill: a caller waiting a minute for a slot
          // has long given up, and the queue is for bursts of concurrency, not for rate.
          throw refusalError(
            { reason: 'rate_limited', server, retryAfterMs: currentBucket.retryAfterMs() },
            `server "${server}" allows ${currentBucket.requestsPerMinute} requests per minute (burst ${currentBucket.burst}); retry later`,
          );
        }
        if (isDisposed) throw unavailable();
        runOptions.signal?.throwIfAborted();
        return admit(task, runOptions);
      });
    },

    stats: () => ({
      running,
      queued,
      maxConcurrent: limits.maxConcurrent,
      effectiveConcurrent: effectiveConcurrent(),
      breaker: breaker.state(),
      queueSize: limits.queueSize,
    }),

    async setConcurrencyScale(factor) {
      assertConcurrencyScale(factor);
      if (isDisposed || factor === scale) return;
      scale = factor;
      serverSlots.setMax(effectiveConcurrent());
    },

    async dispose() {
      if (isDisposed) return;
      isDisposed = true;
      const running: Promise<void>[] = [];
      for (const pending of [...pendings]) {
        if (pending.done) running.push(pending.done);
        pending.isNeutral = true;
        const error = unavailable();
        pending.fail(error);
        abortTask(pending, error);
      }
      // Waiters leave the queues (their requests are answered above); requests already waiting for
      // a global slot leave that queue when they reach its head, as tombstones.
      serverSlots.rejectAll(unavailable());
      for (const slots of clients.values()) slots.rejectAll(unavailable());
      clients.clear();
      // Aborted tasks come back at once (their signal ends the wait for them), giving back slots.
      await Promise.all([...running, bucket?.dispose()]);
      if (ownsBreaker) breaker.dispose();
    },
  };
}
