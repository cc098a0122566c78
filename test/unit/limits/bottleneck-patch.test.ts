import Bottleneck from 'bottleneck';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { nextTurn } from './helpers.ts';

// patches/bottleneck+2.19.5.patch makes Bottleneck yield with setImmediate instead of
// setTimeout(0). These tests fail if the patch is lost (say, `patch-package` did not run after an
// install): with setTimeout faked and never advanced, the unpatched library cannot finish a job.
describe('bottleneck zero-delay yields (patch)', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  async function outcomeWithinTurns<T>(promise: Promise<T>, turns: number): Promise<T | 'hung'> {
    let isDone = false;
    const settled = promise.finally(() => {
      isDone = true;
    });
    for (let turn = 0; turn < turns && !isDone; turn++) await nextTurn();
    return isDone ? settled : 'hung';
  }

  it('runs a job to completion without any setTimeout firing', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const limiter = new Bottleneck({ maxConcurrent: 2 });
    const results = Promise.all([1, 2, 3].map((n) => limiter.schedule(async () => n * 10)));
    expect(await outcomeWithinTurns(results, 500)).toEqual([10, 20, 30]);
    // Nothing was left waiting on a (fake) timer.
    expect(vi.getTimerCount()).toBe(0);
  });

  it('updates settings and reports counts without any setTimeout firing', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const limiter = new Bottleneck({ maxConcurrent: 1 });
    expect(await outcomeWithinTurns(Promise.resolve(limiter.updateSettings({ maxConcurrent: 3 })), 500)).toBe(
      limiter,
    );
    expect(await outcomeWithinTurns(limiter.running(), 500)).toBe(0);
  });

  it('still honours a real delay (minTime) with a timer', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const limiter = new Bottleneck({ maxConcurrent: 1, minTime: 1_000 });
    const first = limiter.schedule(async () => 'first');
    const second = limiter.schedule(async () => 'second');
    expect(await outcomeWithinTurns(first, 500)).toBe('first');
    expect(await outcomeWithinTurns(second, 200)).toBe('hung');
    await vi.advanceTimersByTimeAsync(1_000);
    expect(await outcomeWithinTurns(second, 500)).toBe('second');
  });

  it('drops a job that was about to start when the limiter is stopped', async () => {
    const limiter = new Bottleneck({ maxConcurrent: 1 });
    let hasRun = false;
    const job = limiter.schedule(async () => {
      hasRun = true;
    });
    // Stop as soon as the job is registered (RUNNING) but before its setImmediate start fires.
    await new Promise<void>((resolve) => {
      limiter.on('scheduled', () => resolve());
    });
    await limiter.stop({ dropWaitingJobs: true });
    await expect(job).rejects.toThrow('This limiter has been stopped.');
    await nextTurn();
    expect(hasRun).toBe(false);
  });
});
