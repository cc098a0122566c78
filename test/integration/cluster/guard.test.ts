import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type ClusteredGuard, createClusteredGuard } from '../../../supervisor/cluster/clustered-guard.ts';
import { parseClusterConfig } from '../../../supervisor/cluster/config.ts';
import { ClusterConnection } from '../../../supervisor/cluster/connection.ts';
import { createBreaker } from '../../../supervisor/limits/breaker.ts';
import { createGlobalLimiter, type GlobalLimiter } from '../../../supervisor/limits/global-limiter.ts';
import type { ServerGuardLimits } from '../../../supervisor/limits/server-guard.ts';
import { refusalOf } from '../../../supervisor/shared/refusals.ts';
import { sleep, waitFor } from '../../helpers/paths.ts';
import { type RedisServer, startRedis } from '../../helpers/redis.ts';

// One clustered guard in this process on a real Redis: the ServerGuard contract, and Redis failing
// under it in the ways Bottleneck itself did not survive (see patches/bottleneck+2.19.5.patch).

let redis: RedisServer;
let seq = 0;
const cleanups: (() => Promise<void>)[] = [];

beforeAll(async () => {
  redis = await startRedis();
});
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  if (redis.pid === undefined) await redis.restart();
});
afterAll(async () => {
  await redis?.stop();
});

type Setup = { connection: ClusterConnection; guard: ClusteredGuard; global: GlobalLimiter };

async function setup(
  limits: Partial<ServerGuardLimits> = {},
  cluster: Record<string, unknown> = {},
  options: { isConnected?: boolean } = {},
): Promise<Setup> {
  const connection = new ClusterConnection({
    config: parseClusterConfig({
      redis: redis.url,
      id: `guard-${process.pid}-${++seq}`,
      timeoutMs: 300,
      heartbeatMs: 300,
      ...cluster,
    }),
  });
  connection.start();
  const global = createGlobalLimiter({ maxTotalConcurrent: 100 });
  const guard = createClusteredGuard({
    server: 'echo',
    limits: { maxConcurrent: 2, queueSize: 10, requestTimeoutMs: 5_000, ...limits },
    perClientConcurrent: 10,
    global,
    cluster: connection,
  });
  cleanups.push(async () => {
    await guard.dispose();
    await global.dispose();
    await connection.stop();
  });
  if (options.isConnected !== false) expect(await connection.waitUntilConnected(5_000)).toBe(true);
  return { connection, guard, global };
}

/** `promise`, or a rejection after `ms`: a wait for a slot that is not there must not hang the test. */
function within<T>(promise: Promise<T>, ms: number): Promise<T> {
  return Promise.race([
    promise,
    new Promise<never>((_resolve, reject) =>
      setTimeout(() => reject(new Error(`no answer in ${ms} ms`)), ms),
    ),
  ]);
}

const refusal = (promise: Promise<unknown>) =>
  promise.then(
    () => undefined,
    (error: unknown) => refusalOf(error),
  );

