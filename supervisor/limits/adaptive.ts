import type { Logger } from '../shared/logger.ts';

export type AdaptiveConcurrencyOptions = {
  /** Host CPU above this (percent, 0–100) counts as overload. */
  thresholdPercent: number;
  /** Consecutive samples beyond a bound before the scale moves one step. Default 3. */
  sustainedSamples?: number;
  /** Multiplier applied on each step down. Default 0.75. */
  stepDownFactor?: number;
  /** Amount added on each step up (toward 1). Default 0.25. */
  stepUp?: number;
  /** The scale never goes below this. Default 0.25. */
  minScale?: number;
  /**
   * Hysteresis: the scale rises only while CPU < threshold − margin (percentage points). Default
   * 10, or half the threshold when that is lower, so every threshold the config accepts works.
   */
  restoreMarginPercent?: number;
};

/**
 * Concurrency scaling from host CPU samples, as pure arithmetic (no timers, no IO).
 *
 * After `sustainedSamples` consecutive samples above the threshold the scale drops to
 * `max(minScale, scale × stepDownFactor)`; after as many consecutive samples below
 * `threshold − restoreMarginPercent` it rises by `stepUp`, capped at 1. A sample in between
 * resets both runs, so the scale holds steady in the band (hysteresis). Each step starts a new run,
 * so the scale moves at most one step per `sustainedSamples` samples.
 */
export class AdaptiveConcurrency {
  readonly #threshold: number;
  readonly #restoreBelow: number;
  readonly #sustained: number;
  readonly #stepDownFactor: number;
  readonly #stepUp: number;
  readonly #minScale: number;
  #scale = 1;
  #above = 0;
  #below = 0;

  constructor(options: AdaptiveConcurrencyOptions) {
    const {
      thresholdPercent,
      sustainedSamples = 3,
      stepDownFactor = 0.75,
      stepUp = 0.25,
      minScale = 0.25,
      restoreMarginPercent = Math.min(10, options.thresholdPercent / 2),
    } = options;
    if (!(thresholdPercent > 0 && thresholdPercent <= 100)) {
      throw new TypeError(`adaptive thresholdPercent must be in (0, 100], got ${thresholdPercent}`);
    }
    if (!Number.isInteger(sustainedSamples) || sustainedSamples < 1) {
      throw new TypeError(`adaptive sustainedSamples must be a positive integer, got ${sustainedSamples}`);
    }
    if (!(stepDownFactor > 0 && stepDownFactor < 1)) {
      throw new TypeError(`adaptive stepDownFactor must be in (0, 1), got ${stepDownFactor}`);
    }
    if (!(stepUp > 0 && stepUp <= 1)) throw new TypeError(`adaptive stepUp must be in (0, 1], got ${stepUp}`);
    if (!(minScale > 0 && minScale <= 1)) {
      throw new TypeError(`adaptive minScale must be in (0, 1], got ${minScale}`);
    }
    if (!(restoreMarginPercent >= 0 && restoreMarginPercent < thresholdPercent)) {
      throw new TypeError(
        `adaptive restoreMarginPercent must be in [0, thresholdPercent), got ${restoreMarginPercent}`,
      );
    }
    this.#threshold = thresholdPercent;
    this.#restoreBelow = thresholdPercent - restoreMarginPercent;
    this.#sustained = sustainedSamples;
    this.#stepDownFactor = stepDownFactor;
    this.#stepUp = stepUp;
    this.#minScale = minScale;
  }

  /** The current factor, in [minScale, 1]. */
  get scale(): number {
    return this.#scale;
  }

  /** Feeds one host CPU sample (percent) and returns the scale after it. NaN samples are ignored. */
  sample(cpuPercent: number): number {
    if (Number.isNaN(cpuPercent)) return this.#scale;
    if (cpuPercent > this.#threshold) {
      this.#below = 0;
      this.#above++;
      if (this.#above >= this.#sustained) {
        this.#above = 0;
        this.#scale = Math.max(this.#minScale, this.#scale * this.#stepDownFactor);
      }
    } else if (cpuPercent < this.#restoreBelow) {
      this.#above = 0;
      this.#below++;
      if (this.#below >= this.#sustained) {
        this.#below = 0;
        this.#scale = Math.min(1, this.#scale + this.#stepUp);
      }
    } else {
      this.#above = 0;
      this.#below = 0;
    }
    return this.#scale;
  }

  reset(): void {
    this.#scale = 1;
    this.#above = 0;
    this.#below = 0;
  }
}

/**
 * Load-adaptive limits: feeds each host CPU sample to an {@link AdaptiveConcurrency} and, when
 * the scale moves, applies it to every server's guard and says so in the log.
 */
export function createAdaptiveLimits(options: {
  adaptive: AdaptiveConcurrency;
  apply: (scale: number) => Promise<void>;
  logger: Logger;
}): { sample(cpuPercent: number): void } {
  let lastScale = 1;
  return {
    sample(cpuPercent) {
      const scale = options.adaptive.sample(cpuPercent);
      if (scale === lastScale) return;
      lastScale = scale;
      options.logger.warn({ scale, cpuPercent }, 'adaptive limits: per-server concurrency scaled');
      void options.apply(scale);
    },
  };
}
