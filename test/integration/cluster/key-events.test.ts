import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseClusterConfig } from '../../../supervisor/cluster/config.ts';
import { ClusterConnection } from '../../../supervisor/cluster/connection.ts';
import { ClusterKeyEvents, type KeyEvent } from '../../../supervisor/cluster/key-events.ts';
import { reconcileKeys } from '../../../supervisor/cluster/key-records.ts';
import type { ClientKeyRecord } from '../../../supervisor/store/client-keys.ts';
import { waitFor } from '../../helpers/paths.ts';
import { type RedisServer, startRedis } from '../../helpers/redis.ts';

let redis: RedisServer;
let seq = 0;
const stops: (() => Promise<void>)[] = [];

beforeAll(async () => {
  redis = await startRedis();
});
afterEach(async () => {
  for (const stop of stops.splice(0).reverse()) await stop();
});
afterAll(async () => {
  await redis?.stop();
});

const SECRET = 's'.repeat(40);

async function member(clusterId: string, keySecret?: string) {
  const connection = new ClusterConnection({
    config: parseClusterConfig({ redis: redis.url, id: clusterId, heartbeatMs: 300, keySecret }),
  });
  connection.start();
  const events = new ClusterKeyEvents({ connection });
  events.start();
  const received: KeyEvent[] = [];
  events.onEvent((event) => received.push(event));
  stops.push(async () => {
    await events.stop();
    await connection.stop();
  });
  expect(await connection.waitUntilConnected(5_000)).toBe(true);
  // The subscription is made on 'ready'; one round trip later it is in place.
  await connection.client.ping();
  return { connection, events, received };
}

const record = (id: string): ClientKeyRecord => ({
  id,
  name: `key-${id}`,
  hash: 'ef'.repeat(32),
  prefix: 'mcps_wxyz',
  servers: null,
  createdAt: Date.now(),
  revokedAt: null,
});

describe('key events over Redis pub/sub', () => {
  it('a signed creation is verified by members with the same secret, not by one without', async () => {
    const id = `keys-${++seq}`;
    const a = await member(id, SECRET);
    const b = await member(id, SECRET);
    const c = await member(id);
    await waitFor(
      async () =>
        (await redis.cli(['PUBSUB', 'NUMSUB', `mcps:${id}:keys:events`])).includes('3') ? true : undefined,
      {
        what: 'three subscribers',
        timeoutMs: 3_000,
      },
    );
    await a.events.publishCreated(record('k1'));
    const atB = await waitFor(() => b.received[0], {
      what: 'the event at b',
      timeoutMs: 2_000,
      intervalMs: 10,
    });
    const atC = await waitFor(() => c.received[0], {
      what: 'the event at c',
      timeoutMs: 2_000,
      intervalMs: 10,
    });
    expect(atB).toMatchObject({ type: 'created', origin: a.connection.memberId, isVerified: true });
    expect(atB.record).toMatchObject({ id: 'k1', hash: 'ef'.repeat(32), servers: null, revokedAt: null });
    expect(atC).toMatchObject({ type: 'created', isVerified: false });
    expect(a.received).toEqual([]);
  });

  it('the log lets a member that was away converge, and re-seeding restores a flushed log', async () => {
    const id = `keys-${++seq}`;
    const a = await member(id, SECRET);
    await a.events.publishCreated(record('k1'));
    await a.events.publishRevoked({ ...record('k2'), revokedAt: 123 });
    // A member that starts later reads the log.
    const late = await member(id, SECRET);
    const log = await late.events.readLog();
    const { apply, publish } = reconcileKeys([record('mine')], log, SECRET);
    // A revoked key it never had comes in revoked: the rows stay the same on every member.
    expect(apply.map((r) => [r.id, r.revokedAt]).sort()).toEqual([
      ['k1', null],
      ['k2', 123],
    ]);
    expect(publish.map((r) => r.id)).toEqual(['mine']);
    await late.events.seed(publish);
    redis.cli(['DEL', `mcps:${id}:keys:log`]);
    await a.events.seed([record('k1')]);
    expect((await late.events.readLog()).map((r) => r.id)).toEqual(['k1']);
  });

  it('publishing while Redis is down rejects at once instead of waiting', async () => {
    const a = await member(`keys-${++seq}`, SECRET);
    await redis.kill();
    try {
      const startedAt = Date.now();
      await expect(a.events.publishRevoked({ ...record('k'), revokedAt: 1 })).rejects.toThrow();
      expect(Date.now() - startedAt).toBeLessThan(1_000);
    } finally {
      await redis.restart();
    }
  });
});