describe('clustered guard', () => {
  it('runs a task and answers with its result; the mode is clustered', async () => {
    const { guard } = await setup();
    expect(await guard.run(async () => 42, { clientKey: 'a' })).toBe(42);
    expect(guard.clusterStats().mode).toBe('clustered');
    expect(guard.stats()).toMatchObject({ running: 0, queued: 0, maxConcurrent: 2, breaker: 'closed' });
  });

  it('refuses with queue_full past queueSize; a caller that leaves frees its slot for the queued one', async () => {
    const { guard } = await setup({ maxConcurrent: 1, queueSize: 1 });
    const forever = () => new Promise<never>(() => undefined);
    const caller = new AbortController();
    const held = guard.run(forever, { clientKey: 'a', signal: caller.signal });
    await waitFor(() => (guard.stats().running === 1 ? true : undefined), {
      what: 'one running',
      timeoutMs: 3_000,
    });
    const queued = guard.run(async () => 'queued', { clientKey: 'b' });
    await waitFor(() => (guard.stats().queued >= 1 ? true : undefined), {
      what: 'one queued',
      timeoutMs: 3_000,
    });
    expect(await refusal(guard.run(async () => 'x', { clientKey: 'c' }))).toMatchObject({
      reason: 'queue_full',
    });
    caller.abort(new Error('the client went away'));
    await expect(held).rejects.toThrow('the client went away');
    expect(await queued).toBe('queued');
  });

  it('refuses with rate_limited and a retryAfterMs once the shared bucket is empty', async () => {
    const { guard } = await setup({ maxConcurrent: 10, requestsPerMinute: 60, burst: 3 });
    for (let i = 0; i < 3; i++) expect(await guard.run(async () => i, { clientKey: 'a' })).toBe(i);
    const refused = await refusal(guard.run(async () => 'x', { clientKey: 'a' }));
    expect(refused).toMatchObject({ reason: 'rate_limited' });
    expect(refused?.retryAfterMs).toBeGreaterThan(0);
    expect(refused?.retryAfterMs).toBeLessThanOrEqual(1_000);
  });

  it('members racing for one bucket take at most what it holds, and every loser is refused, not queued', async () => {
    const id = `guard-${process.pid}-${++seq}`;
    const limits = { maxConcurrent: 100, queueSize: 100, requestsPerMinute: 60, burst: 5 };
    const members = await Promise.all([0, 1, 2].map(() => setup(limits, { id })));
    const startedAt = performance.now();
    const outcomes = await Promise.all(
      members.flatMap(({ guard }) =>
        Array.from({ length: 20 }, () =>
          within(
            guard
              .run(async () => 'ok', { clientKey: 'a' })
              .then(
                () => 'ok',
                (error: unknown) => refusalOf(error)?.reason ?? String(error),
              ),
            3_000,
          ),
        ),
      ),
    );
    const elapsedMs = performance.now() - startedAt;
    const accepted = outcomes.filter((outcome) => outcome === 'ok').length;
    // The full bucket (5), plus one token per second the race lasted.
    expect(accepted).toBeGreaterThanOrEqual(5);
    expect(accepted).toBeLessThanOrEqual(5 + Math.floor(elapsedMs / 1_000));
    expect(new Set(outcomes.filter((outcome) => outcome !== 'ok'))).toEqual(new Set(['rate_limited']));
  });

  it('passes the circuit breaker: an open circuit refuses with circuit_open', async () => {
    const breaker = createBreaker({ server: 'echo', consecutiveFailures: 1, halfOpenAfterMs: 60_000 });
    const connection = new ClusterConnection({
      config: parseClusterConfig({ redis: redis.url, id: `guard-${process.pid}-${++seq}`, timeoutMs: 300 }),
    });
    connection.start();
    const global = createGlobalLimiter({ maxTotalConcurrent: 10 });
    const guard = createClusteredGuard({
      server: 'echo',
      limits: { maxConcurrent: 2, queueSize: 10, requestTimeoutMs: 5_000 },
      global,
      breaker,
      cluster: connection,
    });
    cleanups.push(async () => {
      await guard.dispose();
      await global.dispose();
      await connection.stop();
      breaker.dispose();
    });
    await connection.waitUntilConnected(5_000);
    await guard
      .run(() => Promise.reject(new Error('transport broke')), { clientKey: 'a' })
      .catch(() => undefined);
    expect(await refusal(guard.run(async () => 1, { clientKey: 'a' }))).toMatchObject({
      reason: 'circuit_open',
    });
  });

  it('keeps working when Redis loses its data while connected (FLUSHALL, as a restart without persistence)', async () => {
    // Without the Redis 7 fix in patches/, the limiter's next call failed with
    // "ERR SETTINGS_KEY_NOT_FOUND" for good instead of re-initialising.
    const { guard, connection } = await setup({ requestsPerMinute: 600, burst: 50 });
    expect(await guard.run(async () => 1, { clientKey: 'a' })).toBe(1);
    redis.cli(['FLUSHALL']);
    for (let i = 0; i < 5; i++) expect(await guard.run(async () => i, { clientKey: 'a' })).toBe(i);
    expect(connection.state()).toBe('connected');
    expect(guard.clusterStats()).toMatchObject({ mode: 'clustered', fallbackRequests: 0, movedRequests: 0 });
  });

  it('starts while Redis is down (local share), and shares limits once Redis is up', async () => {
    await redis.kill();
    const { guard, connection } = await setup({}, {}, { isConnected: false });
    expect(connection.state()).toBe('down');
    expect(guard.clusterStats().mode).toBe('local');
    expect(await guard.run(async () => 'local', { clientKey: 'a' })).toBe('local');
    await redis.restart();
    expect(await connection.waitUntilConnected(10_000)).toBe(true);
    expect(await guard.run(async () => 'shared', { clientKey: 'a' })).toBe('shared');
    expect(guard.clusterStats()).toMatchObject({ mode: 'clustered', fallbackRequests: 1 });
  });

  it('moves requests waiting for a shared slot when Redis dies, and disposes without an unhandled rejection', async () => {
    // Without the unhandled-rejection fix in patches/, disposing while Redis is down rejected
    // Bottleneck's UNSUBSCRIBE with nobody listening, and vitest fails the run for it.
    const { guard } = await setup({ maxConcurrent: 1 });
    const forever = guard.run(() => new Promise<never>(() => undefined), { clientKey: 'a' });
    forever.catch(() => undefined);
    await waitFor(() => (guard.stats().running === 1 ? true : undefined), {
      what: 'one running',
      timeoutMs: 3_000,
    });
    const waiting = guard.run(async () => 'moved', { clientKey: 'b' });
    await waitFor(() => (guard.clusterStats().sharedWaiting === 1 ? true : undefined), {
      what: 'one waiting',
      timeoutMs: 3_000,
    });
    await redis.kill();
    expect(await waiting).toBe('moved');
    expect(guard.clusterStats()).toMatchObject({ mode: 'local', movedRequests: 1 });
    await guard.dispose();
    expect(await refusal(forever)).toMatchObject({ reason: 'server_unavailable' });
    await sleep(300);
  });

  it('a guard built with new limits (a reload) imposes them on every member (the settings in Redis converge)', async () => {
    const id = `guard-${process.pid}-${++seq}`;
    const a = await setup({ maxConcurrent: 1 }, { id });
    const forever = () => new Promise<never>(() => undefined);
    const caller = new AbortController();
    const held = a.guard.run(forever, { clientKey: 'a', signal: caller.signal });
    held.catch(() => undefined);
    await waitFor(() => (a.guard.stats().running === 1 ? true : undefined), {
      what: 'one running',
      timeoutMs: 3_000,
    });
    // Another member, reloaded with maxConcurrent 2: the second shared slot is there for it at
    // once, while the first member still holds the first.
    const b = await setup({ maxConcurrent: 2 }, { id });
    expect(
      await within(
        b.guard.run(async () => 'second', { clientKey: 'b' }),
        3_000,
      ),
    ).toBe('second');
    caller.abort();
  });
});
