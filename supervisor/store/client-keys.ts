import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type Database from 'better-sqlite3';
import type { ClientKeyInfo, ClientKeyRow } from '../client/wire-types.ts';
import { SupervisorError } from '../shared/errors.ts';

const KEY_PREFIX = 'mcps_';
/** How long a verified (or refused) token is trusted before the database is asked again. */
export const KEY_CACHE_TTL_MS = 5 * 60_000;

function hashKey(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/**
 * Client keys for the gateway: created once and shown once, stored as SHA-256 hashes in the
 * `client_keys` table, optionally scoped to some servers. Verification is cached in memory for
 * five minutes, so the database is not on the request path; a revoke clears the cache at once in
 * this process (a revoke from another process takes effect within the TTL).
 */
export class ClientKeys {
  readonly #db: Database;
  readonly #now: () => number;
  readonly #cache = new Map<string, { key: ClientKeyInfo | undefined; expiresAt: number }>();

  constructor(db: Database, options: { now?: () => number } = {}) {
    this.#db = db;
    this.#now = options.now ?? Date.now;
  }

  /** Creates a key; the returned `token` is the only time the secret exists outside the client. */
  create(name: string, servers: string[] | null): { token: string; key: ClientKeyRow } {
    if (!/^[A-Za-z0-9_.@-]{1,64}$/.test(name)) {
      throw new SupervisorError(
        'BAD_REQUEST',
        `key name "${name}" must be 1-64 characters of A-Z a-z 0-9 _ . @ -`,
      );
    }
    const token = KEY_PREFIX + randomBytes(24).toString('base64url');
    const id = randomUUID();
    const createdAt = this.#now();
    this.#db
      .prepare(
        'INSERT INTO client_keys (id, name, hash, prefix, servers, created_at) VALUES (?, ?, ?, ?, ?, ?)',
      )
      .run(id, name, hashKey(token), token.slice(0, 9), servers ? JSON.stringify(servers) : null, createdAt);
    this.#cache.clear();
    return {
      token,
      key: { id, name, servers, createdAt, revokedAt: null, lastUsedAt: null, prefix: token.slice(0, 9) },
    };
  }

  list(): ClientKeyRow[] {
    const rows = this.#db
      .prepare(
        'SELECT id, name, prefix, servers, created_at, revoked_at, last_used_at FROM client_keys ORDER BY created_at',
      )
      .all() as {
      id: string;
      name: string;
      prefix: string;
      servers: string | null;
      created_at: number;
      revoked_at: number | null;
      last_used_at: number | null;
    }[];
    return rows.map((row) => ({
      id: row.id,
      name: row.name,
      prefix: row.prefix,
      servers: row.servers ? (JSON.parse(row.servers) as string[]) : null,
      createdAt: row.created_at,
      revokedAt: row.revoked_at,
      lastUsedAt: row.last_used_at,
    }));
  }

  /** Revokes by id or name; returns how many keys it revoked. */
  revoke(idOrName: string): number {
    const changes = this.#db
      .prepare('UPDATE client_keys SET revoked_at = ? WHERE (id = ? OR name = ?) AND revoked_at IS NULL')
      .run(this.#now(), idOrName, idOrName).changes;
    this.#cache.clear();
    return changes;
  }

  verify(token: string): ClientKeyInfo | undefined {
    const hash = hashKey(token);
    const now = this.#now();
    const cached = this.#cache.get(hash);
    if (cached && cached.expiresAt > now) return cached.key;
    const row = this.#db
      .prepare('SELECT id, name, servers FROM client_keys WHERE hash = ? AND revoked_at IS NULL')
      .get(hash) as { id: string; name: string; servers: string | null } | undefined;
    const key = row
      ? { id: row.id, name: row.name, servers: row.servers ? (JSON.parse(row.servers) as string[]) : null }
      : undefined;
    if (key) this.#db.prepare('UPDATE client_keys SET last_used_at = ? WHERE id = ?').run(now, key.id);
    // Bounded: a flood of wrong tokens must not grow the cache without limit.
    if (this.#cache.size > 10_000) this.#cache.clear();
    // A refusal is remembered briefly only, so a key created elsewhere works at once.
    this.#cache.set(hash, { key, expiresAt: now + (key ? KEY_CACHE_TTL_MS : 5_000) });
    return key;
  }
}
