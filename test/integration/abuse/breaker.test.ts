/**
 * Issue 9 item 2: one client must not open a server's circuit for every other client. Against a
 * real supervisor with two real servers (server-everything and the slow fixture) and client keys:
 *
 * - requests the gateway cannot encode (5 000-deep `arguments`) are the caller's error, answered
 *   at once as invalid params; the server never sees them and its circuit stays closed;
 * - a non-object `params._meta` (which SDK servers drop without an answer) is refused at the edge;
 * - one key's own timeouts open a circuit for that key only; the server's opens when timeouts
 *   come from several keys.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type SupervisorProcess,
  serverRow,
  startSupervisorProcess,
  type TempHome,
  tempHome,
  testServers,
} from '../../helpers/index.ts';
import { markers, slowServer, stopAndCheck } from '../gateway/helpers.ts';
import { type CreatedKey, createKey, nestedCallBody, RawSession, timed } from './helpers.ts';

const CONSECUTIVE_FAILURES = 5;

describe('abuse: one client cannot open the breaker for all (real supervisor, two keys)', () => {
  let home: TempHome;
  let supervisor: SupervisorProcess;
  let attacker: CreatedKey;
  let bystander: CreatedKey;
  let third: CreatedKey;
  const sessions: RawSession[] = [];
  const slowMarkers = () => path.join(home.path, 'slow.markers');

  async function session(server: string, key: CreatedKey): Promise<RawSession> {
    const opened = new RawSession(supervisor.port, server, key.token);
    const { status, body } = await opened.open();
    expect(status, JSON.stringify(body)).toBe(200);
    sessions.push(opened);
    return opened;
  }

  beforeAll(async () => {
    home = await tempHome();
    supervisor = await startSupervisorProcess({
      home: home.path,
      config: {
        mcpServers: {
          everything: testServers.everythingStdio(home.path, 'everything'),
          slow: slowServer(home.path, 'slow', path.join(home.path, 'slow.markers'), {
            limits: { requestTimeoutMs: 400 },
          }),
        },
      },
    });
    attacker = await createKey(supervisor, 'attacker', ['everything', 'slow']);
    bystander = await createKey(supervisor, 'bystander');
    third = await createKey(supervisor, 'third');
  });

  afterAll(async () => {
    for (const opened of sessions) await opened.close();
    await stopAndCheck(supervisor, home);
  }, 120_000);

  it('5 000-deep arguments: invalid params at once, the server untouched, its circuit closed for everyone', async () => {
    const pidBefore = serverRow(await supervisor.status(), 'everything').pid;
    const bad = await session('everything', attacker);
    const good = await session('everything', bystander);
    for (let n = 1; n <= CONSECUTIVE_FAILURES + 1; n++) {
      const body = nestedCallBody(n, 'echo', 5_000);
      expect(body.length).toBeGreaterThan(29_000);
      const { value, ms } = await timed(() => bad.post(body));
      expect(value.status, value.text).toBe(200);
      expect(value.body?.error?.code, value.text).toBe(-32602);
      expect(value.body?.error?.message).toMatch(/cannot be encoded|nested too deeply/);
      expect(ms, `answer ${n} took ${ms} ms`).toBeLessThan(2_000);
    }
    const answered = await good.callTool('echo', { message: 'still here' });
    expect(answered.body?.result, answered.text).toMatchObject({
      content: [{ type: 'text', text: 'Echo: still here' }],
    });
    const row = serverRow(await supervisor.status(), 'everything');
    expect(row.breaker ?? 'closed').toBe('closed');
    expect(row.pid).toBe(pidBefore);
  });

  it('a non-object params._meta is refused at the edge; the circuit stays closed', async () => {
    const bad = await session('everything', attacker);
    const good = await session('everything', bystander);
    for (const meta of ['x', 42, ['array'], null]) {
      const { value, ms } = await timed(() =>
        bad.request('tools/call', { name: 'echo', arguments: { message: 'm' }, _meta: meta }),
      );
      expect(value.status, value.text).toBe(400);
      expect(value.body?.error?.code).toBe(-32600);
      expect(value.body?.error?.message).toMatch(/_meta/);
      expect(ms).toBeLessThan(2_000);
    }
    for (let n = 0; n < CONSECUTIVE_FAILURES; n++) {
      const refused = await bad.request('tools/call', { name: 'echo', arguments: {}, _meta: 'x' });
      expect(refused.status).toBe(400);
    }
    const answered = await good.callTool('echo', { message: 'meta' });
    expect(answered.body?.result, answered.text).toBeDefined();
    expect(serverRow(await supervisor.status(), 'everything').breaker ?? 'closed').toBe('closed');
  });

  it("one key's own timeouts open a circuit for that key only; the other key is still served", async () => {
    const bad = await session('slow', attacker);
    const good = await session('slow', bystander);
    for (let n = 1; n <= CONSECUTIVE_FAILURES; n++) {
      const timedOut = await bad.callTool('slow', { ms: 5_000, tag: `a${n}` });
      expect(timedOut.body?.error?.code, timedOut.text).toBe(-32013);
    }
    // The attacker's next call is refused without reaching the server...
    const refused = await bad.callTool('slow', { ms: 10, tag: 'a-refused' });
    expect(refused.body?.error?.code, refused.text).toBe(-32012);
    expect(refused.body?.error?.data).toMatchObject({ server: 'slow', reason: 'circuit_open' });
    expect(refused.body?.error?.message).toContain(`requests of client ${attacker.key.id} to server "slow"`);
    // ...while the bystander is served, and the server's own circuit is closed.
    const served = await good.callTool('slow', { ms: 10, tag: 'b-served' });
    expect(served.body?.result, served.text).toBeDefined();
    expect(serverRow(await supervisor.status(), 'slow').breaker ?? 'closed').toBe('closed');
    expect(await markers(slowMarkers())).not.toContain('start a-refused');
  });

  it("timeouts seen by two keys open the server's circuit for every key", async () => {
    const one = await session('slow', bystander);
    const two = await session('slow', third);
    for (let n = 1; n <= CONSECUTIVE_FAILURES; n++) {
      const caller = n % 2 === 0 ? one : two;
      const timedOut = await caller.callTool('slow', { ms: 5_000, tag: `c${n}` });
      expect(timedOut.body?.error?.code, `call ${n}: ${timedOut.text}`).toBe(-32013);
    }
    expect(serverRow(await supervisor.status(), 'slow').breaker).toBe('open');
    for (const caller of [one, two]) {
      const refused = await caller.callTool('slow', { ms: 10, tag: 'c-refused' });
      expect(refused.body?.error?.code, refused.text).toBe(-32012);
      expect(refused.body?.error?.message).toMatch(/server "slow" is failing/);
    }
  });
});
