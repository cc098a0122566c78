import Bottleneck from 'bottleneck/light.js';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { nextTurn } from './helpers.ts';

// patches/bottleneck+2.19.5.patch makes Bottleneck's light build (the one we load) yield in
// microtasks instead of setTimeout(0). These tests fail if the patch is lost (say, `patch-package`
// did not run after an install): with timers faked and never advanced, the unpatched library
// cannot finish a job. The later tests cover the patches that cut Bottleneck's CPU per job.
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

  it('runs jobs without any turn of the event loop (no setImmediate either)', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setImmediate', 'clearImmediate'] });
    const limiter = new Bottleneck({ maxConcurrent: 2 });
    const results = Promise.all([1, 2, 3, 4].map((n) => limiter.schedule(async () => n)));
    // Microtasks only: a bounded number of them, and nothing queued on a (fake) macrotask.
    let isDone = false;
    void results.then(() => {
      isDone = true;
    });
    for (let i = 0; i < 10_000 && !isDone; i++) await Promise.resolve();
    expect(isDone).toBe(true);
    expect(await results).toEqual([1, 2, 3, 4]);
    expect(vi.getTimerCount()).toBe(0);
  });

  // The hot-path patches (no async hop in the local store and the locks, no register-lock pass
  // when nothing is queued) show as fewer microtask turns per job: 14 patched, 21 with only the
  // zero-delay patches above, so this fails if they are lost.
  it('settles a job with a free slot within 16 microtask turns', async () => {
    const limiter = new Bottleneck({
      maxConcurrent: 50,
      highWater: 1_000,
      strategy: Bottleneck.strategy.OVERFLOW,
    });
    for (let round = 0; round < 3; round++) {
      let isDone = false;
      void limiter
        .schedule(async () => round)
        .then(() => {
          isDone = true;
        });
      let turns = 0;
      while (!isDone && turns < 1_000) {
        await Promise.resolve();
        turns++;
      }
      expect(turns).toBeLessThanOrEqual(16);
    }
  });

  // Per-job bookkeeping patches: a counter for generated ids (not Math.random().toString(36)), and
  // Maps for job states and scheduled jobs (objects with a key added and deleted per job went to
  // slow dictionary mode). Generated random ids would contain letters.
  it('keeps per-job bookkeeping in Maps with counter ids', async () => {
    type Internals = { _states: { _jobs: unknown }; _scheduled: unknown };
    const limiter = new Bottleneck({ maxConcurrent: 1 });
    const internals = limiter as unknown as Internals;
    const jobs = [1, 2, 3].map((n) => limiter.schedule(async () => n));
    const ids = limiter.jobs();
    expect(ids).toHaveLength(3);
    for (const id of ids) expect(id).toMatch(/^<no-id>-\d+$/);
    expect(internals._states._jobs).toBeInstanceOf(Map);
    expect(internals._scheduled).toBeInstanceOf(Map);
    expect(await Promise.all(jobs)).toEqual([1, 2, 3]);
    expect(limiter.counts()).toEqual({ RECEIVED: 0, QUEUED: 0, RUNNING: 0, EXECUTING: 0 });
  });

  it('stop() drops the jobs still waiting and never runs them', async () => {
    const limiter = new Bottleneck({ maxConcurrent: 1 });
    const ran: number[] = [];
    let release = () => {};
    const first = limiter.schedule(
      () =>
        new Promise<void>((resolve) => {
          ran.push(1);
          release = resolve;
        }),
    );
    const waiting = [2, 3].map((n) =>
      limiter.schedule(async () => {
        ran.push(n);
      }),
    );
    await vi.waitFor(() => expect(ran).toEqual([1]));
    const stopped = limiter.stop({ dropWaitingJobs: true });
    for (const job of waiting) await expect(job).rejects.toThrow('This limiter has been stopped.');
    release();
    await first;
    await stopped;
    await nextTurn();
    expect(ran).toEqual([1]);
  });
});
