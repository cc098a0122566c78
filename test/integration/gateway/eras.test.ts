/**
 * Any client reaches any server (issue 12): SDK v2 clients of both revisions — pinned to
 * 2026-07-28, and the plain 2025 handshake — through a real supervisor's gateway to servers of
 * both SDKs, over stdio and Streamable HTTP: server-everything (SDK v1, 2025 only) and the
 * dual-era fixture (SDK v2, spoken to in 2026-07-28 by the gateway). Tools, resources, prompts,
 * completion, progress, cancellation, sampling / elicitation / roots (MRTR rounds for a 2026
 * client, server→client requests for a 2025 one, in both directions of the translation),
 * resource subscriptions, and the tool list filtered by the client's capabilities.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  freePort,
  type SupervisorProcess,
  sleep,
  startSupervisorProcess,
  type TempHome,
  tempHome,
  testServerEnv,
  testServers,
} from '../../helpers/index.ts';
import { markers, mcpUrl, stopAndCheck, textOf, waitForMarker, within } from './helpers.ts';

const FIXTURE = path.join(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/dual-era-server.ts');
const ALL_CAPABILITIES = { sampling: {}, elicitation: {}, roots: { listChanged: true } };

type Era = 'modern' | 'legacy';

interface EraClient {
  client: Client;
  asked: string[];
  close(): Promise<void>;
}

/** A v2 client of `era` on `url`, answering sampling, elicitation and roots when it declares them. */
async function eraClient(
  url: URL,
  era: Era,
  capabilities: Record<string, unknown> = ALL_CAPABILITIES,
): Promise<EraClient> {
  const client = new Client(
    { name: `era-${era}`, version: '1.0.0' },
    {
      capabilities,
      versionNegotiation: era === 'modern' ? { mode: { pin: '2026-07-28' } } : { mode: 'legacy' },
    },
  );
  const asked: string[] = [];
  if (capabilities.sampling)
    client.setRequestHandler('sampling/createMessage', async () => {
      asked.push('sampling');
      return {
        model: 'test-model',
        role: 'assistant',
        content: { type: 'text', text: 'sampled by the test' },
      };
    });
  if (capabilities.elicitation)
    client.setRequestHandler('elicitation/create', async () => {
      asked.push('elicitation');
      return { action: 'accept', content: { name: 'zoe' } };
    });
  if (capabilities.roots)
    client.setRequestHandler('roots/list', async () => {
      asked.push('roots');
      return { roots: [{ uri: `file:///roots-of-${era}`, name: era }] };
    });
  const transport = new StreamableHTTPClientTransport(url);
  await client.connect(transport);
  expect(client.getProtocolEra()).toBe(era);
  return {
    client,
    asked,
    close: async () => {
      if (era === 'legacy') await transport.terminateSession().catch(() => {});
      await client.close().catch(() => {});
    },
  };
}

/**
 * Subscribes to `uri` as the client's revision does it: a `subscriptions/listen` stream (2026), or
 * `resources/subscribe` on the session, whose GET stream opens after `initialized` (2025).
 */
async function subscribe(
  client: Client,
  era: Era,
  uri: string,
): Promise<{ close(): Promise<void> } | undefined> {
  if (era === 'modern') return client.listen({ resourceSubscriptions: [uri] });
  await client.subscribeResource({ uri });
  await sleep(300);
  return undefined;
}

/** What each server family offers for the same kind of check. */
interface Surface {
  /** Tool names every client sees, and how many the gateway's own session sees. */
  plainTools: number;
  allTools: number;
  echo: { name: string; arguments: Record<string, unknown>; expected: string };
  progress: { name: string; arguments: Record<string, unknown>; steps: number };
  prompt: { name: string; arguments: Record<string, string> };
  completion: {
    ref: { type: 'ref/prompt'; name: string };
    argument: { name: string; value: string };
    expected: string;
  };
  sampling: { name: string; arguments: Record<string, unknown>; expected: RegExp };
  elicitation: { name: string; expected: RegExp };
  roots: { name: string };
}

const V1: Surface = {
  plainTools: 13,
  allTools: 16,
  echo: { name: 'echo', arguments: { message: 'hi' }, expected: 'Echo: hi' },
  progress: { name: 'trigger-long-running-operation', arguments: { duration: 0.3, steps: 3 }, steps: 3 },
  prompt: { name: 'simple-prompt', arguments: {} },
  completion: {
    ref: { type: 'ref/prompt', name: 'completable-prompt' },
    argument: { name: 'department', value: 'Eng' },
    expected: 'Engineering',
  },
  sampling: {
    name: 'trigger-sampling-request',
    arguments: { prompt: 'marco', maxTokens: 10 },
    expected: /sampled by the test/,
  },
  elicitation: { name: 'trigger-elicitation-request', expected: /zoe/ },
  roots: { name: 'get-roots-list' },
};

