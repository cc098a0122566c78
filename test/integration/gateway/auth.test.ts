/**
 * Client keys at the gateway (`supervisor.gateway.auth: "keys"`, the default): `keys create` prints
 * the token once; no token or a wrong one → 401; a key scoped to one server used on another → 403;
 * `keys revoke` takes effect at once in the running supervisor; `keys list` shows the revocation.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  runCli,
  type SupervisorProcess,
  startSupervisorProcess,
  type TempHome,
  tempHome,
  testServers,
} from '../../helpers/index.ts';
import {
  type ConnectedClient,
  type CreatedKey,
  connectClient,
  createKey,
  mcpUrl,
  rawPost,
  stopAndCheck,
} from './helpers.ts';

const INITIALIZE = JSON.stringify({
  jsonrpc: '2.0',
  id: 0,
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
});

describe('gateway client keys', () => {
  let home: TempHome;
  let supervisor: SupervisorProcess;
  let everyServer: CreatedKey;
  let onlyA: CreatedKey;
  const clients: ConnectedClient[] = [];

  async function open(server: string | undefined, token: string) {
    const connected = await connectClient(mcpUrl(supervisor.port, server), { token });
    clients.push(connected);
    return connected.client;
  }

  beforeAll(async () => {
    home = await tempHome();
    supervisor = await startSupervisorProcess({
      home: home.path,
      // No `gateway.auth`: keys are the default.
      config: {
        mcpServers: {
          a: testServers.everythingStdio(home.path, 'a'),
          b: testServers.memory(home.path, 'b'),
        },
      },
    });
  });

  afterAll(async () => {
    for (const connected of clients) await connected.close();
    await stopAndCheck(supervisor, home);
  }, 120_000);

  it('`keys create NAME [--servers] --json` prints the token once and the key', async () => {
    everyServer = await createKey(home.path, 'every-server');
    onlyA = await createKey(home.path, 'only-a', ['a']);
    expect(everyServer.token).toMatch(/^mcps_/);
    expect(onlyA.token).toMatch(/^mcps_/);
    expect(onlyA.token).not.toBe(everyServer.token);
    expect(everyServer.key).toMatchObject({ id: expect.any(String), name: 'every-server', servers: null });
    expect(onlyA.key).toMatchObject({ id: expect.any(String), name: 'only-a', servers: ['a'] });
  });

  it('a request without a bearer token → 401 on every endpoint', async () => {
    for (const server of [undefined, 'a', 'b']) {
      const response = await rawPost(mcpUrl(supervisor.port, server), INITIALIZE);
      expect(response.status, server ?? '/mcp').toBe(401);
    }
  });

  it('a wrong token → 401', async () => {
    for (const token of ['mcps_not-a-real-key', `${everyServer.token}x`, 'garbage']) {
      const response = await rawPost(mcpUrl(supervisor.port, 'a'), INITIALIZE, {
        authorization: `Bearer ${token}`,
      });
      expect(response.status, token).toBe(401);
    }
  });

  it('a valid key reaches every server', async () => {
    const aggregated = await open(undefined, everyServer.token);
    const names = (await aggregated.listTools()).tools.map((t) => t.name);
    expect(names).toContain('a__echo');
    expect(names.some((name) => name.startsWith('b__'))).toBe(true);
    const result = await aggregated.callTool({ name: 'a__echo', arguments: { message: 'keyed' } });
    expect(result.content).toEqual([{ type: 'text', text: 'Echo: keyed' }]);
  });

  it('a key scoped to server a: /mcp/a works, /mcp/b → 403, /mcp shows only a', async () => {
    const perServer = await open('a', onlyA.token);
    expect((await perServer.callTool({ name: 'echo', arguments: { message: 'scoped' } })).content).toEqual([
      { type: 'text', text: 'Echo: scoped' },
    ]);
    const forbidden = await rawPost(mcpUrl(supervisor.port, 'b'), INITIALIZE, {
      authorization: `Bearer ${onlyA.token}`,
    });
    expect(forbidden.status).toBe(403);

    const aggregated = await open(undefined, onlyA.token);
    const names = (await aggregated.listTools()).tools.map((t) => t.name);
    expect(names).toContain('a__echo');
    expect(names.filter((name) => !name.startsWith('a__'))).toEqual([]);
  });

  it('`keys revoke NAME` → 401 at once in the running supervisor; `keys list` shows it revoked', async () => {
    // The key was verified (and cached) by the test before.
    const before = await rawPost(mcpUrl(supervisor.port, 'a'), INITIALIZE, {
      authorization: `Bearer ${onlyA.token}`,
    });
    expect(before.status).toBe(200);
    const revoked = await runCli(['keys', 'revoke', 'only-a'], { home: home.path });
    expect(revoked.code, revoked.stderr).toBe(0);
    const after = await rawPost(mcpUrl(supervisor.port, 'a'), INITIALIZE, {
      authorization: `Bearer ${onlyA.token}`,
    });
    expect(after.status).toBe(401);
    // The other key is untouched.
    const other = await rawPost(mcpUrl(supervisor.port, 'a'), INITIALIZE, {
      authorization: `Bearer ${everyServer.token}`,
    });
    expect(other.status).toBe(200);

    const listed = await runCli(['keys', 'list', '--json'], { home: home.path });
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).not.toContain(onlyA.token);
    const body = JSON.parse(listed.stdout) as unknown;
    const keys = (Array.isArray(body) ? body : (body as { keys: unknown[] }).keys) as {
      name: string;
      revokedAt?: number | null;
      revoked?: boolean;
    }[];
    const byName = (name: string) => keys.find((key) => key.name === name);
    const isRevoked = (key: (typeof keys)[number] | undefined) =>
      key !== undefined && (key.revoked === true || (typeof key.revokedAt === 'number' && key.revokedAt > 0));
    expect(isRevoked(byName('only-a')), listed.stdout).toBe(true);
    expect(isRevoked(byName('every-server')), listed.stdout).toBe(false);
  });
});
