import { describe, expect, it } from 'vitest';
import { AdaptiveConcurrency } from '../../../supervisor/limits/adaptive.ts';

function feed(adaptive: AdaptiveConcurrency, samples: number[]): number[] {
  return samples.map((cpu) => adaptive.sample(cpu));
}

describe('AdaptiveConcurrency', () => {
  it('steps down only after N sustained samples above the threshold', () => {
    const adaptive = new AdaptiveConcurrency({ thresholdPercent: 80, sustainedSamples: 3 });
    expect(feed(adaptive, [90, 95, 70, 90, 90])).toEqual([1, 1, 1, 1, 1]);
    expect(adaptive.sample(99)).toBe(0.75);
    // The next step needs a new run of three.
    expect(feed(adaptive, [90, 90, 90])).toEqual([0.75, 0.75, 0.5625]);
  });

  it('never goes below minScale', () => {
    const adaptive = new AdaptiveConcurrency({ thresholdPercent: 80, sustainedSamples: 1, minScale: 0.3 });
    expect(feed(adaptive, [100, 100, 100, 100, 100, 100])).toEqual([
      0.75, 0.5625, 0.421875, 0.31640625, 0.3, 0.3,
    ]);
  });

  it('restores stepwise only below threshold minus margin (hysteresis)', () => {
    const adaptive = new AdaptiveConcurrency({
      thresholdPercent: 80,
      sustainedSamples: 2,
      restoreMarginPercent: 10,
      stepUp: 0.25,
    });
    feed(adaptive, [90, 90, 90, 90]);
    expect(adaptive.scale).toBe(0.5625);
    // 75 % is under the threshold but inside the band: the scale holds.
    expect(feed(adaptive, [75, 75, 75, 75])).toEqual([0.5625, 0.5625, 0.5625, 0.5625]);
    expect(feed(adaptive, [60, 60])).toEqual([0.5625, 0.8125]);
    // A sample in the band breaks the run.
    expect(feed(adaptive, [60, 75, 60, 60])).toEqual([0.8125, 0.8125, 0.8125, 1]);
    expect(feed(adaptive, [10, 10, 10])).toEqual([1, 1, 1]);
  });

  it('a spike in a quiet run restarts the count toward restoring', () => {
    const adaptive = new AdaptiveConcurrency({ thresholdPercent: 50, sustainedSamples: 2 });
    feed(adaptive, [60, 60]);
    expect(adaptive.scale).toBe(0.75);
    expect(feed(adaptive, [10, 70, 10, 10])).toEqual([0.75, 0.75, 0.75, 1]);
  });

  it('ignores NaN samples and can be reset', () => {
    const adaptive = new AdaptiveConcurrency({ thresholdPercent: 80, sustainedSamples: 1 });
    adaptive.sample(90);
    expect(adaptive.sample(Number.NaN)).toBe(0.75);
    adaptive.reset();
    expect(adaptive.scale).toBe(1);
  });

  it('fits its default restore margin under a low threshold (any valid cpuPercent works)', () => {
    // The default margin is 10 points; under a 5 % threshold it is half the threshold: 2.5 %.
    const adaptive = new AdaptiveConcurrency({ thresholdPercent: 5, sustainedSamples: 1 });
    expect(adaptive.sample(6)).toBe(0.75);
    expect(adaptive.sample(3)).toBe(0.75);
    expect(adaptive.sample(2)).toBe(1);
    for (const thresholdPercent of [0.001, 1, 10, 19.99, 100]) {
      expect(() => new AdaptiveConcurrency({ thresholdPercent })).not.toThrow();
    }
  });

  it('rejects bad options, naming them', () => {
    expect(() => new AdaptiveConcurrency({ thresholdPercent: 0 })).toThrow(/thresholdPercent/);
    expect(() => new AdaptiveConcurrency({ thresholdPercent: 80, sustainedSamples: 0 })).toThrow(
      /sustainedSamples/,
    );
    expect(() => new AdaptiveConcurrency({ thresholdPercent: 80, stepDownFactor: 1 })).toThrow(
      /stepDownFactor/,
    );
    expect(() => new AdaptiveConcurrency({ thresholdPercent: 20, restoreMarginPercent: 20 })).toThrow(
      /restoreMarginPercent/,
    );
  });
});
