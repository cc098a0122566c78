/**
 * `mcp-supervisor connect [SERVER]`: a stdio MCP server proxying to the running supervisor, driven
 * by a real SDK client that spawns it the way Claude Desktop or Cursor would. The gateway keeps its
 * default `auth: "keys"`: `connect` authenticates with the home's control token, or `--key`.
 */
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
  testServers,
} from '../../helpers/index.ts';
import { stopAndCheck, within } from './helpers.ts';

describe('mcp-supervisor connect (stdio)', () => {
  let home: TempHome;
  let supervisor: SupervisorProcess;
  const clients: Client[] = [];

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
    supervisor = await startSupervisorProcess({
      home: home.path,
      config: {
        mcpServers: {
          everything: testServers.everythingStdio(home.path, 'everything'),
          memory: testServers.memory(home.path, 'memory'),
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
});
