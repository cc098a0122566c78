import Bottleneck from 'bottleneck';
import type { Redis } from 'ioredis';
import type { ServerGuardLimits } from '../limits/server-guard.ts';
import { reclaimOrphans } from './reclaim.ts';
import { reservoirSettings } from './shares.ts';

/**
 * The clustered Bottleneck limiters of one server, on the supervisor's shared Redis connection.
 * Limiters of every supervisor with the same ids share their state in Redis (Bottleneck's own
 * clustering: Lua scripts that count running jobs, queue marks and the reservoir atomically):
 *
 * - `rate`: the token bucket (reservoir + `reservoirIncrease*`), only when `requestsPerMinute` is
 *   set; a token is taken with its register script alone (see take-token.ts), never scheduled;
 * - `server`: `maxConcurrent` across the cluster, `highWater: queueSize` (the queue is per host);
 * - `clients`: a Bottleneck.Group, one limiter per client key with `maxConcurrent` = the per-client
 *   cap across the cluster.
 *
 * Every job carries an `expiration` (its lease), which is what returns the slots of a supervisor
 * that died: Bottleneck's `clientTimeout` only forgets an unresponsive client once it has no
 * running job (process_tick.lua), so without expirations a SIGKILLed host would hold its share of
 * `maxConcurrent` forever (upstream issues #194, #197, #208).
 */
export type LimiterSet = {
  readonly rate: Bottleneck | undefined;
  readonly server: Bottleneck;
  readonly clients: Bottleneck.Group;
  /** Whether the server limiter's (or the rate limiter's) initialisation failed: it must be rebuilt. */
  readonly isBroken: boolean;
  /**
   * Frees the shared slots this host's limiters hold in Redis for no job (see reclaim.ts); resolves
   * with how many. For after an outage.
   */
  reclaim(client: Redis, options: { graceMs: number; signal?: AbortSignal }): Promise<number>;
  /** Unsubscribes every limiter and stops their heartbeats; their running jobs still free. */
  dispose(): Promise<void>;
};

export type LimiterSetOptions = {
  connection: Bottleneck.IORedisConnection;
  /** Prefix of the limiters' ids, e.g. `mcps:<cluster>:` */
  prefix: string;
  server: string;
  limits: ServerGuardLimits;
  perClientConcurrent: number;
  /** Bottleneck's heartbeat period: how often waiting jobs are woken to re-check capacity. */
  heartbeatMs: number;
  /** Redis TTL of a client key's limiter state after its last activity. */
  clientStateTtlMs: number;
  /** Redis TTL of the server's limiter state after its last activity. */
  serverStateTtlMs: number;
  /** Every 'error' a limiter emits (a failed heartbeat, register or free). Must not throw. */
  onError: (error: unknown) => void;
};

/** The Redis-side part of each limiter's options. */
function clusterOptions(options: LimiterSetOptions) {
  return {
    datastore: 'ioredis',
    connection: options.connection,
    clearDatastore: false,
    heartbeatInterval: options.heartbeatMs,
    // A client that misses this many heartbeats no longer gets capacity messages first.
    clientTimeout: Math.max(10_000, 5 * options.heartbeatMs),
  } as const;
}

function serverSettings(limits: ServerGuardLimits) {
  return {
    maxConcurrent: limits.maxConcurrent,
    highWater: limits.queueSize,
    strategy: Bottleneck.strategy.OVERFLOW,
  };
}

function clientSettings(limits: ServerGuardLimits, perClientConcurrent: number) {
  return {
    maxConcurrent: perClientConcurrent,
    highWater: limits.queueSize,
    strategy: Bottleneck.strategy.OVERFLOW,
  };
}

function rateSettings(limits: ServerGuardLimits) {
  if (limits.requestsPerMinute === undefined) return undefined;
  return reservoirSettings(limits.requestsPerMinute, limits.burst ?? limits.requestsPerMinute);
}

/** Without the reservoir itself: settings a running supervisor imposes must never refill the bucket. */
function withoutReservoir<T extends { reservoir?: number }>(settings: T): Omit<T, 'reservoir'> {
  const { reservoir: _ignored, ...rest } = settings;
  return rest;
}

