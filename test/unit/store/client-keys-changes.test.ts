import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  type ClientKeyChange,
  type ClientKeyRecord,
  ClientKeys,
} from '../../../supervisor/store/client-keys.ts';
import { useTempStores } from './helpers.ts';

// The client keys of one host, as a cluster drives them: changes made here are announced, and
// changes made on another host are merged in and drop the cached verification at once.

const stores = useTempStores();
const sha256 = (token: string) => createHash('sha256').update(token).digest('hex');

function keysAt(now: { ms: number }) {
  return new ClientKeys(stores.open().db, { now: () => now.ms });
}

describe('ClientKeys', () => {
  it('announces creations and revocations (by id or name, each key once) with the stored record', () => {
    const now = { ms: 1_000 };
    const keys = keysAt(now);
    const changes: ClientKeyChange[] = [];
    keys.onChange((change) => changes.push(change));
    const { token, key } = keys.create('ci', ['memory']);
    keys.create('ci', null);
    now.ms = 2_000;
    expect(keys.revoke('ci')).toBe(2);
    expect(keys.revoke('ci')).toBe(0);
    expect(changes.map((c) => [c.type, c.record.revokedAt])).toEqual([
      ['created', null],
      ['created', null],
      ['revoked', 2_000],
      ['revoked', 2_000],
    ]);
    expect(changes[0]?.record).toEqual({
      id: key.id,
      name: 'ci',
      hash: sha256(token),
      prefix: token.slice(0, 9),
      servers: ['memory'],
      createdAt: 1_000,
      revokedAt: null,
    });
    expect(keys.records().map((r) => r.revokedAt)).toEqual([2_000, 2_000]);
  });

  it('refuses a cached token at once when another host revokes its key', () => {
    const now = { ms: 1_000 };
    const keys = keysAt(now);
    const { token, key } = keys.create('ci', null);
    expect(keys.verify(token)?.id).toBe(key.id);
    const record = keys.records()[0] as ClientKeyRecord;
    // Within the 5-minute cache: without applyRemote the revoked token would still pass.
    expect(keys.applyRemote({ ...record, revokedAt: 1_500 }, { mayInsert: false })).toBe(true);
    expect(keys.verify(token)).toBeUndefined();
    // An earlier revocation wins; a later one and a creation never un-revoke.
    expect(keys.applyRemote({ ...record, revokedAt: 1_200 }, { mayInsert: false })).toBe(true);
    expect(keys.applyRemote({ ...record, revokedAt: 1_900 }, { mayInsert: false })).toBe(false);
    expect(keys.applyRemote({ ...record, revokedAt: null }, { mayInsert: true })).toBe(false);
    expect(keys.records()[0]?.revokedAt).toBe(1_200);
  });

  it('takes a key created elsewhere only when allowed, and drops the cached refusal of its token', () => {
    const now = { ms: 1_000 };
    const source = keysAt(now);
    const { token } = source.create('remote', null);
    const record = source.records()[0] as ClientKeyRecord;
    const keys = keysAt(now);
    expect(keys.verify(token)).toBeUndefined();
    // Not verified (unsigned): nothing is written, but the refusal cached for 5 s is forgotten.
    expect(keys.applyRemote(record, { mayInsert: false })).toBe(false);
    expect(keys.records()).toEqual([]);
    expect(keys.applyRemote(record, { mayInsert: true })).toBe(true);
    expect(keys.verify(token)?.name).toBe('remote');
    expect(keys.records()).toEqual([record]);
  });
});
