import { createHmac, timingSafeEqual } from 'node:crypto';
import type { ClientKeyRecord } from '../store/client-keys.ts';

/**
 * Client keys across a cluster — the decision: keys stay in each host's SQLite, and Redis carries
 * their changes.
 *
 * - Authentication never waits for Redis: a host verifies a token against its own SQLite (behind the
 *   5-minute cache), so a Redis outage does not lock clients out, and Redis needs no persistence.
 * - Creations and revocations are published on the cluster's channel (every host drops the key from
 *   its cache at once and applies the change to its SQLite) and written to one Redis hash, the log a
 *   host that was away reads when it connects again. Hosts re-seed that hash from their SQLite, so
 *   a flushed or restarted Redis loses nothing.
 * - A record holds the token's SHA-256 hash, never the token. Creations are signed with the
 *   cluster's `keySecret` (HMAC-SHA256), so whoever can write to Redis cannot mint keys; without a
 *   secret creations are announced (caches refresh) but not replicated. A revocation only takes
 *   access away and is applied signed or not.
 * - Merging is order-free: the union of keys, and a key is revoked when any record says so (the
 *   earliest revocation time wins). Every host converges on the same rows whatever order the events
 *   arrive in, and a revocation is never undone by a late creation.
 */

/** A record as published and stored: the row, who wrote it, and its signature (creations). */
export type SignedKeyRecord = ClientKeyRecord & { origin: string; signature?: string };

/** The fields a signature covers, in a fixed order (revokedAt is not covered: it may only grow). */
function canonical(record: ClientKeyRecord): string {
  return JSON.stringify([
    record.id,
    record.name,
    record.hash,
    record.prefix,
    record.servers,
    record.createdAt,
  ]);
}

export function signKeyRecord(record: ClientKeyRecord, secret: string): string {
  return createHmac('sha256', secret).update(canonical(record)).digest('base64url');
}

/** Whether `record` carries a valid signature for `secret`. */
export function isSignedBy(record: SignedKeyRecord, secret: string): boolean {
  if (typeof record.signature !== 'string') return false;
  const expected = Buffer.from(signKeyRecord(record, secret));
  const actual = Buffer.from(record.signature);
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

function isString(value: unknown): value is string {
  return typeof value === 'string';
}

/** Parses a record from Redis or pub/sub; undefined when it is not a well-formed record. */
export function parseKeyRecord(text: string): SignedKeyRecord | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const r = value as Record<string, unknown>;
  const servers = r.servers;
  const isServers = servers === null || (Array.isArray(servers) && servers.every(isString));
  if (
    !isString(r.id) ||
    !isString(r.name) ||
    !isString(r.hash) ||
    !/^[0-9a-f]{64}$/.test(r.hash) ||
    !isString(r.prefix) ||
    !isServers ||
    typeof r.createdAt !== 'number' ||
    !(r.revokedAt === null || typeof r.revokedAt === 'number') ||
    !isString(r.origin)
  ) {
    return undefined;
  }
  return {
    id: r.id,
    name: r.name,
    hash: r.hash,
    prefix: r.prefix,
    servers: servers as string[] | null,
    createdAt: r.createdAt,
    revokedAt: r.revokedAt as number | null,
    origin: r.origin,
    ...(isString(r.signature) ? { signature: r.signature } : {}),
  };
}

/** Two records of the same key merged: the earliest revocation wins, the row is otherwise `a`. */
export function mergeKeyRecord<T extends ClientKeyRecord>(a: T, b: ClientKeyRecord): T {
  const revocations = [a.revokedAt, b.revokedAt].filter((at): at is number => at !== null);
  return { ...a, revokedAt: revocations.length > 0 ? Math.min(...revocations) : null };
}

/**
 * What a host must do to converge with the cluster's log: `apply` — records to write to its SQLite
 * (new keys, signed; or revocations it does not have), `publish` — its records the log lacks or has
 * older (so a restarted Redis is re-seeded). Unsigned or badly signed creations are ignored.
 */
export function reconcileKeys(
  local: readonly ClientKeyRecord[],
  remote: readonly SignedKeyRecord[],
  secret: string | undefined,
): { apply: ClientKeyRecord[]; publish: ClientKeyRecord[] } {
  const localById = new Map(local.map((record) => [record.id, record]));
  const remoteById = new Map(remote.map((record) => [record.id, record]));
  const apply: ClientKeyRecord[] = [];
  const publish: ClientKeyRecord[] = [];
  for (const record of remote) {
    const mine = localById.get(record.id);
    if (mine === undefined) {
      if (secret !== undefined && isSignedBy(record, secret)) apply.push(stripOrigin(record));
    } else if (record.revokedAt !== null && (mine.revokedAt === null || record.revokedAt < mine.revokedAt)) {
      apply.push(mergeKeyRecord(mine, record));
    }
  }
  for (const mine of local) {
    const theirs = remoteById.get(mine.id);
    if (
      theirs === undefined ||
      (mine.revokedAt !== null && (theirs.revokedAt === null || mine.revokedAt < theirs.revokedAt))
    ) {
      publish.push(mine);
    }
  }
  return { apply, publish };
}

function stripOrigin(record: SignedKeyRecord): ClientKeyRecord {
  const { origin: _origin, signature: _signature, ...row } = record;
  return row;
}
