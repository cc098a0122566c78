import { afterEach, describe, expect, it } from 'vitest';
import { Session } from '../../../supervisor/gateway/session.ts';
import { defaultSessionsPerKey, SessionRegistry } from '../../../supervisor/gateway/sessions.ts';
import { silentLogger } from '../../../supervisor/shared/logger.ts';

function newSession(clientKey?: string): Session {
  return new Session({
    server: undefined,
    clientKey,
    scope: undefined,
    clientInfo: { name: 't', version: '1' },
    capabilities: {},
    protocolVersion: '2025-06-18',
  });
}

const registries: SessionRegistry[] = [];
function registry(
  maxSessions: number,
  sessionIdleMs = 30 * 60_000,
  maxSessionsPerKey?: number,
): SessionRegistry {
  const sessions = new SessionRegistry({
    maxSessions,
    maxSessionsPerKey,
    sessionIdleMs,
    logger: silentLogger,
  });
  registries.push(sessions);
  return sessions;
}

afterEach(() => {
  for (const sessions of registries.splice(0)) sessions.closeAll('test over');
});

describe('SessionRegistry', () => {
  it('is full at maxSessions; a session idle for a minute makes room, a busy one does not', () => {
    const sessions = registry(2);
    const idle = newSession();
    const busy = newSession();
    sessions.add(idle);
    sessions.add(busy);
    expect(sessions.admit(undefined)).toEqual({ limit: 'maxSessions', max: 2, retryAfterSeconds: 5 });
    idle.lastActiveAt = Date.now() - 61_000;
    busy.lastActiveAt = Date.now() - 61_000;
    busy.inFlight.set(1, { id: 1, method: 'tools/call', abort: new AbortController(), startedAt: 0 });
    expect(sessions.admit(undefined)).toBeUndefined();
    expect(idle.isClosed).toBe(true);
    expect(busy.isClosed).toBe(false);
    expect(sessions.get(idle.id)).toBeUndefined();
    expect(sessions.size).toBe(1);
  });

  it('expires a session idle for sessionIdleMs, and keeps a recent one', () => {
    const sessions = registry(10, 5_000);
    const old = newSession();
    const recent = newSession();
    old.lastActiveAt = Date.now() - 6_000;
    sessions.add(old);
    sessions.add(recent);
    sessions.expireIdle();
    expect(old.isClosed).toBe(true);
    expect(recent.isClosed).toBe(false);
  });

  it('closeAll ends every session and aborts what is in flight', () => {
    const sessions = registry(10);
    const session = newSession();
    const abort = new AbortController();
    session.inFlight.set(1, { id: 1, method: 'tools/call', abort, startedAt: 0 });
    sessions.add(session);
    sessions.closeAll('stopping');
    expect(session.isClosed).toBe(true);
    expect(abort.signal.aborted).toBe(true);
    expect(sessions.size).toBe(0);
  });
});

const busy = (session: Session) =>
  session.inFlight.set(1, { id: 1, method: 'ping', abort: new AbortController(), startedAt: 0 });

/** Opens a session for `clientKey` the way the transport does: admit, then add. */
function open(sessions: SessionRegistry, clientKey?: string): Session {
  expect(sessions.admit(clientKey)).toBeUndefined();
  const session = newSession(clientKey);
  sessions.add(session);
  return session;
}

// Issue 9 item 2b: the cap was global; one key held all 50 sessions by pinging them.
describe('SessionRegistry: a share per client key', () => {
  it('defaults the share to a quarter of maxSessions, at least one, never above maxSessions', () => {
    expect(defaultSessionsPerKey(1_000)).toBe(250);
    expect(defaultSessionsPerKey(50)).toBe(13);
    expect(defaultSessionsPerKey(1)).toBe(1);
    expect(registry(50).maxSessionsPerKey).toBe(13);
    expect(registry(10, undefined, 40).maxSessionsPerKey).toBe(10);
  });

  it("a key at its share closes its own least recently active session, never another key's", () => {
    const sessions = registry(10, undefined, 3);
    const other = open(sessions, 'other');
    other.lastActiveAt = Date.now() - 3_600_000;
    const mine = [open(sessions, 'hog'), open(sessions, 'hog'), open(sessions, 'hog')];
    mine[0]!.lastActiveAt = Date.now() - 1_000;
    mine[1]!.lastActiveAt = Date.now() - 5_000;
    const fourth = open(sessions, 'hog');
    expect(mine[1]!.isClosed).toBe(true);
    expect(mine[0]!.isClosed).toBe(false);
    expect(other.isClosed).toBe(false);
    expect(sessions.countOf('hog')).toBe(3);
    expect(sessions.get(fourth.id)).toBe(fourth);
  });

  it('refuses a key whose sessions all have a request in flight, naming the per-key bound', () => {
    const sessions = registry(10, undefined, 2);
    for (const session of [open(sessions, 'hog'), open(sessions, 'hog')]) busy(session);
    expect(sessions.admit('hog')).toEqual({ limit: 'maxSessionsPerKey', max: 2, retryAfterSeconds: 5 });
    expect(sessions.admit('other')).toBeUndefined();
  });

  it('keeps room for other keys when one key pings all its sessions', () => {
    const sessions = registry(8);
    // The hog keeps every session active and keeps opening new ones.
    for (let i = 0; i < 20; i++) open(sessions, 'hog').lastActiveAt = Date.now();
    expect(sessions.countOf('hog')).toBe(2);
    for (const key of ['a', 'b', 'c']) open(sessions, key);
    expect(sessions.size).toBe(5);
  });

  it("a full registry makes room by closing the asking key's own idlest session", () => {
    const sessions = registry(3, undefined, 3);
    const a = open(sessions, 'a');
    open(sessions, 'b');
    open(sessions, 'b');
    // Nothing is idle for a minute; the new session of `a` replaces a's own, not b's.
    open(sessions, 'a');
    expect(a.isClosed).toBe(true);
    expect(sessions.countOf('b')).toBe(2);
    // A key with no session of its own is refused, naming the global bound.
    expect(sessions.admit('c')).toEqual({ limit: 'maxSessions', max: 3, retryAfterSeconds: 5 });
  });

  it('forgets a key when its last session closes', () => {
    const sessions = registry(4);
    const session = open(sessions, 'k');
    sessions.close(session, 'done');
    expect(sessions.countOf('k')).toBe(0);
  });
});
