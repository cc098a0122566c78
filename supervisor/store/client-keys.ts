import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type Database from 'better-sqlite3';
import type { ClientKeyInfo, ClientKeyRow } from '../client/wire-types.ts';
import { type Listener, TypedEmitter } from '../shared/emitter.ts';
import { SupervisorError } from '../shared/errors.ts';

const KEY_PREFIX = 'mcps_';
/** How long a verified (or refused) token is trusted before the database is asked again. */
export const KEY_CACHE_TTL_MS = 5 * 60_000;

/** Longest token cached as itself: ours are 37 characters; a SHA-256 hex digest is 64. */
const MAX_RAW_CACHE_KEY_CHARS = 64;

function hashKey(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** A key as stored, and as a cluster replicates it: never the token, only its SHA-256. */
export interface ClientKeyRecord {
  id: string;
  name: string;
  /** SHA-256 of the token, hex. */
  hash: string;
  prefix: string;
  /** Servers the key may use; null: all. */
  servers: string[] | null;
  createdAt: number;
  revokedAt: number | null;
}

/** A key created or revoked through this object (not one applied from elsewhere). */
export type ClientKeyChange = { type: 'created' | 'revoked'; record: ClientKeyRecord };

type RecordRow = {
  id: string;
  name: string;
  hash: string;
  prefix: string;
  servers: string | null;
  created_at: number;
  revoked_at: number | null;
};

/** The `servers` column: a JSON array of names, or null (or empty) for all servers. */
function parseServers(column: string | null): string[] | null {
  return column ? (JSON.parse(column) as string[]) : null;
}

const RECORD_COLUMNS = 'id, name, hash, prefix, servers, created_at, revoked_at';

function toRecord(row: RecordRow): ClientKeyRecord {
  return {
    id: row.id,
    name: row.name,
    hash: row.hash,
    prefix: row.prefix,
    servers: parseServers(row.servers),
    createdAt: row.created_at,
    revokedAt: row.revoked_at,
  };
}

/**
 * Client keys for the gateway: created once and shown once, stored as SHA-256 hashes in the
 * `client_keys` table, optionally scoped to some servers. Verification is cached in memory for
 * five minutes, so the database is not on the request path; a revoke clears the cache at once in
 * this process (a revoke from another process takes effect within the TTL, unless it reaches
 * this one through {@link applyRemote}, as a cluster's key events do: then at once).
 */
export class ClientKeys {
  readonly #db: Database;
  readonly #now: () => number;
  /**
   * Verified (or refused) tokens, by the token itself rather than its hash: hashing was the
   * largest cost auth put on every gateway request (a SHA-256 per call, ~80× a Map lookup;
   * test/bench/gateway-bench.ts profile). The tokens kept are ones this process was just sent in
   * request headers; bounded, cleared on create/revoke, trusted for the TTL only. A token longer
   * than {@link MAX_RAW_CACHE_KEY_CHARS} (never a valid one) is kept by its hash, so a flood of
   * long wrong tokens holds no more memory than before.
   */
  readonly #cache = new Map<string, { key: ClientKeyInfo | undefined; expiresAt: number }>();
  readonly #changes = new TypedEmitter<ClientKeyChange>();

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
    const record: ClientKeyRecord = {
      id: randomUUID(),
      name,
      hash: hashKey(token),
      prefix: token.slice(0, 9),
      servers,
      createdAt: this.#now(),
      revokedAt: null,
    };
    this.#insert(record);
    this.#cache.clear();
    this.#changes.emit({ type: 'created', record });
    const { id, prefix, createdAt } = record;
    return { token, key: { id, name, servers, createdAt, revokedAt: null, lastUsedAt: null, prefix } };
  }

  /**
   * Listens to the keys created and revoked through this object (a cluster publishes them);
   * returns the function that unsubscribes. Listeners run synchronously after the change.
   */
  onChange(listener: Listener<ClientKeyChange>): () => void {
    return this.#changes.on(listener);
  }

  /** Every key with its hash, revoked ones included: what a cluster compares with its log. */
  records(): ClientKeyRecord[] {
    const rows = this.#db
      .prepare(`SELECT ${RECORD_COLUMNS} FROM client_keys ORDER BY created_at`)
      .all() as RecordRow[];
    return rows.map(toRecord);
  }

  /**
   * A key created or revoked on another supervisor: its cached verification is dropped at once
   * (a revoked token is refused from the next request on; a new one is looked up again). The row
   * is merged in: a revocation time is taken when earlier than this host's (a key is never
   * un-revoked); an unknown key is inserted only with `mayInsert` (a verified record). Returns
   * whether the database changed.
   */
  applyRemote(record: ClientKeyRecord, options: { mayInsert: boolean }): boolean {
    // The cache is keyed by the token, which this host never saw for a remote key: drop all of
    // it, as a local revoke does (remote changes are rare; the next verifications re-read).
    this.#cache.clear();
    const current = this.#db.prepare('SELECT revoked_at FROM client_keys WHERE id = ?').get(record.id) as
      | { revoked_at: number | null }
      | undefined;
    if (current === undefined) {
      if (!options.mayInsert) return false;
      return this.#insert(record, { orIgnore: true });
    }
    const revokedAt = record.revokedAt;
    if (revokedAt === null || (current.revoked_at !== null && current.revoked_at <= revokedAt)) return false;
    this.#db.prepare('UPDATE client_keys SET revoked_at = ? WHERE id = ?').run(revokedAt, record.id);
    return true;
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
      servers: parseServers(row.servers),
      createdAt: row.created_at,
      revokedAt: row.revoked_at,
      lastUsedAt: row.last_used_at,
    }));
  }

  /** Revokes by id or name; returns how many keys it revoked. */
  revoke(idOrName: string): number {
    const revokedAt = this.#now();
    const revoked = this.#db.transaction(() => {
      const rows = this.#db
        .prepare(
          `SELECT ${RECORD_COLUMNS} FROM client_keys WHERE (id = ? OR name = ?) AND revoked_at IS NULL`,
        )
        .all(idOrName, idOrName) as RecordRow[];
      const update = this.#db.prepare('UPDATE client_keys SET revoked_at = ? WHERE id = ?');
      for (const row of rows) update.run(revokedAt, row.id);
      return rows.map((row) => ({ ...toRecord(row), revokedAt }));
    })();
    this.#cache.clear();
    for (const record of revoked) this.#changes.emit({ type: 'revoked', record });
    return revoked.length;
  }

  verify(token: string): ClientKeyInfo | undefined {
    const now = this.#now();
    const cacheKey = token.length <= MAX_RAW_CACHE_KEY_CHARS ? token : hashKey(token);
    const cached = this.#cache.get(cacheKey);
    if (cached && cached.expiresAt > now) return cached.key;
    const hash = hashKey(token);
    const row = this.#db
      .prepare('SELECT id, name, servers FROM client_keys WHERE hash = ? AND revoked_at IS NULL')
      .get(hash) as { id: string; name: string; servers: string | null } | undefined;
    const key = row ? { id: row.id, name: row.name, servers: parseServers(row.servers) } : undefined;
    if (key) this.#db.prepare('UPDATE client_keys SET last_used_at = ? WHERE id = ?').run(now, key.id);
    // Bounded: a flood of wrong tokens must not grow the cache without limit.
    if (this.#cache.size > 10_000) this.#cache.clear();
    // A refusal is remembered briefly only, so a key created elsewhere works at once.
    this.#cache.set(cacheKey, { key, expiresAt: now + (key ? KEY_CACHE_TTL_MS : 5_000) });
    return key;
  }

  #insert(record: ClientKeyRecord, options: { orIgnore?: boolean } = {}): boolean {
    const verb = options.orIgnore ? 'INSERT OR IGNORE' : 'INSERT';
    return (
      this.#db
        .prepare(`${verb} INTO client_keys (${RECORD_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)`)
        .run(
          record.id,
          record.name,
          record.hash,
          record.prefix,
          record.servers ? JSON.stringify(record.servers) : null,
          record.createdAt,
          record.revokedAt,
        ).changes > 0
    );
  }
}
