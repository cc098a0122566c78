/**
 * `/api/clients` against a real supervisor whose HOME is a temp user home holding real-shaped
 * client files: Claude Desktop's JSON, Cursor's, VS Code's JSONC with comments, and a malformed
 * Windsurf file. The list tells each file's state and what an import would do; a malformed file
 * is a clear error with nothing written; an import is applied through the supervisor's own reload
 * and the server comes online; a stale plan is refused; setup writes the connect entry into the
 * JSONC file (comments kept, backup made, key created) and remove puts the file back byte for byte.
 */
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parse } from 'jsonc-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type {
  ClientsBody,
  ImportAnswer,
  RemoveAnswer,
  SetupAnswer,
} from '../../../supervisor/client/mcp-clients-wire.ts';
import type { ClientKeyRow } from '../../../supervisor/client/wire-types.ts';
import {
  type SupervisorProcess,
  serverRow,
  startSupervisorProcess,
  type TempHome,
  tempHome,
  testServers,
} from '../../helpers/index.ts';
import { stopAndCheck } from '../gateway/helpers.ts';

let home: TempHome;
let supervisor: SupervisorProcess;
let userHome: string;
const files = { claude: '', cursor: '', vscode: '', windsurf: '' };
let vscodeText = '';

async function api<T>(
  method: 'GET' | 'POST',
  route: string,
  body?: unknown,
): Promise<{ status: number; body: T }> {
  const state = JSON.parse(await readFile(supervisor.paths.stateFile, 'utf8')) as { port: number };
  const token = (await readFile(supervisor.paths.tokenFile, 'utf8')).trim();
  const response = await fetch(`http://127.0.0.1:${state.port}/api${route}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, body: (await response.json()) as T };
}

const errorOf = (body: unknown) => (body as { error: { code: string; message: string } }).error;

async function backupsOf(file: string): Promise<string[]> {
  const dir = path.dirname(file);
  if (!existsSync(dir)) return [];
  return (await readdir(dir)).filter(
    (name) => name.startsWith(`${path.basename(file)}.`) && name.endsWith('.bak'),
  );
}

beforeAll(async () => {
  home = await tempHome();
  userHome = path.join(home.path, 'user');
  const config = path.join(userHome, '.config');
  files.claude = path.join(config, 'Claude', 'claude_desktop_config.json');
  files.cursor = path.join(userHome, '.cursor', 'mcp.json');
  files.vscode = path.join(config, 'Code', 'User', 'mcp.json');
  files.windsurf = path.join(userHome, '.codeium', 'windsurf', 'mcp_config.json');
  for (const file of Object.values(files)) await mkdir(path.dirname(file), { recursive: true });
  // Claude Desktop: a server named like ours but running something else, and a secret in env.
  await writeFile(
    files.claude,
    `${JSON.stringify(
      {
        mcpServers: {
          everything: { command: 'npx', args: ['-y', '@modelcontextprotocol/server-everything'] },
          github: {
            command: 'npx',
            args: ['-y', '@modelcontextprotocol/server-github'],
            env: { GITHUB_PERSONAL_ACCESS_TOKEN: 'ghp_literal_secret' },
          },
        },
        globalShortcut: 'Ctrl+Space',
      },
      null,
      2,
    )}\n`,
  );
  await writeFile(
    files.cursor,
    `{\n  // Cursor's global MCP servers\n  "mcpServers": {\n    "memory": ${JSON.stringify(testServers.memory(home.path, 'memory'))}\n  }\n}\n`,
  );
  vscodeText = [
    '{',
    '\t// VS Code writes JSONC: comments and trailing commas are fine.',
    '\t"servers": {',
    '\t\t/* kept as it is */',
    '\t\t"legacy": { "type": "sse", "url": "http://localhost:3001/sse" },',
    '\t},',
    '}',
    '',
  ].join('\n');
  await writeFile(files.vscode, vscodeText);
  await writeFile(
    files.windsurf,
    '{\n  "mcpServers": {\n    "broken": { "command": "x", }\n    "next": {}\n  }\n',
  );
  supervisor = await startSupervisorProcess({
    home: home.path,
    env: { HOME: userHome, XDG_CONFIG_HOME: config },
    config: { mcpServers: { everything: testServers.everythingStdio(home.path, 'everything') } },
  });
}, 120_000);

afterAll(async () => {
  await stopAndCheck(supervisor, home);
}, 120_000);