/** `updateSettings` is async in Bottleneck 2 (it writes to Redis) though its typings say otherwise. */
function applySettings(limiter: Bottleneck, settings: object): Promise<unknown> {
  return Promise.resolve(limiter.updateSettings(settings) as unknown);
}

/**
 * Whether `error` is Bottleneck's own, with `fragment` in its message: "dropped" (OVERFLOW at the
 * high-water mark), "timed out" (a job's expiration), "stopped". Anything else from a clustered
 * limiter is Redis failing.
 */
export function isBottleneckError(error: unknown, fragment: string): boolean {
  return error instanceof Bottleneck.BottleneckError && error.message.includes(fragment);
}

/** Ids of a server's limiters; the same on every supervisor of the cluster. */
export function limiterIds(prefix: string, server: string) {
  return {
    rate: `${prefix}rate:${server}`,
    server: `${prefix}server:${server}`,
    clients: `${prefix}client:${server}`,
  };
}

export function createLimiterSet(options: LimiterSetOptions): LimiterSet {
  const ids = limiterIds(options.prefix, options.server);
  const shared = clusterOptions(options);
  const { limits } = options;
  let isBroken = false;

  const watch = (limiter: Bottleneck, isEssential: boolean) => {
    limiter.on('error', (error: unknown) => options.onError(error));
    // A limiter whose init failed (Redis went away between connect and init) rejects every call for
    // good: Bottleneck keeps the rejected `ready` promise. The owner rebuilds the set.
    limiter.ready().then(
      () => undefined,
      (error: unknown) => {
        if (isEssential) isBroken = true;
        options.onError(error);
      },
    );
  };

  const server = new Bottleneck({
    id: ids.server,
    timeout: options.serverStateTtlMs,
    ...shared,
    ...serverSettings(limits),
  });
  watch(server, true);

  // The first supervisor to initialise a limiter writes its settings; later ones keep what is in
  // Redis. Imposing ours once ready makes every member converge on the config it was given (all
  // members should share one; a reload builds a new set, which imposes the new limits), without
  // touching the reservoir's tokens.
  const impose = (limiter: Bottleneck, settings: object) =>
    void limiter
      .ready()
      .then(() => applySettings(limiter, settings))
      .catch(options.onError);
  impose(server, serverSettings(limits));

  const initialRate = rateSettings(limits);
  let rate: Bottleneck | undefined;
  if (initialRate) {
    rate = new Bottleneck({ id: ids.rate, timeout: options.serverStateTtlMs, ...shared, ...initialRate });
    watch(rate, true);
    impose(rate, withoutReservoir(initialRate));
  }

  const perClient = clientSettings(limits, options.perClientConcurrent);
  const clients = new Bottleneck.Group({
    id: ids.clients,
    timeout: options.clientStateTtlMs,
    ...shared,
    ...perClient,
  });
  clients.on('created', (limiter: Bottleneck) => {
    watch(limiter, false);
    impose(limiter, perClient);
  });

  return {
    rate,
    server,
    clients,
    get isBroken() {
      return isBroken;
    },
    async reclaim(client, reclaimOptions) {
      // The rate limiter has no concurrency: a token taken for nothing is lost, not held.
      const limiters = [server, ...clients.limiters().map((pair) => pair.limiter)];
      const counts = await Promise.all(
        limiters.map((limiter) => reclaimOrphans(limiter, client, reclaimOptions)),
      );
      return counts.reduce((sum, count) => sum + count, 0);
    },
    async dispose() {
      // Not in the typings: the Group's cleanup timer, which would go on polling Redis for the
      // group's limiters after the set is gone.
      clearInterval((clients as unknown as { interval?: ReturnType<typeof setInterval> }).interval);
      const limiters = [server, ...(rate ? [rate] : []), ...clients.limiters().map((pair) => pair.limiter)];
      await Promise.allSettled(limiters.map((limiter) => limiter.disconnect(false)));
    },
  };
}
