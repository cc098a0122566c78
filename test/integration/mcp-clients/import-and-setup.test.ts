/**
 * Import and client setup against a real supervisor, through the CLI as a user runs it: importing
 * a Cursor config reloads the running supervisor and the imported server comes online; `client
 * setup` writes an entry that a real MCP SDK client spawns — with no PATH, as a GUI client may —
 * and lists the tools of every server through; `client remove` puts the file back as it was.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { parse } from 'jsonc-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  runCli,
  SERVER_MEMORY,
  type SupervisorProcess,
  serverRow,
  startSupervisorProcess,
  type TempHome,
  tempHome,
  testServerEnv,
  testServers,
} from '../../helpers/index.ts';
import { stopAndCheck } from '../gateway/helpers.ts';

interface ConnectEntry {
  command: string;
  args: string[];
  env: Record<string, string>;
}

describe('import into a running supervisor, then set the client up', () => {
  let home: TempHome;
  let supervisor: SupervisorProcess;
  let userHome: string;
  let cursorFile: string;
  let original: string;
  const clients: Client[] = [];
  const cli = (args: string[]) =>
    runCli(args, { home: home.path, env: { HOME: userHome }, timeoutMs: 150_000 });

  beforeAll(async () => {
    home = await tempHome();
    userHome = path.join(home.path, 'user');
    cursorFile = path.join(userHome, '.cursor', 'mcp.json');
    const memory = {
      command: process.execPath,
      args: [SERVER_MEMORY],
      env: { ...testServerEnv(home.path, 'memory'), MEMORY_FILE_PATH: path.join(home.path, 'memory.jsonl') },
    };
    original = `{\n  // Cursor's global MCP servers\n  "mcpServers": {\n    "memory": ${JSON.stringify(memory)}\n  }\n}\n`;
    await mkdir(path.dirname(cursorFile), { recursive: true });
    await writeFile(cursorFile, original);
    supervisor = await startSupervisorProcess({
      home: home.path,
      config: { mcpServers: { everything: testServers.everythingStdio(home.path, 'everything') } },
    });
  });

  afterAll(async () => {
    for (const client of clients) await client.close().catch(() => {});
    await stopAndCheck(supervisor, home);
  }, 120_000);

  it('import cursor: the supervisor reloads and the imported server comes online', async () => {
    const dry = await cli(['import', 'cursor', '--dry-run']);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toMatch(/add\s+memory/);
    expect(serverRow(await supervisor.status(), 'everything').state).toBe('online');
    expect((await supervisor.status()).servers.map((s) => s.name)).toEqual(['everything']);

    const run = await cli(['--json', 'import', 'cursor']);
    expect(run.code, run.stderr).toBe(0);
    const body = JSON.parse(run.stdout) as {
      result: { written: boolean; reload: { status: string; servers: { name: string; state: string }[] } };
    };
    expect(body.result.written).toBe(true);
    expect(body.result.reload).toMatchObject({
      status: 'reloaded',
      servers: [{ name: 'memory', state: 'online' }],
    });
    expect(serverRow(await supervisor.status(), 'memory').state).toBe('online');
    // Env values are never printed, not even in --json.
    expect(run.stdout).not.toContain('memory.jsonl');
  });

  it('client setup cursor --move: a real SDK client spawns the written entry without PATH and lists every tool', async () => {
    const run = await cli(['client', 'setup', 'cursor', '--move']);
    expect(run.code, run.stderr).toBe(0);
    const doc = parse(await readFile(cursorFile, 'utf8')) as { mcpServers: Record<string, ConnectEntry> };
    expect(Object.keys(doc.mcpServers)).toEqual(['mcp-supervisor']);
    const entry = doc.mcpServers['mcp-supervisor']!;
    expect(path.isAbsolute(entry.command)).toBe(true);
    expect(path.isAbsolute(entry.args[0]!)).toBe(true);

    let stderr = '';
    const transport = new StdioClientTransport({
      command: entry.command,
      args: entry.args,
      // A GUI client's environment: nothing of the shell, no PATH to find node or mcp-supervisor.
      env: { ...entry.env, PATH: '/nonexistent', HOME: userHome },
      stderr: 'pipe',
    });
    transport.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    });
    const client = new Client({ name: 'cursor-like', version: '1.0.0' }, { capabilities: {} });
    clients.push(client);
    await client.connect(transport).catch((error: unknown) => {
      throw new Error(`the written entry did not start: ${String(error)}; stderr: ${stderr}`);
    });
    const names = (await client.listTools()).tools.map((tool) => tool.name);
    expect(names).toContain('everything__echo');
    expect(names).toContain('memory__read_graph');
    await client.close();

    const keys = await cli(['--json', 'keys', 'list']);
    expect(JSON.parse(keys.stdout).keys).toMatchObject([{ name: 'cursor', revokedAt: null }]);
  });

  it('client remove cursor: the file is as it was, the key revoked', async () => {
    const run = await cli(['client', 'remove', 'cursor']);
    expect(run.code, run.stderr).toBe(0);
    expect(await readFile(cursorFile, 'utf8')).toBe(original);
    const keys = await cli(['--json', 'keys', 'list']);
    expect(JSON.parse(keys.stdout).keys[0].revokedAt).not.toBeNull();
  });
});
