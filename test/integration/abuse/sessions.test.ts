/**
 * Issue 9 item 2b: one key must not take every session. A key scoped to one server opens far more
 * sessions than its share and keeps them all busy with pings; every other key can still open
 * sessions, and the hog is told which bound it hit.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type SupervisorProcess,
  startSupervisorProcess,
  type TempHome,
  tempHome,
} from '../../helpers/index.ts';
import { slowServer, stopAndCheck } from '../gateway/helpers.ts';
import { type CreatedKey, createKey, RawSession } from './helpers.ts';

const MAX_SESSIONS = 8;
const SHARE = 2; // a quarter of MAX_SESSIONS, the default

describe('abuse: one key hogging sessions (real supervisor)', () => {
  let home: TempHome;
  let supervisor: SupervisorProcess;
  let hog: CreatedKey;
  const sessions: RawSession[] = [];

  async function openSession(server: string, key: CreatedKey) {
    const session = new RawSession(supervisor.port, server, key.token);
    const opened = await session.open();
    if (opened.status === 200) sessions.push(session);
    return { session, ...opened };
  }

  beforeAll(async () => {
    home = await tempHome();
    const fixture = (name: string) => slowServer(home.path, name, path.join(home.path, `${name}.markers`));
    supervisor = await startSupervisorProcess({
      home: home.path,
      config: {
        mcpServers: { one: fixture('one'), two: fixture('two') },
        supervisor: { gateway: { maxSessions: MAX_SESSIONS } },
      },
    });
    hog = await createKey(supervisor, 'hog', ['one']);
  });

  afterAll(async () => {
    for (const session of sessions) await session.close();
    await stopAndCheck(supervisor, home);
  }, 120_000);

  it('the hog never holds more than its share, however many it opens and pings', async () => {
    const opened: RawSession[] = [];
    for (let n = 0; n < MAX_SESSIONS * 3; n++) {
      const { session, status, body } = await openSession('one', hog);
      expect(status, JSON.stringify(body)).toBe(200);
      opened.push(session);
      // Pinging keeps every session of the hog active.
      for (const live of opened.slice(-SHARE)) expect((await live.request('ping')).status).toBe(200);
    }
    // Its older sessions were closed to make room for its newer ones.
    const alive = [];
    for (const session of opened) if ((await session.request('ping')).status === 200) alive.push(session);
    expect(alive).toHaveLength(SHARE);
    expect(alive).toEqual(opened.slice(-SHARE));
  });

  it('every other key can still open sessions', async () => {
    for (let n = 0; n < MAX_SESSIONS - SHARE; n++) {
      const key = await createKey(supervisor, `client-${n}`);
      const { status, body } = await openSession(n % 2 === 0 ? 'one' : 'two', key);
      expect(status, `client ${n}: ${JSON.stringify(body)}`).toBe(200);
    }
  });

  it('a hog whose sessions are all answering gets 503 with Retry-After naming its share', async () => {
    const busy: RawSession[] = [];
    for (let n = 0; n < SHARE; n++) busy.push((await openSession('one', hog)).session);
    const calls = busy.map((session) => session.callTool('slow', { ms: 3_000, tag: 'hold' }));
    // Give the calls time to reach the server (they hold their sessions busy).
    await new Promise((resolve) => setTimeout(resolve, 500));
    const refused = await openSession('one', hog);
    expect(refused.status).toBe(503);
    expect(refused.retryAfter).toBe('5');
    expect(refused.body?.error?.message).toMatch(/client key "hog" has 2 sessions.*maxSessionsPerKey/);
    for (const call of await Promise.all(calls)) expect(call.body?.result).toBeDefined();
  });
});
