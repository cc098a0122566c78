import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseClusterConfig } from '../../../supervisor/cluster/config.ts';
import { ClusterConnection, type ClusterState } from '../../../supervisor/cluster/connection.ts';
import { sleep } from '../../helpers/paths.ts';
import { type RedisServer, startRedis } from '../../helpers/redis.ts';

// The cluster connection on a real Redis that crashes and comes back. (Limits across the outage
// are in supervisors-faults.test.ts, with real supervisors.)

let redis: RedisServer;

beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
});

describe('the cluster connection when Redis crashes', () => {
  it('keeps the connection it made after Redis came back: the lost call’s socket deadline is not its', async () => {
    // Once dropped: ioredis 5 armed its socket timeout (3 × timeoutMs) for a call, left it armed
    // when that socket closed unanswered, and when it fired it destroyed the socket of the new
    // connection (ioredis issue #2147). Every supervisor of a cluster then lost Redis a second time
    // right after a restart, with its registrations in flight: 3 s in which no request of the
    // cluster ran, in the tests with real supervisors.
    const timeoutMs = 1_000;
    const socketTimeoutMs = 3 * timeoutMs;
    const connection = new ClusterConnection({
      config: parseClusterConfig({
        redis: redis.url,
        id: `conn-${process.pid}`,
        timeoutMs,
        heartbeatMs: 200,
      }),
    });
    const changes: { state: ClusterState; at: number }[] = [];
    connection.onStateChange((state) => changes.push({ state, at: Date.now() }));
    connection.start();
    try {
      expect(await connection.waitUntilConnected(5_000)).toBe(true);
      // A call Redis never answers (it blocks until a list gets an element), then Redis killed:
      // the socket closes with the call's deadline armed.
      const pendingAt = Date.now();
      const lost = connection.client.blpop('never-pushed', 0).catch((error: unknown) => error);
      await sleep(100);
      await redis.kill();
      await redis.restart();
      expect(await connection.waitUntilConnected(socketTimeoutMs - (Date.now() - pendingAt))).toBe(true);
      const reconnectedAt = Date.now();
      const seen = changes.length;
      expect(reconnectedAt - pendingAt).toBeLessThan(socketTimeoutMs);
      // Past the lost call's deadline, with heartbeats answered all along.
      await sleep(socketTimeoutMs - (reconnectedAt - pendingAt) + 4 * 200);
      expect(await lost).toBeInstanceOf(Error);
      expect(changes.slice(seen)).toEqual([]);
      expect(connection.state()).toBe('connected');
      expect(connection.stats().reconnects).toBe(1);
    } finally {
      await connection.stop();
    }
  });
});
