import { randomBytes } from 'node:crypto';
import Bottleneck from 'bottleneck';
import { Redis, type RedisOptions } from 'ioredis';
import type { ClusterMember, ClusterStatus } from '../client/wire-types.ts';
import type { Logger } from '../shared/logger.ts';
import { type ClusterConfig, redactRedisUrl } from './config.ts';
import { HEARTBEAT_LUA, LEAVE_LUA, parseHeartbeatReply, sameMembers } from './members.ts';

/**
 * `connected`: Redis answers within `timeoutMs` and both connections (commands, pub/sub) are up —
 * limits are shared. `degraded`: the socket is up but a call failed or took longer than
 * `timeoutMs` — treated as unavailable until the next heartbeat succeeds. `down`: no connection
 * (never connected yet, or lost and reconnecting with backoff).
 */
export type ClusterState = 'connected' | 'degraded' | 'down';

/** The connection's part of `GET /api/status`'s `cluster` (see {@link ClusterStatus}). */
export type ClusterConnectionStats = Omit<
  ClusterStatus,
  'servers' | 'keyEvents' | 'state' | 'onUnavailable'
> & {
  state: ClusterState;
  onUnavailable: ClusterConfig['onUnavailable'];
};

type Listener<T extends unknown[]> = (...args: T) => void;

type HeartbeatClient = Redis & {
  mcpsHeartbeat(members: string, infos: string, id: string, ttlMs: number, info: string): Promise<unknown>;
  mcpsLeave(members: string, infos: string, id: string): Promise<unknown>;
};

/** Reconnect delays: 100 ms doubling up to 5 s (or the heartbeat period), each with ±50 % jitter. */
export function reconnectDelayMs(attempt: number, maxMs: number, random = Math.random): number {
  const base = Math.min(maxMs, 100 * 2 ** Math.max(0, attempt - 1));
  return Math.round(base * (0.5 + random() / 2));
}

/**
 * The one Redis connection of a supervisor in a cluster: an ioredis client for commands (shared by
 * every clustered limiter through Bottleneck's `IORedisConnection`, which adds its own pub/sub
 * duplicate), a heartbeat that keeps this supervisor in the member list, and the cluster state.
 *
 * Every call is bounded: `commandTimeout` = `timeoutMs`, a socket that stops answering while calls
 * are pending is dropped after 3 × `timeoutMs`, no offline queue (a call made while disconnected
 * fails at once), and calls in flight when the connection drops are failed, never resent (a
 * limiter's script must not run twice). ioredis reconnects with backoff on its own. Every client has
 * an 'error' listener: a Redis outage is a state, never an unhandled 'error' event.
 *
 * `create → start() → stop()`; the constructor does no IO.
 */
export class ClusterConnection {
  readonly config: ClusterConfig;
  readonly memberId: string;
  readonly #logger: Logger | undefined;
  readonly #now: () => number;
  readonly #startedAt: number;
  readonly #ttlMs: number;
  readonly #maxBackoffMs: number;
  #client: HeartbeatClient | undefined;
  #bottleneck: Bottleneck.IORedisConnection | undefined;
  #bottleneckSubscriber: Redis | undefined;
  #timer: ReturnType<typeof setInterval> | undefined;
  #state: ClusterState = 'down';
  #stateSince: number;
  #members: ClusterMember[] = [];
  #reconnects = 0;
  #hasBeenReady = false;
  #isBeating = false;
  #isStopped = false;
  #lastError: string | undefined;
  #lastHeartbeatAt: number | undefined;
  #nextRetryAt = 0;
  readonly #stateListeners = new Set<Listener<[ClusterState, ClusterState]>>();
  readonly #memberListeners = new Set<Listener<[readonly ClusterMember[]]>>();

  constructor(options: { config: ClusterConfig; logger?: Logger; now?: () => number }) {
    this.config = options.config;
    this.#logger = options.logger;
    this.#now = options.now ?? Date.now;
    this.#startedAt = this.#now();
    this.#stateSince = this.#startedAt;
    this.#ttlMs = 3 * options.config.heartbeatMs;
    this.#maxBackoffMs = Math.max(5_000, options.config.heartbeatMs);
    this.memberId = `${options.config.hostLabel}:${process.pid}:${randomBytes(3).toString('hex')}`;
  }

