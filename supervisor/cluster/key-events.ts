import type { Redis } from 'ioredis';
import type { ClientKeyRecord } from '../store/client-keys.ts';
import type { ClusterConnection } from './connection.ts';
import { isSignedBy, parseKeyRecord, type SignedKeyRecord, signKeyRecord } from './key-records.ts';

/** A key change made on another supervisor of the cluster. */
export type KeyEvent = {
  type: 'created' | 'revoked';
  record: ClientKeyRecord;
  /** The member that made the change. */
  origin: string;
  /**
   * Whether the record may be written to this host's SQLite: a revocation always; a creation only
   * when signed with the cluster's `keySecret`. An unverified creation still means "drop any
   * cached refusal of this key".
   */
  isVerified: boolean;
};

/**
 * Key creations and revocations over the cluster's Redis (see key-records.ts for why keys stay in
 * each host's SQLite): `publish*` writes the record to the cluster's key log (one hash) and
 * publishes it on the cluster's channel; every other member's `onEvent` listeners get it within a
 * round trip, so each drops the key from its 5-minute cache at once. `readLog`/`seed` let a member
 * that was away converge (see `reconcileKeys`).
 *
 * Publishing is bounded by the connection's `timeoutMs` and rejects when Redis is unavailable:
 * the caller has already changed its own SQLite, and the change reaches the others through the log
 * when it reconnects. Events are delivered once per message; a member's own are not delivered back.
 */
export class ClusterKeyEvents {
  readonly #connection: ClusterConnection;
  #subscriber: Redis | undefined;
  readonly #listeners = new Set<(event: KeyEvent) => void>();
  readonly #subscribedListeners = new Set<() => void>();
  #received = 0;
  #rejected = 0;

  constructor(options: { connection: ClusterConnection }) {
    this.#connection = options.connection;
  }

  get channel(): string {
    return `${this.#connection.keyPrefix}keys:events`;
  }

  get logKey(): string {
    return `${this.#connection.keyPrefix}keys:log`;
  }

  /** Subscribes in the background (after `connection.start()`), and again after each reconnect. */
  start(): void {
    if (this.#subscriber) return;
    const subscriber = this.#connection.client.duplicate();
    subscriber.on('error', () => undefined);
    subscriber.on('message', (channel: string, message: string) => {
      if (channel === this.channel) this.#deliver(message);
    });
    // No offline queue: subscribing before the connection is ready would fail, so it is done on
    // every 'ready' (SUBSCRIBE to a channel already subscribed is a no-op).
    subscriber.on('ready', () => {
      subscriber.subscribe(this.channel).then(
        () => {
          for (const listener of this.#subscribedListeners) listener();
        },
        () => undefined,
      );
    });
    this.#subscriber = subscriber;
  }

  /**
   * Called each time the subscription is (re)made: events published while it was down were
   * missed, and only the key log has them (see key-sync.ts).
   */
  onSubscribed(listener: () => void): { dispose(): void } {
    this.#subscribedListeners.add(listener);
    return { dispose: () => this.#subscribedListeners.delete(listener) };
  }

  /** Listens to other members' key changes; returns a disposable. */
  onEvent(listener: (event: KeyEvent) => void): { dispose(): void } {
    this.#listeners.add(listener);
    return { dispose: () => this.#listeners.delete(listener) };
  }

  /** Announces a key this host created (signed when the cluster has a `keySecret`). */
  publishCreated(record: ClientKeyRecord): Promise<void> {
    return this.#publish('created', record);
  }

  /** Announces a key this host revoked (`record.revokedAt` set). */
  publishRevoked(record: ClientKeyRecord): Promise<void> {
    if (record.revokedAt === null) {
      return Promise.reject(new TypeError(`key ${record.id}: publishRevoked needs revokedAt`));
    }
    return this.#publish('revoked', record);
  }

  /** Every record of the cluster's key log (well-formed ones; signatures are checked by the reader). */
  async readLog(): Promise<SignedKeyRecord[]> {
    const entries = await this.#connection.client.hgetall(this.logKey);
    const records: SignedKeyRecord[] = [];
    for (const text of Object.values(entries)) {
      const record = parseKeyRecord(text);
      if (record) records.push(record);
    }
    return records;
  }

  /** Writes this host's records into the log (after `reconcileKeys` said the log lacks them). */
  async seed(records: readonly ClientKeyRecord[]): Promise<void> {
    if (records.length === 0) return;
    const fields: string[] = [];
    for (const record of records) fields.push(record.id, JSON.stringify(this.#sign(record)));
    await this.#connection.client.hset(this.logKey, ...fields);
  }

  stats(): { received: number; rejected: number } {
    return { received: this.#received, rejected: this.#rejected };
  }

  async stop(): Promise<void> {
    this.#listeners.clear();
    this.#subscribedListeners.clear();
    this.#subscriber?.disconnect();
    this.#subscriber = undefined;
  }

  #sign(record: ClientKeyRecord): SignedKeyRecord {
    const secret = this.#connection.config.keySecret;
    const signed: SignedKeyRecord = { ...record, origin: this.#connection.memberId };
    if (secret !== undefined) signed.signature = signKeyRecord(record, secret);
    return signed;
  }

  async #publish(type: KeyEvent['type'], record: ClientKeyRecord): Promise<void> {
    const signed = this.#sign(record);
    const text = JSON.stringify(signed);
    // One MULTI: the log and the event go together or not at all.
    await this.#connection.client
      .multi()
      .hset(this.logKey, record.id, text)
      .publish(this.channel, JSON.stringify({ type, record: signed }))
      .exec();
  }

  #deliver(message: string): void {
    let parsed: { type?: unknown; record?: unknown };
    try {
      parsed = JSON.parse(message) as typeof parsed;
    } catch {
      this.#rejected++;
      return;
    }
    const type = parsed.type;
    const record = parseKeyRecord(JSON.stringify(parsed.record ?? null));
    if ((type !== 'created' && type !== 'revoked') || record === undefined) {
      this.#rejected++;
      return;
    }
    if (record.origin === this.#connection.memberId) return;
    if (type === 'revoked' && record.revokedAt === null) {
      this.#rejected++;
      return;
    }
    this.#received++;
    const secret = this.#connection.config.keySecret;
    const isVerified = type === 'revoked' || (secret !== undefined && isSignedBy(record, secret));
    const { origin, signature: _signature, ...row } = record;
    const event: KeyEvent = { type, record: row, origin, isVerified };
    for (const listener of this.#listeners) {
      try {
        listener(event);
      } catch {
        // One listener's failure must not keep the event from the others.
      }
    }
  }
}