const V2: Surface = {
  plainTools: 8,
  allTools: 8,
  echo: { name: 'echo', arguments: { text: 'hi' }, expected: 'hi' },
  progress: { name: 'progress', arguments: { steps: 3 }, steps: 3 },
  prompt: { name: 'greet', arguments: { name: 'bob' } },
  completion: {
    ref: { type: 'ref/prompt', name: 'greet' },
    argument: { name: 'name', value: 'a' },
    expected: 'alice',
  },
  sampling: { name: 'sample', arguments: { prompt: 'marco' }, expected: /llm said: sampled by the test/ },
  elicitation: { name: 'ask', expected: /hello zoe/ },
  roots: { name: 'roots' },
};

const SERVERS = [
  { server: 'ev', title: 'server-everything (SDK v1) over stdio', surface: V1 },
  { server: 'evh', title: 'server-everything (SDK v1) over Streamable HTTP', surface: V1 },
  { server: 'fx', title: 'the dual-era fixture (SDK v2) over stdio', surface: V2 },
  { server: 'fxh', title: 'the dual-era fixture (SDK v2) over Streamable HTTP', surface: V2 },
] as const;

describe('clients of both revisions, servers of both SDKs, through the gateway', () => {
  let home: TempHome;
  let supervisor: SupervisorProcess;
  let marker: string;
  const clients: EraClient[] = [];

  async function open(server: string | undefined, era: Era, capabilities?: Record<string, unknown>) {
    const connected = await eraClient(mcpUrl(supervisor.port, server), era, capabilities);
    clients.push(connected);
    return connected;
  }

  beforeAll(async () => {
    home = await tempHome();
    marker = path.join(home.path, 'markers.log');
    const fixture = (name: string, extra: object = {}) => ({
      command: process.execPath,
      args: [FIXTURE, 'stdio'],
      env: { ...testServerEnv(home.path, name), MARKER_FILE: marker },
      ...extra,
    });
    const httpPort = await freePort();
    supervisor = await startSupervisorProcess({
      home: home.path,
      config: {
        mcpServers: {
          ev: testServers.everythingStdio(home.path, 'ev'),
          evh: testServers.everythingHttp(home.path, 'evh', await freePort()),
          fx: fixture('fx'),
          fxh: fixture('fxh', {
            args: [FIXTURE, 'http'],
            url: `http://127.0.0.1:${httpPort}/mcp`,
            env: { ...testServerEnv(home.path, 'fxh'), MARKER_FILE: marker, PORT: String(httpPort) },
          }),
        },
        supervisor: { gateway: { auth: 'none' } },
      },
    });
  }, 120_000);

  afterAll(async () => {
    for (const connected of clients) await connected.close();
    await stopAndCheck(supervisor, home);
  }, 120_000);

  it('speaks 2026-07-28 to the v2 fixture, with each client’s own capabilities, whatever the client’s revision', async () => {
    for (const server of ['fx', 'fxh']) {
      for (const era of ['modern', 'legacy'] as const) {
        const { client } = await open(server, era, { sampling: {} });
        await client.callTool({ name: 'echo', arguments: { text: `${server}-${era}` } });
      }
    }
    const seen = (await markers(marker)).filter((line) => line.startsWith('echo:'));
    // Four calls, every one in 2026-07-28 with the caller's capabilities, not the gateway's.
    expect(seen).toEqual(Array(4).fill('echo:2026-07-28:sampling'));
  });

  describe.each(['modern', 'legacy'] as const)('a %s client', (era) => {
    describe.each(SERVERS)('on /mcp/$server: $title', ({ server, surface }) => {
      it('lists tools by its capabilities and calls one', async () => {
        const plain = await open(server, era, {});
        expect((await plain.client.listTools()).tools).toHaveLength(surface.plainTools);
        const capable = await open(server, era);
        const { tools } = await capable.client.listTools();
        expect(tools).toHaveLength(surface.allTools);
        const result = await capable.client.callTool({
          name: surface.echo.name,
          arguments: surface.echo.arguments,
        });
        expect(textOf(result)).toBe(surface.echo.expected);
      });

      it('lists and reads resources, gets a prompt, completes an argument', async () => {
        const { client } = await open(server, era);
        const { resources } = await client.listResources();
        expect(resources.length).toBeGreaterThan(0);
        const read = await client.readResource({ uri: resources[0]!.uri });
        expect(read.contents[0]?.uri).toBe(resources[0]!.uri);
        const prompt = await client.getPrompt({
          name: surface.prompt.name,
          arguments: surface.prompt.arguments,
        });
        expect(prompt.messages.length).toBeGreaterThan(0);
        const completion = await client.complete({
          ref: surface.completion.ref,
          argument: surface.completion.argument,
        });
        expect(completion.completion.values).toContain(surface.completion.expected);
      });

      it('receives progress on the call that asked', async () => {
        const { client } = await open(server, era);
        const seen: number[] = [];
        await client.callTool(
          { name: surface.progress.name, arguments: surface.progress.arguments },
          { onprogress: (progress) => seen.push(progress.progress) },
        );
        expect(seen).toEqual([1, 2, 3].slice(0, surface.progress.steps));
      });

      it('answers sampling, elicitation and roots of a call in flight (MRTR rounds for 2026 clients)', async () => {
        const connected = await open(server, era);
        const sampled = await within(
          connected.client.callTool({ name: surface.sampling.name, arguments: surface.sampling.arguments }),
          15_000,
          'the sampling call',
        );
        expect(textOf(sampled)).toMatch(surface.sampling.expected);
        const elicited = await within(
          connected.client.callTool({ name: surface.elicitation.name, arguments: {} }),
          15_000,
          'the elicitation call',
        );
        expect(textOf(elicited)).toMatch(surface.elicitation.expected);
        const roots = await within(
          connected.client.callTool({ name: surface.roots.name, arguments: {} }),
          15_000,
          'the roots call',
        );
        // server-everything keeps the first roots it got for its one session; the fixture asks anew.
        expect(textOf(roots)).toMatch(/file:\/\/\/roots-of-/);
        expect(connected.asked).toEqual(expect.arrayContaining(['sampling', 'elicitation']));
      });
    });

    it.each(['fx', 'fxh'])('cancels a call on /mcp/%s upstream', async (server) => {
      const { client } = await open(server, era);
      const before = (await markers(marker)).filter((line) => line === 'slow:cancelled').length;
      const abort = new AbortController();
      const call = client
        .callTool({ name: 'slow', arguments: { ms: 30_000 } }, { signal: abort.signal })
        .catch((error: unknown) => error);
      await waitForMarker(marker, 'slow:start');
      await sleep(200);
      abort.abort(new Error('the test gave up'));
      await within(call, 5_000, 'the aborted call');
      await expect
        .poll(async () => (await markers(marker)).filter((line) => line === 'slow:cancelled').length, {
          timeout: 10_000,
        })
        .toBeGreaterThan(before);
    });

    it.each(['fx', 'fxh'])('hears resource updates it subscribed to on /mcp/%s', async (server) => {
      const { client } = await open(server, era);
      const updated: string[] = [];
      client.setNotificationHandler('notifications/resources/updated', (notification) => {
        updated.push(notification.params.uri);
      });
      const subscription = await subscribe(client, era, 'fixture://counter');
      await client.callTool({ name: 'bump', arguments: {} });
      await expect.poll(() => updated, { timeout: 10_000 }).toContain('fixture://counter');
      await subscription?.close();
    });

    it('hears resource updates of a 2025 server it subscribed to (server-everything)', async () => {
      const { client } = await open('ev', era);
      const { resources } = await client.listResources();
      const uri = resources[0]!.uri;
      const updated: string[] = [];
      client.setNotificationHandler('notifications/resources/updated', (notification) => {
        updated.push(notification.params.uri);
      });
      const subscription = await subscribe(client, era, uri);
      // server-everything sends an update at once when its simulated updates are switched on.
      await client.callTool({ name: 'toggle-subscriber-updates', arguments: {} });
      try {
        await expect.poll(() => updated, { timeout: 10_000 }).toContain(uri);
      } finally {
        await client.callTool({ name: 'toggle-subscriber-updates', arguments: {} });
        await subscription?.close();
        if (era === 'legacy') await client.unsubscribeResource({ uri });
      }
    });

    it('on /mcp: aggregated names, capability-filtered, MRTR to both SDKs', async () => {
      const plain = await open(undefined, era, {});
      const plainNames = (await plain.client.listTools()).tools.map((tool) => tool.name);
      expect(plainNames).toContain('fx__ask');
      expect(plainNames).not.toContain('ev__get-roots-list');
      const capable = await open(undefined, era);
      const names = (await capable.client.listTools()).tools.map((tool) => tool.name);
      expect(names).toContain('ev__get-roots-list');
      const asked = await capable.client.callTool({ name: 'fx__ask', arguments: {} });
      expect(textOf(asked)).toMatch(/hello zoe/);
      const sampled = await capable.client.callTool({
        name: 'ev__trigger-sampling-request',
        arguments: { prompt: 'polo', maxTokens: 10 },
      });
      expect(textOf(sampled)).toMatch(/sampled by the test/);
    });
  });
});
