import { afterEach, describe, expect, it } from 'vitest';
import { LocalFallback, type LocalShare } from '../../../supervisor/cluster/local-fallback.ts';
import { createBreaker } from '../../../supervisor/limits/breaker.ts';
import { createGlobalLimiter } from '../../../supervisor/limits/global-limiter.ts';
import { refusalOf } from '../../../supervisor/shared/refusals.ts';
import { waitFor } from '../../helpers/paths.ts';

// The local path of a clustered guard: its share is fixed per local guard, and a new share (the
// members changed, or Redis came back) takes effect for the next request without cutting off
// the ones running in the old guard.

const global = createGlobalLimiter({ maxTotalConcurrent: 100 });
const breaker = createBreaker({ server: 'echo' });
const fallbacks: LocalFallback[] = [];
afterEach(async () => {
  for (const fallback of fallbacks.splice(0)) await fallback.dispose();
});

function fallbackWith(share: { current: LocalShare }) {
  const fallback = new LocalFallback({ server: 'echo', global, breaker, share: () => share.current });
  fallbacks.push(fallback);
  return fallback;
}

const shareOf = (maxConcurrent: number): LocalShare => ({
  limits: { maxConcurrent, queueSize: 0, requestTimeoutMs: 1_000 },
  perClientConcurrent: 10,
});

/** A task that runs until `release()` is called. */
function gate() {
  let release = () => {};
  const done = new Promise<string>((resolve) => {
    release = () => resolve('done');
  });
  return { task: () => done, release };
}

describe('LocalFallback', () => {
  it("enforces the share of its first use, then a retired guard's requests finish while the next share applies", async () => {
    const share = { current: shareOf(1) };
    const fallback = fallbackWith(share);
    const first = gate();
    const running = fallback.run(first.task, { clientKey: 'a' });
    // Share 1, no queue: a second request is refused.
    const refused = await fallback.run(async () => 'x', { clientKey: 'b' }).catch(refusalOf);
    expect(refused).toMatchObject({ reason: 'queue_full' });

    share.current = shareOf(2);
    fallback.retire();
    // The new guard has the new share; the old one still runs its request.
    const second = gate();
    const third = gate();
    const next = [
      fallback.run(second.task, { clientKey: 'b' }),
      fallback.run(third.task, { clientKey: 'c' }),
    ];
    await waitFor(() => (fallback.stats().running === 3 ? true : undefined), { what: 'three running' });
    expect(fallback.stats()).toMatchObject({ running: 3, queued: 0, effectiveConcurrent: 2 });
    first.release();
    second.release();
    third.release();
    expect(await Promise.all([running, ...next])).toEqual(['done', 'done', 'done']);
    expect(fallback.stats()).toMatchObject({ running: 0, queued: 0 });
  });

  it('answers every pending request of every guard on dispose', async () => {
    const share = { current: shareOf(1) };
    const fallback = fallbackWith(share);
    const old = fallback.run(() => new Promise(() => undefined), { clientKey: 'a' });
    fallback.retire();
    const current = fallback.run(() => new Promise(() => undefined), { clientKey: 'a' });
    await fallback.dispose();
    expect(await old.catch(refusalOf)).toMatchObject({ reason: 'server_unavailable' });
    expect(await current.catch(refusalOf)).toMatchObject({ reason: 'server_unavailable' });
  });
});
