import Bottleneck from 'bottleneck/light.js';

export type TokenBucketOptions = {
  /** Sustained rate: tokens added per minute. */
  requestsPerMinute: number;
  /** Bucket capacity: how many requests may go at once after a quiet spell. */
  burst: number;
};

export type TokenBucket = {
  readonly requestsPerMinute: number;
  readonly burst: number;
  /**
   * Takes one token if there is one and resolves true; resolves false at once when the bucket is
   * empty. Never waits for a refill: a caller that is refused is told when to come back instead.
   */
  tryTake(): Promise<boolean>;
  /** Upper bound of the wait until the next refill adds a token, in milliseconds. */
  retryAfterMs(): number;
  dispose(): Promise<void>;
};

/** Refills are batched to at least this period, so Bottleneck's polling heartbeat stays cheap. */
const MIN_REFILL_INTERVAL_MS = 1_000;

/**
 * A token bucket on a Bottleneck reservoir: `reservoirIncreaseAmount` tokens every
 * `reservoirIncreaseInterval`, capped at `burst` by `reservoirIncreaseMaximum`. A refill is applied
 * by Bottleneck's heartbeat, which polls; the heartbeat is set to a twentieth of the refill period,
 * so the sustained rate is within about 5% below the configured one (never above it).
 *
 * Refusal without queueing comes from `highWater: 0` with the OVERFLOW strategy: Bottleneck drops a
 * new job when the queue is at the high-water mark (0) and the job cannot start now (no token).
 * Submissions are serialised inside Bottleneck, so two callers cannot take the last token twice.
 */
export function createTokenBucket(options: TokenBucketOptions): TokenBucket {
  const { requestsPerMinute, burst } = options;
  if (!Number.isInteger(requestsPerMinute) || requestsPerMinute < 1) {
    throw new TypeError(`limits.requestsPerMinute must be a positive integer, got ${requestsPerMinute}`);
  }
  if (!Number.isInteger(burst) || burst < 1) {
    throw new TypeError(`limits.burst must be a positive integer, got ${burst}`);
  }
  const tokensPerRefill = Math.max(1, Math.ceil((requestsPerMinute * MIN_REFILL_INTERVAL_MS) / 60_000));
  const refillIntervalMs = (60_000 * tokensPerRefill) / requestsPerMinute;
  const heartbeatIntervalMs = Math.max(10, Math.floor(refillIntervalMs / 20));
  const limiter = new Bottleneck({
    // Full at creation: a minute's allowance may go at once.
    reservoir: burst,
    reservoirIncreaseAmount: tokensPerRefill,
    reservoirIncreaseInterval: refillIntervalMs,
    reservoirIncreaseMaximum: burst,
    heartbeatInterval: heartbeatIntervalMs,
    highWater: 0,
    strategy: Bottleneck.strategy.OVERFLOW,
  });
  const take = async (): Promise<boolean> => true;
  return {
    requestsPerMinute,
    burst,
    tryTake: () =>
      limiter.schedule(take).then(
        () => true,
        // The only way this no-op job fails is being dropped: no token.
        () => false,
      ),
    retryAfterMs: () => Math.ceil(refillIntervalMs + heartbeatIntervalMs),
    dispose: () => limiter.disconnect(),
  };
}
