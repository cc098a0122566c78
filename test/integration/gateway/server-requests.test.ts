/**
 * Who answers a server's roots/list (issue 9 item 1): only a session whose key may use that
 * server and that has a request in flight on it, or, for roots, the client that announced its
 * roots to that server; never a session scoped to another server, never a dead one, never the
 * previous client, and never a list the gateway makes up.
 *
 * Real supervisor, client keys, two server-everything instances (SDK v1: they ask for roots after
 * `initialized` and on `notifications/roots/list_changed`, and cache the answer per session) and
 * the dual-era fixture (its `roots` tool asks on every call).
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ListRootsRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type SupervisorProcess,
  sleep,
  startSupervisorProcess,
  type TempHome,
  tempHome,
  testServerEnv,
  testServers,
} from '../../helpers/index.ts';
import {
  type ConnectedClient,
  type CreatedKey,
  connectClient,
  createKey,
  mcpUrl,
  stopAndCheck,
  textOf,
  within,
} from './helpers.ts';

const FIXTURE = path.join(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/dual-era-server.ts');

describe('server→client roots go only to the client they belong to', () => {
  let home: TempHome;
  let supervisor: SupervisorProcess;
  let all: CreatedKey;
  let onlyB: CreatedKey;
  const clients: ConnectedClient[] = [];

  /** What a roots call of `client` came back with: its text, or its error. */
  function rootsOutcome(client: ConnectedClient['client'], what: string): Promise<string> {
    return within(
      client.callTool({ name: 'roots', arguments: {} }).then(
        (result) => textOf(result),
        (error: unknown) => String(error),
      ),
      15_000,
      what,
    );
  }

  /** A client whose roots/list handler answers `secret` and counts the requests it got. */
  async function rootsClient(server: string | undefined, token: string, secret: string) {
    const connected = await connectClient(mcpUrl(supervisor.port, server), {
      token,
      capabilities: { roots: { listChanged: true } },
      name: secret,
    });
    clients.push(connected);
    let asked = 0;
    connected.client.setRequestHandler(ListRootsRequestSchema, async () => {
      asked += 1;
      return { roots: [{ uri: `file:///${secret}`, name: secret }] };
    });
    // The SDK opens the GET stream after `initialized`; give it a moment to be there.
    await sleep(500);
    return { ...connected, asked: () => asked };
  }

  async function plainClient(server: string | undefined, token: string) {
    const connected = await connectClient(mcpUrl(supervisor.port, server), { token });
    clients.push(connected);
    return connected;
  }

  beforeAll(async () => {
    home = await tempHome();
    supervisor = await startSupervisorProcess({
      home: home.path,
      config: {
        mcpServers: {
          a: testServers.everythingStdio(home.path, 'a'),
          b: testServers.everythingStdio(home.path, 'b'),
          fx: { command: process.execPath, args: [FIXTURE, 'stdio'], env: testServerEnv(home.path, 'fx') },
        },
      },
    });
    all = await createKey(home.path, 'all');
    onlyB = await createKey(home.path, 'only-b', ['b']);
    // server-everything asks for roots 350 ms after `initialized`, when no client is there yet.
    await sleep(1_000);
  });

  afterAll(async () => {
    for (const connected of clients) await connected.close();
    await stopAndCheck(supervisor, home);
  }, 120_000);

  it('a key scoped to b, on /mcp, announcing its roots: b gets them, a never asks it', async () => {
    const scoped = await rootsClient(undefined, onlyB.token, 'secret-of-b');
    await scoped.client.sendRootsListChanged();
    await expect.poll(() => scoped.asked(), { timeout: 10_000 }).toBeGreaterThanOrEqual(1);
    // Give a second request (a's, if it were sent there) time to arrive.
    await sleep(1_000);
    expect(scoped.asked()).toBe(1);

    // b holds the scoped client's roots; a does not.
    const viaB = await scoped.client.callTool({ name: 'b__get-roots-list', arguments: {} });
    expect(textOf(viaB)).toContain('secret-of-b');
    const owner = await plainClient('a', all.token);
    const viaA = await within(
      owner.client.callTool({ name: 'get-roots-list', arguments: {} }),
      15_000,
      "a's get-roots-list",
    );
    expect(textOf(viaA)).not.toContain('secret-of-b');
  });

  it("a client without roots gets no other client's roots (the fixture asks on every call)", async () => {
    const bystander = await rootsClient('fx', all.token, 'secret-of-the-bystander');
    const caller = await plainClient('fx', all.token);
    const outcome = await rootsOutcome(caller.client, 'the roots call of a client without roots');
    expect(outcome).not.toContain('secret-of-the-bystander');
    expect(bystander.asked()).toBe(0);
  });

  it('a client gone without DELETE is never asked, and nothing is made up', async () => {
    const gone = await rootsClient('fx', all.token, 'secret-of-the-gone');
    // Closing the transport ends the GET stream without terminating the session.
    await gone.transport.close();
    const caller = await plainClient('fx', all.token);
    const outcome = await rootsOutcome(caller.client, 'the roots call after a client went away');
    expect(outcome).not.toContain('secret-of-the-gone');
    expect(gone.asked()).toBe(0);
  });

  it('the client whose request is in flight answers, with its own roots', async () => {
    const caller = await rootsClient('fx', all.token, 'secret-of-the-caller');
    const result = await within(
      caller.client.callTool({ name: 'roots', arguments: {} }),
      15_000,
      'the roots call of a client with roots',
    );
    expect(textOf(result)).toBe('file:///secret-of-the-caller');
    expect(caller.asked()).toBe(1);
  });
});
