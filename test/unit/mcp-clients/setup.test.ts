/**
 * `client setup` / `client remove` on temp copies of client files, with real client keys in the
 * home's SQLite database (no supervisor running): the entry written, the key created and scoped,
 * servers moved out only when the supervisor has them, and remove undoing exactly that.
 */
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parse } from 'jsonc-parser';
import { afterEach, describe, expect, it } from 'vitest';
import {
  applyClientSetup,
  clientStatus,
  homeKeyIssuer,
  planClientSetup,
  removeClientSetup,
} from '../../../supervisor/mcp-clients/index.ts';
import { errorOf, type Sandbox, sandbox, writeText } from './helpers.ts';

let box: Sandbox;
afterEach(async () => {
  await box?.cleanup();
});

const LAUNCHER = { command: '/opt/node/bin/node', args: ['/opt/mcps/supervisor/bin/mcp-supervisor.js'] };

/** Our config has `memory` exactly as the Cursor fixture does, so it can move; the rest cannot. */
async function withOurConfig(b: Sandbox): Promise<void> {
  await writeText(
    b.paths.configFile,
    JSON.stringify({
      mcpServers: { memory: { command: 'npx', args: ['-y', '@modelcontextprotocol/server-memory'] } },
    }),
  );
}

describe('client setup and remove', () => {
  it('writes the connect entry with a new key, moves what we run, and remove restores the file byte for byte', async () => {
    box = await sandbox();
    const file = await box.place('cursor', 'cursor-mcp.json.fixture');
    const original = await readFile(file, 'utf8');
    await withOurConfig(box);
    const options = { paths: box.paths, env: box.env, platform: 'linux' as const, launcher: LAUNCHER };
    const plan = await planClientSetup('cursor', { ...options, move: true });
    expect(plan.move.map((m) => [m.name, m.as])).toEqual([['memory', 'memory']]);
    expect(plan.keep.map((k) => k.name)).toEqual(['project-tools', 'linear', 'with-oauth']);
    expect(await readFile(file, 'utf8')).toBe(original);
    expect(await homeKeyIssuer(box.paths).list()).toEqual([]);

    const result = await applyClientSetup(plan, { paths: box.paths });
    const doc = parse(await readFile(file, 'utf8')) as {
      mcpServers: Record<string, { command: string; args: string[]; env: Record<string, string> }>;
    };
    expect(Object.keys(doc.mcpServers)).toEqual(['project-tools', 'linear', 'with-oauth', 'mcp-supervisor']);
    const entry = doc.mcpServers['mcp-supervisor']!;
    expect(entry.command).toBe(LAUNCHER.command);
    expect(entry.args).toEqual([...LAUNCHER.args, '--home', box.paths.root, 'connect']);
    expect(entry.env.MCP_SUPERVISOR_KEY).toMatch(/^mcps_/);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const keys = await homeKeyIssuer(box.paths).list();
    expect(keys).toMatchObject([{ id: result.keyId, name: 'cursor', servers: null, revokedAt: null }]);
    expect(entry.env.MCP_SUPERVISOR_KEY!.startsWith(keys[0]!.prefix)).toBe(true);

    const status = await clientStatus({ paths: box.paths, env: box.env, platform: 'linux' });
    expect(status.find((row) => row.file === file)?.setup).toMatchObject({
      entryName: 'mcp-supervisor',
      keyActive: true,
      moved: ['memory'],
    });

    const removed = await removeClientSetup('cursor', { paths: box.paths });
    expect(removed).toMatchObject([{ how: 'restored', restoredServers: ['memory'], revokedKeys: 1 }]);
    expect(await readFile(file, 'utf8')).toBe(original);
    expect((await homeKeyIssuer(box.paths).list())[0]?.revokedAt).not.toBeNull();
    expect(
      (await clientStatus({ paths: box.paths, env: box.env, platform: 'linux' })).find((r) => r.file === file)
        ?.setup,
    ).toBeUndefined();
  });

  it('remove after the user edited the file: takes our entry out, puts moved servers back, keeps the edit', async () => {
    box = await sandbox();
    const file = await box.place('cursor', 'cursor-mcp.json.fixture');
    await withOurConfig(box);
    const options = { paths: box.paths, env: box.env, platform: 'linux' as const, launcher: LAUNCHER };
    await applyClientSetup(await planClientSetup('cursor', { ...options, move: true }), { paths: box.paths });
    const edited = (await readFile(file, 'utf8')).replace(
      '"mcpServers": {',
      '"mcpServers": {\n    "added-later": { "command": "x" },',
    );
    await writeFile(file, edited);
    const [removed] = await removeClientSetup('cursor', { paths: box.paths });
    expect(removed).toMatchObject({ how: 'edited', restoredServers: ['memory'], conflicts: [] });
    const doc = parse(await readFile(file, 'utf8')) as { mcpServers: Record<string, unknown> };
    expect(Object.keys(doc.mcpServers).sort()).toEqual([
      'added-later',
      'linear',
      'memory',
      'project-tools',
      'with-oauth',
    ]);
    expect(doc.mcpServers.memory).toEqual({
      command: 'npx',
      args: ['-y', '@modelcontextprotocol/server-memory'],
    });
  });

  it('VS Code: a typed stdio entry under "servers", comments kept; --server scopes entry and key', async () => {
    box = await sandbox();
    const file = await box.place('vscode', 'vscode-mcp.json.fixture');
    await withOurConfig(box);
    const options = { paths: box.paths, env: box.env, platform: 'linux' as const, launcher: LAUNCHER };
    const unknown = await errorOf(planClientSetup('vscode', { ...options, server: 'nope' }));
    expect(unknown.code).toBe('UNKNOWN_SERVER');
    const result = await applyClientSetup(await planClientSetup('vscode', { ...options, server: 'memory' }), {
      paths: box.paths,
    });
    const text = await readFile(file, 'utf8');
    expect(text).toContain('// VS Code writes JSONC: comments and trailing commas are fine.');
    expect(text).toContain('/* the memory server */');
    const doc = parse(text) as { servers: Record<string, { type: string; args: string[] }> };
    expect(doc.servers['mcp-supervisor-memory']).toMatchObject({
      type: 'stdio',
      args: [...LAUNCHER.args, '--home', box.paths.root, 'connect', 'memory'],
    });
    expect(await homeKeyIssuer(box.paths).list()).toMatchObject([
      { id: result.keyId, name: 'vscode-memory', servers: ['memory'] },
    ]);
  });

  it('creates a missing file in an installed client’s folder, and remove deletes it again', async () => {
    box = await sandbox();
    const dir = path.join(box.userHome, '.codeium', 'windsurf');
    await mkdir(dir, { recursive: true });
    const options = { paths: box.paths, env: box.env, platform: 'linux' as const, launcher: LAUNCHER };
    const plan = await planClientSetup('windsurf', options);
    expect(plan).toMatchObject({ exists: false, file: path.join(dir, 'mcp_config.json') });
    await applyClientSetup(plan, { paths: box.paths });
    expect(
      Object.keys((parse(await readFile(plan.file, 'utf8')) as { mcpServers: object }).mcpServers),
    ).toEqual(['mcp-supervisor']);
    await removeClientSetup('windsurf', { paths: box.paths });
    await expect(stat(plan.file)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('refuses a client that seems not installed, a second setup, a taken entry name, and a remove of nothing', async () => {
    box = await sandbox();
    const options = { paths: box.paths, env: box.env, platform: 'linux' as const, launcher: LAUNCHER };
    const missing = await errorOf(planClientSetup('claude', options));
    expect(missing).toMatchObject({ code: 'CONFIG_NOT_FOUND' });
    expect(missing.message).toMatch(/is Claude Desktop installed/);

    await box.place('cursor', 'cursor-mcp.json.fixture');
    await applyClientSetup(await planClientSetup('cursor', options), { paths: box.paths });
    const again = await errorOf(planClientSetup('cursor', options));
    expect(again.code).toBe('BAD_REQUEST');
    expect(again.message).toMatch(/already set up .* mcp-supervisor client remove cursor/);
    const taken = await errorOf(planClientSetup('cursor', { ...options, entryName: 'memory' }));
    expect(taken.message).toMatch(/already has a server "memory"; choose another name with --entry-name/);

    const nothing = await errorOf(removeClientSetup('windsurf', { paths: box.paths }));
    expect(nothing).toMatchObject({ code: 'BAD_REQUEST' });
  });
});
