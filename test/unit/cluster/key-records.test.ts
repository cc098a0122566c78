import { describe, expect, it } from 'vitest';
import {
  isSignedBy,
  mergeKeyRecord,
  parseKeyRecord,
  reconcileKeys,
  signKeyRecord,
} from '../../../supervisor/cluster/key-records.ts';
import type { ClientKeyRecord } from '../../../supervisor/store/client-keys.ts';

const SECRET = 'x'.repeat(32);
const key = (id: string, revokedAt: number | null = null): ClientKeyRecord => ({
  id,
  name: `key-${id}`,
  hash: 'ab'.repeat(32),
  prefix: 'mcps_abcd',
  servers: ['memory'],
  createdAt: 1_000,
  revokedAt,
});
const signed = (record: ClientKeyRecord, secret = SECRET) => ({
  ...record,
  origin: 'host-b:1:abc',
  signature: signKeyRecord(record, secret),
});

describe('replicated client key records', () => {
  it('signs the immutable fields: a changed scope or hash breaks the signature', () => {
    const record = signed(key('1'));
    expect(isSignedBy(record, SECRET)).toBe(true);
    expect(isSignedBy({ ...record, servers: null }, SECRET)).toBe(false);
    expect(isSignedBy({ ...record, hash: 'cd'.repeat(32) }, SECRET)).toBe(false);
    expect(isSignedBy(record, 'y'.repeat(32))).toBe(false);
    // A revocation time may be added by anyone: it only takes access away.
    expect(isSignedBy({ ...record, revokedAt: 5 }, SECRET)).toBe(true);
  });

  it('parses only well-formed records', () => {
    const record = signed(key('1'));
    expect(parseKeyRecord(JSON.stringify(record))).toEqual(record);
    expect(parseKeyRecord('not json')).toBeUndefined();
    expect(parseKeyRecord(JSON.stringify({ ...record, hash: 'short' }))).toBeUndefined();
    expect(parseKeyRecord(JSON.stringify({ ...record, servers: [1] }))).toBeUndefined();
  });

  it('merges order-free: the earliest revocation wins and none is undone', () => {
    expect(mergeKeyRecord(key('1'), key('1', 50)).revokedAt).toBe(50);
    expect(mergeKeyRecord(key('1', 50), key('1')).revokedAt).toBe(50);
    expect(mergeKeyRecord(key('1', 70), key('1', 50)).revokedAt).toBe(50);
  });

  it('reconciles a host with the log: signed new keys and revocations in, its own missing rows out', () => {
    const local = [key('mine'), key('both'), key('revoked-here', 30)];
    const remote = [
      signed(key('both', 20)),
      signed(key('revoked-here')),
      signed(key('new-signed')),
      { ...key('new-unsigned'), origin: 'intruder' },
      signed(key('new-wrong-secret'), 'z'.repeat(32)),
    ];
    const { apply, publish } = reconcileKeys(local, remote, SECRET);
    expect(apply.map((r) => [r.id, r.revokedAt])).toEqual([
      ['both', 20],
      ['new-signed', null],
    ]);
    expect(publish.map((r) => r.id)).toEqual(['mine', 'revoked-here']);
    // Without a secret nothing new is replicated, revocations still are.
    expect(reconcileKeys(local, remote, undefined).apply.map((r) => r.id)).toEqual(['both']);
  });
});
