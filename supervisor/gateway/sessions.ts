import type { Logger } from '../shared/logger.ts';
import type { Session } from './session.ts';

/**
 * The gateway's open sessions: the registry, its bound (`maxSessions`), and the expiry of idle
 * ones (no request in flight, no GET stream open, nothing for `sessionIdleMs`). A sweep runs
 * every minute (or every `sessionIdleMs`, if shorter); when the registry is full, sessions idle
 * for a minute already make room for a new one.
 */
export class SessionRegistry {
  readonly #sessions = new Map<string, Session>();
  readonly #maxSessions: number;
  readonly #sessionIdleMs: number;
  readonly #logger: Logger;
  readonly #sweep: NodeJS.Timeout;

  constructor(options: { maxSessions: number; sessionIdleMs: number; logger: Logger }) {
    this.#maxSessions = options.maxSessions;
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

  get(id: string): Session | undefined {
    return this.#sessions.get(id);
  }

  values(): IterableIterator<Session> {
    return this.#sessions.values();
  }

  /** Whether a new session fits, after expiring sessions idle for a minute if it is full. */
  hasRoom(): boolean {
    if (this.#sessions.size >= this.#maxSessions) this.expireIdle(true);
    return this.#sessions.size < this.#maxSessions;
  }

  add(session: Session): void {
    this.#sessions.set(session.id, session);
    this.#logger.debug(
      { session: session.id, server: session.server, client: session.clientInfo?.name },
      'MCP session opened',
    );
  }

  /** Ends a session: answers its requests and client requests, closes its streams. */
  close(session: Session, reason: string): void {
    this.#sessions.delete(session.id);
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
  }
}