describe('/api/clients on a running supervisor', () => {
  it('lists each client’s file and state, and what an import would do', async () => {
    const { status, body } = await api<ClientsBody>('GET', '/clients');
    expect(status).toBe(200);
    expect(body.configFile).toBe(supervisor.paths.configFile);
    const byClient = Object.fromEntries(body.clients.map((c) => [c.client, c]));
    expect(body.clients.map((c) => [c.client, c.file, c.fileState])).toEqual([
      ['claude', files.claude, 'found'],
      ['cursor', files.cursor, 'found'],
      ['vscode', files.vscode, 'found'],
      ['windsurf', files.windsurf, 'malformed'],
    ]);
    expect(byClient.windsurf?.problem).toMatch(/mcp_config\.json:\d+:\d+/);
    expect(byClient.windsurf?.importPreview).toBeNull();
    // A different server under a taken name is renamed, never overwritten.
    expect(byClient.claude?.importPreview?.items.map((i) => [i.sourceName, i.name, i.action])).toEqual([
      ['everything', 'everything-claude', 'rename'],
      ['github', 'github', 'add'],
    ]);
    expect(byClient.cursor?.importPreview?.items.map((i) => [i.name, i.action])).toEqual([['memory', 'add']]);
    expect(byClient.vscode?.importPreview?.items).toMatchObject([
      { name: 'legacy', action: 'skip', reason: expect.stringMatching(/SSE/i) },
    ]);
    expect(byClient.vscode?.servers).toBe(1);
    expect(JSON.stringify(body)).not.toContain('ghp_literal_secret');
  });

  it('refuses a malformed client file with its position, and writes nothing', async () => {
    const before = await readFile(supervisor.paths.configFile, 'utf8');
    const answer = await api('POST', '/clients/windsurf/import', { dryRun: false });
    expect(answer.status).toBe(422);
    expect(errorOf(answer.body)).toMatchObject({
      code: 'CONFIG_INVALID',
      message: expect.stringMatching(/mcp_config\.json:\d+:\d+/),
    });
    expect(await readFile(supervisor.paths.configFile, 'utf8')).toBe(before);
    expect(await backupsOf(supervisor.paths.configFile)).toEqual([]);
  });

  it('previews, refuses a plan that is not the previewed one, then imports through the reload', async () => {
    const preview = await api<ImportAnswer>('POST', '/clients/cursor/import', { dryRun: true });
    expect(preview.status).toBe(200);
    expect(preview.body.plan.items).toMatchObject([{ name: 'memory', action: 'add' }]);
    expect(preview.body.plan.hasChanges).toBe(true);
    const before = await readFile(supervisor.paths.configFile, 'utf8');

    const stale = await api('POST', '/clients/cursor/import', { planId: '0123456789abcdef' });
    expect(stale.status).toBe(409);
    expect(errorOf(stale.body).message).toMatch(/preview it again/);
    expect(await readFile(supervisor.paths.configFile, 'utf8')).toBe(before);

    const applied = await api<ImportAnswer>('POST', '/clients/cursor/import', {
      planId: preview.body.plan.planId,
    });
    expect(applied.status, JSON.stringify(applied.body)).toBe(200);
    if (applied.body.dryRun) throw new Error('expected an applied import');
    const { result } = applied.body;
    expect(result.written).toBe(true);
    expect(result.backup).not.toBeNull();
    expect(await readFile(result.backup as string, 'utf8')).toBe(before);
    expect(result.reload).toMatchObject({
      status: 'reloaded',
      diff: { added: ['memory'], changed: [], removed: [] },
      servers: [{ name: 'memory', state: expect.stringMatching(/^(starting|online)$/) }],
    });
    await supervisor.waitForStatus(
      (body) => body.servers.some((s) => s.name === 'memory' && s.state === 'online'),
      'memory online',
    );
    expect(serverRow(await supervisor.status(), 'everything').state).toBe('online');

    // Importing again adds nothing: the server is already there.
    const again = await api<ClientsBody>('GET', '/clients');
    const cursor = again.body.clients.find((c) => c.client === 'cursor');
    expect(cursor?.importPreview).toMatchObject({ hasChanges: false, items: [{ action: 'unchanged' }] });
  });

  it('sets VS Code up in its JSONC file (comments kept, backup, key), then removes it byte for byte', async () => {
    const setup = await api<SetupAnswer>('POST', '/clients/vscode/setup', {
      move: true,
      keyName: 'vscode-console',
    });
    expect(setup.status, JSON.stringify(setup.body)).toBe(200);
    if (setup.body.dryRun) throw new Error('expected an applied setup');
    const { result, plan } = setup.body;
    expect(result).toMatchObject({
      file: files.vscode,
      entryName: 'mcp-supervisor',
      keyName: 'vscode-console',
    });
    expect(await readFile(result.backup as string, 'utf8')).toBe(vscodeText);
    // The SSE server is not one the supervisor runs: it stays in the client's file.
    expect(plan.keep.map((k) => k.name)).toEqual(['legacy']);
    const written = await readFile(files.vscode, 'utf8');
    expect(written).toContain('/* kept as it is */');
    const doc = parse(written) as {
      servers: Record<string, { type: string; args: string[]; env: Record<string, string> }>;
    };
    const entry = doc.servers['mcp-supervisor'];
    expect(entry?.type).toBe('stdio');
    expect(entry?.args.slice(-3)).toEqual(['--home', home.path, 'connect']);
    expect(entry?.env.MCP_SUPERVISOR_KEY).toMatch(/^mcps_/);
    // The token is in the client's file only, never in the answer.
    expect(JSON.stringify(setup.body)).not.toContain(entry?.env.MCP_SUPERVISOR_KEY);
    const keys = await api<{ keys: ClientKeyRow[] }>('GET', '/keys');
    expect(keys.body.keys.find((k) => k.id === result.keyId)).toMatchObject({
      name: 'vscode-console',
      revokedAt: null,
    });

    const listed = await api<ClientsBody>('GET', '/clients');
    expect(listed.body.clients.find((c) => c.client === 'vscode')).toMatchObject({
      connectEntries: ['mcp-supervisor'],
      setup: { entryName: 'mcp-supervisor', keyName: 'vscode-console', keyActive: true, server: null },
    });

    const twice = await api('POST', '/clients/vscode/setup', {});
    expect(twice.status).toBe(400);
    expect(errorOf(twice.body).message).toMatch(/already set up/);

    const removed = await api<RemoveAnswer>('POST', '/clients/vscode/remove', {});
    expect(removed.status).toBe(200);
    expect(removed.body.removed).toMatchObject([{ file: files.vscode, how: 'restored', revokedKeys: 1 }]);
    expect(await readFile(files.vscode, 'utf8')).toBe(vscodeText);
    const after = await api<{ keys: ClientKeyRow[] }>('GET', '/keys');
    expect(after.body.keys.find((k) => k.id === result.keyId)?.revokedAt).not.toBeNull();
  });
});
