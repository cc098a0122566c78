/**
 * Real SDK clients through the gateway of a real supervisor (CLI child, private PM2, real servers):
 * tool calls on `/mcp/<server>` and `/mcp`, tool filters, progress, cancellation (abort and
 * disconnect), a server restart or exit mid-call, and server→client sampling.
 */
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import {
  CreateMessageRequestSchema,
  type Progress,
  ToolListChangedNotificationSchema,
} from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  runCli,
  SERVER_EVERYTHING,
  type SupervisorProcess,
  sleep,
  startSupervisorProcess,
  type TempHome,
  tempHome,
  testServers,
} from '../../helpers/index.ts';
import {
  type ConnectedClient,
  connectClient,
  markers,
  mcpErrorOf,
  mcpHeaders,
  mcpUrl,
  type RawRpcBody,
  rawInitialize,
  slowServer,
  sseMessages,
  stopAndCheck,
  textOf,
  waitForMarker,
  within,
} from './helpers.ts';

const RESTART = { maxRestarts: 10, backoffMs: 50, maxBackoffMs: 500, minUptimeMs: 500, killTimeoutMs: 2_000 };
const AGGREGATED_NAME = /^[A-Za-z0-9_-]+$/;

describe('gateway forwarding (real supervisor, real servers)', () => {
  let home: TempHome;
  let supervisor: SupervisorProcess;
  let marker: string;
  const clients: ConnectedClient[] = [];

  async function open(server: string | undefined, options: Parameters<typeof connectClient>[1] = {}) {
    const connected = await connectClient(mcpUrl(supervisor.port, server), options);
    clients.push(connected);
    return connected;
  }

  beforeAll(async () => {
    home = await tempHome();
    marker = path.join(home.path, 'markers.log');
    supervisor = await startSupervisorProcess({
      home: home.path,
      config: {
        mcpServers: {
          everything: testServers.everythingStdio(home.path, 'everything'),
          filtered: {
            ...testServers.everythingStdio(home.path, 'filtered'),
            tools: { allow: ['echo', 'get-*'], deny: ['get-env'] },
          },
          slow: slowServer(home.path, 'slow', marker),
        },
        supervisor: { restart: RESTART, gateway: { auth: 'none' } },
      },
    });
  });

  afterAll(async () => {
    for (const connected of clients) await connected.close();
    await stopAndCheck(supervisor, home);
  }, 120_000);

  describe('tool calls', () => {
    it('/mcp/<server> passes tools/list and an echo call through unchanged', async () => {
      // The same server, spoken to directly with the capabilities the supervisor declares upstream.
      const direct = new Client(
        { name: 'direct', version: '1.0.0' },
        {
          capabilities: { sampling: {}, elicitation: {}, roots: { listChanged: true } },
        },
      );
      await direct.connect(
        new StdioClientTransport({
          command: process.execPath,
          args: [SERVER_EVERYTHING, 'stdio'],
          stderr: 'pipe',
        }),
      );
      try {
        // Tool lists follow the client's capabilities: declare the same ones.
        const { client } = await open('everything', {
          capabilities: { sampling: {}, elicitation: {}, roots: { listChanged: true } },
        });
        const viaGateway = await client.listTools();
        const directList = await direct.listTools();
        expect(viaGateway.tools.map((t) => t.name).sort()).toEqual(
          directList.tools.map((t) => t.name).sort(),
        );
        expect(viaGateway.tools.find((t) => t.name === 'echo')).toEqual(
          directList.tools.find((t) => t.name === 'echo'),
        );

        const args = { name: 'echo', arguments: { message: 'hello through the gateway' } };
        const result = await client.callTool(args);
        expect(result).toEqual(await direct.callTool(args));
        expect(result).toEqual({ content: [{ type: 'text', text: 'Echo: hello through the gateway' }] });
      } finally {
        await direct.close();
      }
    });

    it('/mcp lists every tool as <server>__<name> in [A-Za-z0-9_-] and routes the call', async () => {
      const { client } = await open(undefined);
      const { tools } = await client.listTools();
      const names = tools.map((t) => t.name);
      for (const name of names) expect(name).toMatch(AGGREGATED_NAME);
      expect(names).toContain('everything__echo');
      expect(names).toContain('slow__slow');
      expect(names).toContain('slow__echo');
      expect(new Set(names).size).toBe(names.length);

      const result = await client.callTool({
        name: 'everything__echo',
        arguments: { message: 'aggregated' },
      });
      expect(result).toEqual({ content: [{ type: 'text', text: 'Echo: aggregated' }] });
      const fixture = await client.callTool({ name: 'slow__echo', arguments: { message: 'fixture' } });
      expect(textOf(fixture)).toBe('Echo: fixture');
    });

    it('an unknown aggregated name is a JSON-RPC error that says how names are built', async () => {
      const { client } = await open(undefined);
      const error = await mcpErrorOf(client.callTool({ name: 'echo', arguments: { message: 'x' } }));
      expect(error.code).toBe(-32602);
      expect(error.message).toMatch(/<server>__<name>/);
    });

    it('tools.allow / tools.deny filter both lists', async () => {
      const perServer = await (await open('filtered')).client.listTools();
      const perServerNames = perServer.tools.map((t) => t.name);
      expect(perServerNames).toContain('echo');
      expect(perServerNames).toContain('get-sum');
      expect(perServerNames).not.toContain('get-env');
      expect(perServerNames).not.toContain('trigger-long-running-operation');
      expect(perServerNames.every((name) => name === 'echo' || name.startsWith('get-'))).toBe(true);

      const aggregated = await (await open(undefined)).client.listTools();
      const filteredNames = aggregated.tools
        .map((t) => t.name)
        .filter((name) => name.startsWith('filtered__'));
      expect(filteredNames.sort()).toEqual(perServerNames.map((name) => `filtered__${name}`).sort());
      // The unfiltered server keeps its tools.
      expect(aggregated.tools.map((t) => t.name)).toContain('everything__get-env');
    });

    it('tools.allow / tools.deny refuse calls on both endpoints', async () => {
      const perServer = (await open('filtered')).client;
      const aggregated = (await open(undefined)).client;
      for (const [client, name] of [
        [perServer, 'get-env'],
        [perServer, 'trigger-long-running-operation'],
        [aggregated, 'filtered__get-env'],
        [aggregated, 'filtered__trigger-long-running-operation'],
      ] as const) {
        const error = await mcpErrorOf(client.callTool({ name, arguments: {} }));
        expect(error.code, name).toBe(-32602);
        expect(error.message, name).toMatch(/not allowed/);
      }
      // An allowed tool of the same server still works.
      const ok = await perServer.callTool({ name: 'echo', arguments: { message: 'allowed' } });
      expect(textOf(ok)).toBe('Echo: allowed');
    });
  });

  describe('progress', () => {
    it.each([
      ['/mcp/everything', 'everything', 'trigger-long-running-operation'],
      ['/mcp', undefined, 'everything__trigger-long-running-operation'],
    ])('reaches the client on %s', async (_label, server, tool) => {
      const { client } = await open(server);
      const seen: Progress[] = [];
      const steps = 4;
      const result = await client.callTool({ name: tool, arguments: { duration: 1, steps } }, undefined, {
        onprogress: (progress) => seen.push(progress),
      });
      expect(textOf(result)).toMatch(/Long running operation completed/);
      expect(seen.length).toBeGreaterThanOrEqual(steps);
      expect(seen.map((p) => p.progress)).toEqual([1, 2, 3, 4]);
      expect(seen.every((p) => p.total === steps)).toBe(true);
    });

    // The same without an SDK client downstream: what the gateway itself writes on the POST's
    // stream, so a lost notification is the gateway's (or its upstream client's) and not the test's.
    it.each([
      ['/mcp/everything', 'everything', 'trigger-long-running-operation'],
      ['/mcp', undefined, 'everything__trigger-long-running-operation'],
    ])('every step is written on the POST stream of %s before the result', async (_label, server, tool) => {
      const url = mcpUrl(supervisor.port, server);
      const session = await rawInitialize(url);
      const steps = 4;
      const response = await fetch(url, {
        method: 'POST',
        headers: mcpHeaders({ 'mcp-session-id': session }),
        body: JSON.stringify({
          jsonrpc: '2.0',
          id: 7,
          method: 'tools/call',
          params: { name: tool, arguments: { duration: 0.4, steps }, _meta: { progressToken: 'tok-1' } },
        }),
      });
      expect(response.headers.get('content-type')).toMatch(/text\/event-stream/);
      const messages = sseMessages(await response.text()) as (RawRpcBody & {
        method?: string;
        params?: Progress;
      })[];
      const progress = messages.filter((m) => m.method === 'notifications/progress');
      expect(progress.map((m) => m.params?.progress)).toEqual([1, 2, 3, 4]);
      expect(progress.every((m) => (m.params as { progressToken?: unknown }).progressToken === 'tok-1')).toBe(
        true,
      );
      expect(messages.at(-1)).toMatchObject({ id: 7, result: { content: [{ type: 'text' }] } });
    });
  });

  describe('cancellation reaches the server', () => {
    it.each([
      ['/mcp/slow', 'slow', 'slow', 'abort-server'],
      ['/mcp', undefined, 'slow__slow', 'abort-aggregated'],
    ])('an aborted call on %s sends notifications/cancelled upstream', async (_label, server, tool, tag) => {
      const { client } = await open(server);
      const abort = new AbortController();
      const call = client.callTool({ name: tool, arguments: { ms: 30_000, tag } }, undefined, {
        signal: abort.signal,
      });
      const settled = call.then(
        () => 'resolved',
        (error: unknown) => error,
      );
      await waitForMarker(marker, `start ${tag}`);
      abort.abort(new Error('the test gave up'));
      await within(settled, 5_000, 'the aborted call');
      const lines = await waitForMarker(marker, `cancelled ${tag}`);
      expect(lines).not.toContain(`done ${tag}`);
    });

    it.each([
      ['/mcp/slow', 'slow', 'slow', 'disconnect-server'],
      ['/mcp', undefined, 'slow__slow', 'disconnect-aggregated'],
    ])('a client disconnecting mid-call on %s cancels it upstream', async (_label, server, tool, tag) => {
      const url = mcpUrl(supervisor.port, server);
      const session = await rawInitialize(url);
      const disconnect = new AbortController();
      const response = fetch(url, {
        method: 'POST',
        headers: mcpHeaders({ 'mcp-session-id': session }),
        body: JSON.stringify({
          jsonrpc: '2.0',
          id: 1,
          method: 'tools/call',
          params: { name: tool, arguments: { ms: 30_000, tag } },
        }),
        signal: disconnect.signal,
      }).then(
        async (res) => res.text(),
        () => 'aborted',
      );
      await waitForMarker(marker, `start ${tag}`);
      // No notifications/cancelled from the client: only the connection goes away.
      disconnect.abort();
      await response.catch(() => {});
      const lines = await waitForMarker(marker, `cancelled ${tag}`);
      expect(lines).not.toContain(`done ${tag}`);
    });
  });

  describe('server→client sampling', () => {
    it.each([
      ['/mcp/everything', 'everything', 'trigger-sampling-request'],
      ['/mcp', undefined, 'everything__trigger-sampling-request'],
    ])('on %s goes to the calling client', async (_label, server, tool) => {
      const { client } = await open(server, { capabilities: { sampling: {} } });
      const prompts: string[] = [];
      client.setRequestHandler(CreateMessageRequestSchema, async (request) => {
        const content = request.params.messages[0]?.content as { text?: string } | undefined;
        prompts.push(content?.text ?? '');
        return {
          model: 'test-model',
          role: 'assistant',
          content: { type: 'text', text: 'sampled by the test client' },
        };
      });
      const result = await within(
        client.callTool({ name: tool, arguments: { prompt: 'marco', maxTokens: 10 } }),
        15_000,
        'the sampling call',
      );
      expect(prompts).toHaveLength(1);
      expect(prompts[0]).toMatch(/marco/);
      expect(textOf(result)).toMatch(/sampled by the test client/);
      expect(textOf(result)).toMatch(/test-model/);
    });

    it('from a client without the sampling capability gives a clear error, not a hang', async () => {
      const { client } = await open('everything');
      const outcome = await within(
        client
          .callTool({ name: 'trigger-sampling-request', arguments: { prompt: 'nobody', maxTokens: 10 } })
          .then(
            (result) => ({ isError: result.isError === true, text: textOf(result) }),
            (error: unknown) => ({ isError: true, text: (error as Error).message }),
          ),
        15_000,
        'a sampling call without a capable client',
      );
      // The server turns the failed sampling request into an error (a tool error or a JSON-RPC one);
      // what matters is that it names the missing capability.
      expect(outcome.isError).toBe(true);
      expect(outcome.text).toMatch(/sampling/);
    });
  });

  describe('a server going away mid-call', () => {
    async function listChangedWatcher(server: string | undefined) {
      const connected = await open(server);
      let count = 0;
      connected.client.setNotificationHandler(ToolListChangedNotificationSchema, () => {
        count += 1;
      });
      // The SDK opens the GET stream after `initialized`; give it a moment to be there.
      await sleep(500);
      return { ...connected, count: () => count };
    }

    it('`server restart` mid-call answers with a JSON-RPC error and then tools/list_changed', async () => {
      const perServer = await listChangedWatcher('slow');
      const aggregated = await listChangedWatcher(undefined);
      const started = Date.now();
      const call = mcpErrorOf(
        perServer.client.callTool({ name: 'slow', arguments: { ms: 60_000, tag: 'restart' } }),
      );
      await waitForMarker(marker, 'start restart');
      const restarted = await runCli(['server', 'restart', 'slow'], { home: home.path });
      expect(restarted.code, restarted.stderr).toBe(0);
      const error = await within(call, 20_000, 'the call cut by a restart');
      expect(Date.now() - started).toBeLessThan(30_000);
      expect(error.code).toBe(-32014);
      expect(error.data).toMatchObject({ server: 'slow', reason: 'server_unavailable' });

      await supervisor.waitForStatus(
        (body) => body.servers.find((s) => s.name === 'slow')?.state === 'online',
        'slow online again',
      );
      await expect.poll(() => perServer.count(), { timeout: 10_000 }).toBeGreaterThan(0);
      await expect.poll(() => aggregated.count(), { timeout: 10_000 }).toBeGreaterThan(0);
      // And the server works again through the same session.
      const again = await perServer.client.callTool({ name: 'echo', arguments: { message: 'back' } });
      expect(textOf(again)).toBe('Echo: back');
    });

    it('a server exiting mid-call answers with a JSON-RPC error and then tools/list_changed', async () => {
      const watcher = await listChangedWatcher('slow');
      const before = watcher.count();
      const error = await within(
        mcpErrorOf(watcher.client.callTool({ name: 'exit', arguments: { tag: 'crash', delayMs: 100 } })),
        20_000,
        'the call whose server exited',
      );
      expect((await markers(marker)).includes('exit crash')).toBe(true);
      expect(error.code).toBe(-32014);
      expect(error.data).toMatchObject({ server: 'slow', reason: 'server_unavailable' });
      await supervisor.waitForStatus(
        (body) => body.servers.find((s) => s.name === 'slow')?.state === 'online',
        'slow online again after its crash',
      );
      await expect.poll(() => watcher.count(), { timeout: 10_000 }).toBeGreaterThan(before);
      const again = await watcher.client.callTool({ name: 'echo', arguments: { message: 'revived' } });
      expect(textOf(again)).toBe('Echo: revived');
    });
  });

  it('answers /health after all of it', async () => {
    const response = await fetch(`http://127.0.0.1:${supervisor.port}/health`);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ status: 'ok' });
  });
});
