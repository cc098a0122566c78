import type { Logger } from '../shared/logger.ts';
import type { Session } from './session.ts';

/** Which bound refused a new session, with its figures (the message names the setting). */
export type SessionRefusal = {
  readonly limit: 'maxSessions' | 'maxSessionsPerKey';
  readonly max: number;
  /** Seconds after which trying again may succeed (the HTTP Retry-After). */
  readonly retryAfterSeconds: number;
};

/** How long a refused client should wait: sessions free up as requests finish or idle ones expire. */
const RETRY_AFTER_SECONDS = 5;

/**
 * The share of `maxSessions` one client key may hold when `maxSessionsPerKey` is not set: a
 * quarter, so one key can never lock the others out (issue 9 item 2b: one key held all 50).
 */
export function defaultSessionsPerKey(maxSessions: number): number {
  return Math.max(1, Math.ceil(maxSessions / 4));
}

/**
 * The gateway's open sessions: the registry, its bounds (`maxSessions` in all, `maxSessionsPerKey`
 * per client key), and the expiry of idle ones (no request in flight, no GET stream open, nothing
 * for `sessionIdleMs`). A sweep runs every minute (or every `sessionIdleMs`, if shorter); when the
 * registry is full, sessions idle for a minute already make room for a new one. A key at its share
 * makes room by closing its own least recently active session without a request in flight: a
 * client that leaks sessions keeps working, and never at the others' expense.
 */
export class SessionRegistry {
  readonly #sessions = new Map<string, Session>();
  /** Sessions by client key (the session id itself when auth is off: a share of one). */
  readonly #byKey = new Map<string, Set<Session>>();
  readonly #maxSessions: number;
  readonly #maxSessionsPerKey: number;
  readonly #sessionIdleMs: number;
  readonly #logger: Logger;
  readonly #sweep: NodeJS.Timeout;

  constructor(options: {
    maxSessions: number;
    /** Default {@link defaultSessionsPerKey}; never more than `maxSessions`. */
    maxSessionsPerKey?: number;
    sessionIdleMs: number;
    logger: Logger;
  }) {
    this.#maxSessions = options.maxSessions;
    this.#maxSessionsPerKey = Math.min(
      options.maxSessions,
      options.maxSessionsPerKey ?? defaultSessionsPerKey(options.maxSessions),
    );
    this.#sessionIdleMs = options.sessionIdleMs;
    this.#logger = options.logger;
    this.#sweep = setInterval(() => this.expireIdle(), Math.min(60_000, this.#sessionIdleMs));
    this.#sweep.unref();
  }

  get size(): number {
    return this.#sessions.size;
  }

  get maxSessions(): number {
    return this.#maxSessions;
  }

  get maxSessionsPerKey(): number {
    return this.#maxSessionsPerKey;
  }

  get(id: string): Session | undefined {
    return this.#sessions.get(id);
  }

  values(): IterableIterator<Session> {
    return this.#sessions.values();
  }

  /** Sessions of one client key now. */
  countOf(clientKey: string): number {
    return this.#byKey.get(clientKey)?.size ?? 0;
  }

  /**
   * Makes room for a new session of `clientKey` (undefined: no key, auth is off) and returns
   * undefined, or says which bound refuses it. A key at its share closes its own idlest session;
   * a full registry first expires sessions idle for a minute, then closes the key's own idlest.
   */
  admit(clientKey: string | undefined): SessionRefusal | undefined {
    if (clientKey !== undefined && this.countOf(clientKey) >= this.#maxSessionsPerKey) {
      if (!this.#evictIdlest(clientKey, 'maxSessionsPerKey')) {
        return {
          limit: 'maxSessionsPerKey',
          max: this.#maxSessionsPerKey,
          retryAfterSeconds: RETRY_AFTER_SECONDS,
        };
      }
    }
    if (this.#sessions.size < this.#maxSessions) return undefined;
    this.expireIdle(true);
    if (this.#sessions.size < this.#maxSessions) return undefined;
    if (clientKey !== undefined && this.#evictIdlest(clientKey, 'maxSessions')) return undefined;
    return { limit: 'maxSessions', max: this.#maxSessions, retryAfterSeconds: RETRY_AFTER_SECONDS };
  }

  add(session: Session): void {
    this.#sessions.set(session.id, session);
    let ofKey = this.#byKey.get(session.clientKey);
    if (ofKey === undefined) {
      ofKey = new Set();
      this.#byKey.set(session.clientKey, ofKey);
    }
    ofKey.add(session);
    this.#logger.debug(
      { session: session.id, server: session.server, client: session.clientInfo?.name },
      'MCP session opened',
    );
  }

  /** Ends a session: answers its requests and client requests, closes its streams. */
  close(session: Session, reason: string): void {
    this.#sessions.delete(session.id);
    const ofKey = this.#byKey.get(session.clientKey);
    if (ofKey?.delete(session) && ofKey.size === 0) this.#byKey.delete(session.clientKey);
    session.close(reason);
  }

  /** Closes idle sessions: idle for `sessionIdleMs`, or for a minute when making room. */
  expireIdle(isUnderPressure = false): void {
    const idleMs = isUnderPressure ? Math.min(60_000, this.#sessionIdleMs) : this.#sessionIdleMs;
    const cutoff = Date.now() - idleMs;
    for (const session of this.#sessions.values()) {
      const isBusy = session.inFlight.size > 0 || (session.standalone && !session.standalone.isClosed);
      if (!isBusy && session.lastActiveAt < cutoff) this.close(session, 'idle session expired');
    }
  }

  /** Stops the sweep and ends every session. */
  closeAll(reason: string): void {
    clearInterval(this.#sweep);
    for (const session of this.#sessions.values()) session.close(reason);
    this.#sessions.clear();
    this.#byKey.clear();
  }

  /**
   * Closes the least recently active session of `clientKey` that has no request in flight (its
   * GET stream, if any, ends with it); false when every one of them is answering a request.
   */
  #evictIdlest(clientKey: string, limit: SessionRefusal['limit']): boolean {
    let idlest: Session | undefined;
    for (const session of this.#byKey.get(clientKey) ?? []) {
      if (session.inFlight.size > 0) continue;
      if (idlest === undefined || session.lastActiveAt < idlest.lastActiveAt) idlest = session;
    }
    if (idlest === undefined) return false;
    this.#logger.info(
      { session: idlest.id, client: clientKey, limit },
      `closed the least recently active session of a client key to make room (supervisor.gateway.${limit})`,
    );
    this.close(
      idlest,
      `closed to make room for a newer session of the same client key (supervisor.gateway.${limit})`,
    );
    return true;
  }
}
