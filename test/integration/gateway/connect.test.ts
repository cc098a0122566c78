/**
 * `mcp-supervisor connect [SERVER]`: a stdio MCP server proxying to the running supervisor, driven
 * by a real SDK client that spawns it the way Claude Desktop or Cursor would. The gateway keeps its
 * default `auth: "keys"`: `connect` authenticates with the home's control token, or `--key`.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client as ModernClient } from '@modelcontextprotocol/client';
import { StdioClientTransport as ModernStdioTransport } from '@modelcontextprotocol/client/stdio';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CLI_FILE,
  cliEnv,
  runCli,
  type SupervisorProcess,
  startSupervisorProcess,
  type TempHome,
  tempHome,
  testServerEnv,
  testServers,
} from '../../helpers/index.ts';
import { markers, stopAndCheck, waitForMarker, within } from './helpers.ts';

const FIXTURE = path.join(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/dual-era-server.ts');

/** The SDK's own stdio transport probes on a sibling process; a subclass probes in place, like a client of `connect` would see it. */
class InPlaceStdio extends ModernStdioTransport {}

describe('mcp-supervisor connect (stdio)', () => {
  let home: TempHome;
  let supervisor: SupervisorProcess;
  let marker: string;
  const clients: { close(): Promise<void> }[] = [];

  function connectArgs(server?: string): string[] {
    return [CLI_FILE, 'connect', ...(server ? [server] : []), '--home', home.path];
  }

  /** An SDK v2 client pinned to 2026-07-28 that spawns `connect`, answering elicitation. */
  async function connectModern(server?: string): Promise<ModernClient> {
    const client = new ModernClient(
      { name: 'connect-modern', version: '1.0.0' },
      { capabilities: { elicitation: {} }, versionNegotiation: { mode: { pin: '2026-07-28' } } },
    );
    client.setRequestHandler('elicitation/create', async () => ({
      action: 'accept',
      content: { name: 'stdio' },
    }));
    clients.push(client);
    await client.connect(
      new InPlaceStdio({
        command: process.execPath,
        args: connectArgs(server),
        env: cliEnv() as Record<string, string>,
      }),
    );
    expect(client.getProtocolEra()).toBe('modern');
    return client;
  }

  async function connect(server?: string, key?: string): Promise<{ client: Client; stderr: () => string }> {
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [
        CLI_FILE,
        'connect',
        ...(server ? [server] : []),
        '--home',
        home.path,
        ...(key ? ['--key', key] : []),
      ],
      env: cliEnv() as Record<string, string>,
      stderr: 'pipe',
    });
    let stderr = '';
    transport.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    });
    const client = new Client({ name: 'connect-test', version: '1.0.0' }, { capabilities: {} });
    clients.push(client);
    await client.connect(transport).catch((error: unknown) => {
      throw new Error(`connect ${server ?? '(aggregated)'} failed: ${String(error)}; stderr: ${stderr}`);
    });
    return { client, stderr: () => stderr };
  }

  beforeAll(async () => {
    home = await tempHome();
    marker = path.join(home.path, 'markers.log');
    supervisor = await startSupervisorProcess({
      home: home.path,
      config: {
        mcpServers: {
          everything: testServers.everythingStdio(home.path, 'everything'),
          memory: testServers.memory(home.path, 'memory'),
          fx: {
            command: process.execPath,
            args: [FIXTURE, 'stdio'],
            env: { ...testServerEnv(home.path, 'fx'), MARKER_FILE: marker },
          },
        },
      },
    });
  });

  afterAll(async () => {
    // Closing the client ends the `connect` child (stdin closes, then SIGTERM).
    for (const client of clients) await client.close().catch(() => {});
    await stopAndCheck(supervisor, home);
  }, 120_000);

  it('connect SERVER: listTools and an echo call pass through', async () => {
    const { client } = await connect('everything');
    expect(client.getServerVersion()?.name).toBeTruthy();
    const names = (await client.listTools()).tools.map((t) => t.name);
    expect(names).toContain('echo');
    expect(names).toContain('trigger-long-running-operation');
    const result = await client.callTool({ name: 'echo', arguments: { message: 'over stdio' } });
    expect(result.content).toEqual([{ type: 'text', text: 'Echo: over stdio' }]);
  });

  it('connect without SERVER is the aggregated endpoint', async () => {
    const { client } = await connect();
    const names = (await client.listTools()).tools.map((t) => t.name);
    expect(names).toContain('everything__echo');
    expect(names.some((name) => name.startsWith('memory__'))).toBe(true);
    for (const name of names) expect(name).toMatch(/^[A-Za-z0-9_-]+$/);
    const result = await client.callTool({
      name: 'everything__echo',
      arguments: { message: 'aggregated stdio' },
    });
    expect(result.content).toEqual([{ type: 'text', text: 'Echo: aggregated stdio' }]);
  });

  it('progress reaches the stdio client too', async () => {
    const { client } = await connect('everything');
    const seen: number[] = [];
    await client.callTool(
      { name: 'trigger-long-running-operation', arguments: { duration: 0.6, steps: 3 } },
      undefined,
      {
        onprogress: (progress) => seen.push(progress.progress),
      },
    );
    // The test's own SDK stdio client may drop the last step when it arrives in the same chunk as
    // the result (typescript-sdk#2580); the steps before it must all be there.
    expect(seen.slice(0, 2)).toEqual([1, 2]);
  });

  it('connect --key with a key scoped to another server fails with an error, not a hang', async () => {
    const created = await runCli(['keys', 'create', 'only-everything', '--servers', 'everything', '--json'], {
      home: home.path,
    });
    expect(created.code, created.stderr).toBe(0);
    const { token } = JSON.parse(created.stdout) as { token: string };
    const scoped = await connect('everything', token);
    expect((await scoped.client.listTools()).tools.map((t) => t.name)).toContain('echo');
    const refused = await within(
      connect('memory', token).then(
        () => 'connected',
        (error: unknown) => String(error),
      ),
      15_000,
      'connect with a key that may not use the server',
    );
    expect(refused).toMatch(/403|may not use|memory/);
  });

  describe('a 2026-07-28 client over stdio', () => {
    it('reaches a 2026 server in 2026-07-28 and a 2025 server through the translation', async () => {
      const modern = await connectModern('fx');
      const result = await modern.callTool({ name: 'echo', arguments: { text: 'modern stdio' } });
      expect(result.content).toEqual([{ type: 'text', text: 'modern stdio' }]);
      expect(await markers(marker)).toContain('echo:2026-07-28:elicitation');
      const toEverything = await connectModern('everything');
      const names = (await toEverything.listTools()).tools.map((t) => t.name);
      expect(names).toContain('trigger-elicitation-request');
      expect(names).not.toContain('trigger-sampling-request');
      const echoed = await toEverything.callTool({ name: 'echo', arguments: { message: 'translated' } });
      expect(echoed.content).toEqual([{ type: 'text', text: 'Echo: translated' }]);
    });

    it('answers an elicitation round (MRTR) through the relay', async () => {
      const modern = await connectModern('fx');
      const result = await within(modern.callTool({ name: 'ask', arguments: {} }), 15_000, 'the ask call');
      expect(result.content).toEqual([{ type: 'text', text: 'hello stdio' }]);
    });

    it('notifications/cancelled on stdio closes the request stream: the server sees the cancellation', async () => {
      const modern = await connectModern('fx');
      const abort = new AbortController();
      const call = modern
        .callTool({ name: 'slow', arguments: { ms: 30_000 } }, { signal: abort.signal })
        .catch((error: unknown) => error);
      await waitForMarker(marker, 'slow:start');
      abort.abort(new Error('the test gave up'));
      await within(call, 5_000, 'the aborted call');
      await waitForMarker(marker, 'slow:cancelled');
    });
  });
});