  /** Prefix of every key and channel this cluster owns in Redis. */
  get keyPrefix(): string {
    return `mcps:${this.config.id}:`;
  }

  /** The ioredis options every connection of this supervisor uses (see the class comment). */
  redisOptions(): RedisOptions {
    const { timeoutMs } = this.config;
    return {
      connectTimeout: Math.max(1_000, 2 * timeoutMs),
      commandTimeout: timeoutMs,
      socketTimeout: Math.max(1_000, 3 * timeoutMs),
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      autoResendUnfulfilledCommands: false,
      keepAlive: 10_000,
      connectionName: `mcps:${this.config.id}:${this.config.hostLabel}`,
      retryStrategy: (attempt) => {
        if (this.#isStopped) return null;
        const delayMs = reconnectDelayMs(attempt, this.#maxBackoffMs);
        this.#nextRetryAt = this.#now() + delayMs;
        return delayMs;
      },
    };
  }

  /** Connects in the background and returns at once: a supervisor starts whether Redis is up or not. */
  start(): void {
    if (this.#client || this.#isStopped) return;
    const client = new Redis(this.config.redis, this.redisOptions()) as HeartbeatClient;
    client.defineCommand('mcpsHeartbeat', { numberOfKeys: 2, lua: HEARTBEAT_LUA });
    client.defineCommand('mcpsLeave', { numberOfKeys: 2, lua: LEAVE_LUA });
    client.on('error', (error: Error) => this.#noteError(error));
    client.on('ready', () => {
      if (this.#hasBeenReady) this.#reconnects++;
      this.#hasBeenReady = true;
      void this.#beat();
    });
    client.on('close', () => this.#setState('down'));
    this.#client = client;
    // Bottleneck duplicates the client for its pub/sub connection (same options, so same bounds).
    const bottleneck = new Bottleneck.IORedisConnection({ client });
    bottleneck.on('error', (error: unknown) => this.#noteError(error));
    this.#bottleneck = bottleneck;
    // Not in Bottleneck's typings: the duplicate it subscribes with. Capacity messages reach waiting
    // jobs through it, so shared limits are usable only while it is up too.
    const subscriber = (bottleneck as unknown as { subscriber?: Redis }).subscriber;
    this.#bottleneckSubscriber = subscriber;
    subscriber?.on('close', () => this.#setState('down'));
    subscriber?.on('ready', () => void this.#beat());
    const timer = setInterval(() => void this.#beat(), this.config.heartbeatMs);
    timer.unref();
    this.#timer = timer;
  }

  /** The command client; throws before `start()`. Callers bound nothing themselves: it does. */
  get client(): Redis {
    if (!this.#client) throw new Error('ClusterConnection.start() was not called');
    return this.#client;
  }

  /** Bottleneck's connection, shared by every clustered limiter of this supervisor. */
  get bottleneckConnection(): Bottleneck.IORedisConnection {
    if (!this.#bottleneck) throw new Error('ClusterConnection.start() was not called');
    return this.#bottleneck;
  }

  state(): ClusterState {
    return this.#state;
  }

  /** Whether shared limits can be used now. */
  isAvailable(): boolean {
    return this.#state === 'connected';
  }

  /** Members of the last heartbeat, at least 1: the divisor of the local shares. */
  membersSeen(): number {
    return Math.max(1, this.#members.length);
  }

  /** When a request refused for an unavailable Redis may try again, in ms from now. */
  retryAfterMs(): number {
    if (this.#state === 'connected') return 0;
    if (this.#state === 'degraded') return this.config.heartbeatMs;
    return Math.max(
      100,
      Math.min(this.#maxBackoffMs, this.#nextRetryAt - this.#now()) + this.config.timeoutMs,
    );
  }

  /**
   * A shared-limit call failed or timed out: Redis counts as unavailable until the next heartbeat
   * answers in time (at most `heartbeatMs` away).
   */
  reportFailure(error: unknown): void {
    this.#noteError(error);
    if (this.#state === 'connected') this.#setState('degraded');
  }

  /** Listens to state changes; returns a disposable. */
  onStateChange(listener: (state: ClusterState, previous: ClusterState) => void): { dispose(): void } {
    this.#stateListeners.add(listener);
    return { dispose: () => this.#stateListeners.delete(listener) };
  }

  /** Listens to changes of the member list (joins, leaves, expiries). */
  onMembersChange(listener: (members: readonly ClusterMember[]) => void): { dispose(): void } {
    this.#memberListeners.add(listener);
    return { dispose: () => this.#memberListeners.delete(listener) };
  }

  /** Resolves true once connected, false when `timeoutMs` passes first or the signal aborts. */
  waitUntilConnected(timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
    if (this.isAvailable()) return Promise.resolve(true);
    return new Promise((resolve) => {
      const done = (value: boolean) => {
        clearTimeout(timer);
        subscription.dispose();
        signal?.removeEventListener('abort', onAbort);
        resolve(value);
      };
      const onAbort = () => done(false);
      const timer = setTimeout(() => done(false), timeoutMs);
      timer.unref();
      const subscription = this.onStateChange((state) => {
        if (state === 'connected') done(true);
      });
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  stats(): ClusterConnectionStats {
    return {
      clusterId: this.config.id,
      host: this.config.hostLabel,
      memberId: this.memberId,
      redis: redactRedisUrl(this.config.redis),
      state: this.#state,
      stateSince: this.#stateSince,
      members: [...this.#members],
      membersSeen: this.membersSeen(),
      onUnavailable: this.config.onUnavailable,
      isFallbackActive: this.#state !== 'connected',
      reconnects: this.#reconnects,
      lastError: this.#lastError,
      lastHeartbeatAt: this.#lastHeartbeatAt,
    };
  }

  /**
   * Leaves the member list (bounded by `timeoutMs`; skipped when Redis is down) and closes every
   * connection. Call it after the clustered guards are disposed, so their last frees go out.
   */
  async stop(): Promise<void> {
    if (this.#isStopped) return;
    this.#isStopped = true;
    clearInterval(this.#timer);
    const client = this.#client;
    if (client && client.status === 'ready') {
      const { members, infos } = this.#keys();
      await client.mcpsLeave(members, infos, this.memberId).catch(() => undefined);
    }
    await this.#bottleneck?.disconnect(false).catch(() => undefined);
    client?.disconnect();
    this.#setState('down');
    this.#stateListeners.clear();
    this.#memberListeners.clear();
  }

  #keys() {
    return { members: `${this.keyPrefix}members`, infos: `${this.keyPrefix}members:info` };
  }

  async #beat(): Promise<void> {
    const client = this.#client;
    if (!client || this.#isStopped || this.#isBeating) return;
    if (client.status !== 'ready') {
      this.#setState('down');
      return;
    }
    this.#isBeating = true;
    try {
      const { members, infos } = this.#keys();
      const info = JSON.stringify({
        host: this.config.hostLabel,
        pid: process.pid,
        startedAt: this.#startedAt,
      });
      const reply = await client.mcpsHeartbeat(members, infos, this.memberId, this.#ttlMs, info);
      if (this.#isStopped) return;
      const parsed = parseHeartbeatReply(reply);
      this.#lastHeartbeatAt = this.#now();
      if (!sameMembers(parsed.members, this.#members)) {
        this.#members = parsed.members;
        for (const listener of this.#memberListeners) listener(this.#members);
      } else this.#members = parsed.members;
      const subscriber = this.#bottleneckSubscriber;
      if (subscriber !== undefined && subscriber.status !== 'ready') {
        this.#noteError(new Error(`the pub/sub connection is ${subscriber.status}`));
        this.#setState(subscriber.status === 'connect' ? 'degraded' : 'down');
      } else this.#setState('connected');
    } catch (error) {
      this.#noteError(error);
      this.#setState(client.status === 'ready' ? 'degraded' : 'down');
    } finally {
      this.#isBeating = false;
    }
  }

  #noteError(error: unknown): void {
    this.#lastError = error instanceof Error ? error.message : String(error);
  }

  #setState(next: ClusterState): void {
    const previous = this.#state;
    if (next === previous) return;
    this.#state = next;
    this.#stateSince = this.#now();
    const fields = { cluster: this.config.id, state: next, previous, error: this.#lastError };
    if (next === 'connected') this.#logger?.info(fields, `cluster ${this.config.id}: Redis is ${next}`);
    else this.#logger?.warn(fields, `cluster ${this.config.id}: Redis is ${next}`);
    for (const listener of this.#stateListeners) {
      try {
        listener(next, previous);
      } catch {
        // A listener's failure must not stop the others nor the state machine.
      }
    }
  }
}
