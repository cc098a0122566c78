import { afterEach, describe, expect, it } from 'vitest';
import { Session } from '../../../supervisor/gateway/session.ts';
import { SessionRegistry } from '../../../supervisor/gateway/sessions.ts';
import { silentLogger } from '../../../supervisor/shared/logger.ts';

function newSession(): Session {
  return new Session({
    server: undefined,
    clientKey: undefined,
    scope: undefined,
    clientInfo: { name: 't', version: '1' },
    capabilities: {},
    protocolVersion: '2025-06-18',
  });
}

const registries: SessionRegistry[] = [];
function registry(maxSessions: number, sessionIdleMs = 30 * 60_000): SessionRegistry {
  const sessions = new SessionRegistry({ maxSessions, sessionIdleMs, logger: silentLogger });
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
    expect(sessions.hasRoom()).toBe(false);
    idle.lastActiveAt = Date.now() - 61_000;
    busy.lastActiveAt = Date.now() - 61_000;
    busy.inFlight.set(1, { id: 1, method: 'tools/call', abort: new AbortController(), startedAt: 0 });
    expect(sessions.hasRoom()).toBe(true);
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
