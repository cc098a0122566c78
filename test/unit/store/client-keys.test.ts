import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { ClientKeys, KEY_CACHE_TTL_MS } from '../../../supervisor/store/client-keys.ts';
import { migrate } from '../../../supervisor/store/migrations.ts';

describe('ClientKeys.verify (cached by token)', () => {
  let db: InstanceType<typeof Database> | undefined;
  afterEach(() => db?.close());

  function keysAt(clock: { nowMs: number }): ClientKeys {
    db = new Database(':memory:');
    migrate(db);
    return new ClientKeys(db, { now: () => clock.nowMs });
  }

  it('answers a cached key, forgets it on revoke, and sees a revoke from elsewhere after the TTL', () => {
    const clock = { nowMs: 1_000 };
    const keys = keysAt(clock);
    const { token, key } = keys.create('a', ['everything']);
    expect(keys.verify(token)).toEqual({ id: key.id, name: 'a', servers: ['everything'] });
    // Another process revokes it in the database: the cache answers until its TTL ends.
    db?.prepare('UPDATE client_keys SET revoked_at = 1 WHERE id = ?').run(key.id);
    expect(keys.verify(token)?.id).toBe(key.id);
    clock.nowMs += KEY_CACHE_TTL_MS + 1;
    expect(keys.verify(token)).toBeUndefined();
    // A revoke in this process takes effect at once.
    const second = keys.create('b', null);
    expect(keys.verify(second.token)?.name).toBe('b');
    expect(keys.revoke('b')).toBe(1);
    expect(keys.verify(second.token)).toBeUndefined();
  });

  it('refuses wrong tokens of any length, long ones included, and a new key works at once', () => {
    const keys = keysAt({ nowMs: 1_000 });
    expect(keys.verify('mcps_wrong')).toBeUndefined();
    expect(keys.verify(`mcps_${'x'.repeat(10_000)}`)).toBeUndefined();
    const { token } = keys.create('c', null);
    expect(keys.verify(token)?.name).toBe('c');
    expect(keys.verify(`${token}x`)).toBeUndefined();
  });
});
