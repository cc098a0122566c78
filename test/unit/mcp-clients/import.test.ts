// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the tests spell out client variables such as ${env:NAME}
/**
 * Import from real-shaped client config files in a temp sandbox (no supervisor running): what each
 * client's entries become, what is skipped and why, collisions, errors that name the file and the
 * position, dry runs that write nothing, in-place edits that keep comments, restorable backups.
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../../supervisor/config/parse.ts';
import { applyImport, type ImportPlan, planImport } from '../../../supervisor/mcp-clients/index.ts';
import { errorOf, type Sandbox, sandbox, writeText } from './helpers.ts';

let box: Sandbox;
afterEach(async () => {
  await box?.cleanup();
});

const byName = (plan: ImportPlan) => Object.fromEntries(plan.items.map((item) => [item.sourceName, item]));

describe('import from MCP clients', () => {
  it('Claude Desktop: every mcpServers entry, other settings ignored', async () => {
    box = await sandbox();
    await box.place('claude', 'claude_desktop_config.json.fixture');
    const plan = await planImport(
      { client: 'claude' },
      { paths: box.paths, env: box.env, platform: 'linux' },
    );
    expect(plan.items.map((i) => [i.name, i.action])).toEqual([
      ['filesystem', 'add'],
      ['github', 'add'],
    ]);
    expect(byName(plan).github?.entry).toEqual({
      command: 'npx',
      args: ['-y', '@modelcontextprotocol/server-github'],
      env: { GITHUB_PERSONAL_ACCESS_TOKEN: 'ghp_example' },
    });
    const result = await applyImport(plan, { paths: box.paths });
    expect(result.written).toBe(true);
    expect(result.reload.status).toBe('not-running');
    const config = parseConfig(await readFile(box.paths.configFile, 'utf8'));
    expect(Object.keys(config.mcpServers)).toEqual(['filesystem', 'github']);
  });

  it('Cursor: ${env:…} becomes ${…}; ${workspaceFolder} only in a project; OAuth dropped with a note', async () => {
    box = await sandbox({ MY_API_KEY: 'k', LINEAR_TOKEN: 'l' });
    await box.place('cursor', 'cursor-mcp.json.fixture');
    const user = byName(
      await planImport({ client: 'cursor' }, { paths: box.paths, env: box.env, platform: 'linux' }),
    );
    expect(user.memory?.action).toBe('add');
    expect(user['project-tools']).toMatchObject({
      action: 'skip',
      reason: expect.stringMatching(/workspaceFolder.*--project/),
    });
    expect(user.linear?.entry).toEqual({
      url: 'https://mcp.linear.app/mcp',
      headers: { Authorization: 'Bearer ${LINEAR_TOKEN}' },
    });
    expect(user['with-oauth']?.notes.join(' ')).toMatch(/OAuth \("auth"\) is not supported/);

    await box.place('cursor', 'cursor-mcp.json.fixture', { project: true });
    const project = byName(
      await planImport(
        { client: 'cursor', scope: 'project', projectDir: box.project },
        { paths: box.paths, env: box.env, platform: 'linux' },
      ),
    );
    expect(project['project-tools']?.entry).toEqual({
      command: 'node',
      args: [path.join(box.project, 'tools/server.js')],
      env: { API_KEY: '${MY_API_KEY}' },
    });
  });

  it('an unset ${VAR} skips that server with the field and what to do', async () => {
    box = await sandbox();
    await box.place('cursor', 'cursor-mcp.json.fixture');
    const plan = byName(
      await planImport({ client: 'cursor' }, { paths: box.paths, env: box.env, platform: 'linux' }),
    );
    expect(plan.linear).toMatchObject({ action: 'skip' });
    expect(plan.linear?.reason).toMatch(
      /headers\.Authorization: \$\{LINEAR_TOKEN\} is not set in the environment/,
    );
  });

  it('VS Code: JSONC with comments, servers + inputs, envFile read, SSE skipped, ${input:…} given or skipped', async () => {
    box = await sandbox();
    await box.place('vscode', 'vscode-mcp.json.fixture', { project: true });
    await writeText(path.join(box.project, '.env'), 'DB_URL=postgres://x\n# comment\nDEBUG=1\n');
    const spec = { client: 'vscode' as const, scope: 'project' as const, projectDir: box.project };
    const without = byName(await planImport(spec, { paths: box.paths, env: box.env, platform: 'linux' }));
    expect(without.memory).toMatchObject({
      action: 'add',
      entry: { command: 'npx', args: ['-y', '@modelcontextprotocol/server-memory'] },
    });
    expect(without.github).toMatchObject({ action: 'skip' });
    expect(without.github?.reason).toBe(
      'needs VS Code input "github-token" (GitHub Personal Access Token), which VS Code prompts for and the supervisor cannot; give it with --input github-token=VALUE',
    );
    expect(without['with-env-file']?.entry).toEqual({
      command: 'node',
      args: ['server.js'],
      env: { DB_URL: 'postgres://x', DEBUG: '1' },
    });
    expect(without['with-env-file']?.notes.join('\n')).toMatch(/envFile .*\.env read now: DB_URL, DEBUG/);
    expect(without['with-env-file']?.notes.join('\n')).toMatch(/"dev" \(VS Code watch\/debug mode\)/);
    expect(without.legacy).toMatchObject({ action: 'skip', reason: expect.stringMatching(/deprecated SSE/) });
    expect(without.remote?.entry).toEqual({ url: 'https://api.githubcopilot.com/mcp/' });

    const given = byName(
      await planImport(spec, {
        paths: box.paths,
        env: box.env,
        platform: 'linux',
        inputs: { 'github-token': 'ghp_given' },
      }),
    );
    expect(given.github?.entry?.env).toEqual({ GITHUB_PERSONAL_ACCESS_TOKEN: 'ghp_given' });
  });

  it('Windsurf: serverUrl becomes url, disabledTools becomes tools.deny, disabled kept', async () => {
    box = await sandbox({ GITHUB_TOKEN: 'g', FIGMA_TOKEN: 'f' });
    await box.place('windsurf', 'windsurf-mcp_config.json.fixture');
    const plan = byName(
      await planImport({ client: 'windsurf' }, { paths: box.paths, env: box.env, platform: 'linux' }),
    );
    expect(plan.github?.entry).toMatchObject({ tools: { deny: ['delete_repository'] } });
    expect(plan.figma?.entry).toEqual({
      url: 'https://mcp.figma.com/mcp',
      headers: { Authorization: 'Bearer ${FIGMA_TOKEN}' },
    });
    expect(plan.off?.entry).toMatchObject({ command: 'uvx', disabled: true });
  });

  it('a missing client file: CONFIG_NOT_FOUND naming every place looked in', async () => {
    box = await sandbox();
    const error = await errorOf(
      planImport({ client: 'vscode' }, { paths: box.paths, env: box.env, platform: 'linux' }),
    );
    expect(error.code).toBe('CONFIG_NOT_FOUND');
    expect(error.message).toContain(path.join(box.userHome, '.config/Code/User/mcp.json'));
    expect(error.message).toContain('--file');
  });

  it('a malformed file: CONFIG_INVALID with file:line:column, and nothing written', async () => {
    box = await sandbox();
    const file = await box.place('cursor', 'cursor-mcp.json.fixture');
    await writeFile(file, '{\n  "mcpServers": {\n    "a": { "command": "x" }\n    "b": {}\n  }\n}\n');
    const before = await box.snapshot();
    const error = await errorOf(
      planImport({ client: 'cursor' }, { paths: box.paths, env: box.env, platform: 'linux' }),
    );
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.message).toMatch(
      new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:4:5: not valid JSON: comma expected`),
    );
    expect(error.message).toContain('nothing was changed');
    expect(await box.snapshot()).toEqual(before);
  });

  it('collisions: renamed by default, skipped or replaced when asked; identical entries unchanged', async () => {
    box = await sandbox();
    await box.place('claude', 'claude_desktop_config.json.fixture');
    await writeText(
      box.paths.configFile,
      JSON.stringify({
        mcpServers: {
          filesystem: { command: 'node', args: ['mine.js'] },
          'gh-copy': {
            command: 'npx',
            args: ['-y', '@modelcontextprotocol/server-github'],
            env: { GITHUB_PERSONAL_ACCESS_TOKEN: 'ghp_example' },
            type: 'stdio',
          },
        },
      }),
    );
    const options = { paths: box.paths, env: box.env, platform: 'linux' as const };
    const renamed = byName(await planImport({ client: 'claude' }, options));
    expect(renamed.filesystem).toMatchObject({ action: 'add', name: 'filesystem-claude' });
    expect(renamed.github).toMatchObject({
      action: 'unchanged',
      name: 'gh-copy',
      reason: 'already in the config as "gh-copy"',
    });
    const skipped = byName(await planImport({ client: 'claude' }, { ...options, onConflict: 'skip' }));
    expect(skipped.filesystem).toMatchObject({
      action: 'skip',
      reason: expect.stringMatching(/different server "filesystem"/),
    });
    const replaced = await planImport({ client: 'claude' }, { ...options, onConflict: 'replace' });
    expect(byName(replaced).filesystem).toMatchObject({ action: 'replace', name: 'filesystem' });
    await applyImport(replaced, { paths: box.paths });
    const config = parseConfig(await readFile(box.paths.configFile, 'utf8'));
    expect(config.mcpServers.filesystem?.command).toBe('npx');
    // Importing the same again changes nothing.
    const again = await planImport({ client: 'claude' }, options);
    expect(again.items.map((i) => i.action)).toEqual(['unchanged', 'unchanged']);
    expect(again.text).toBeUndefined();
  });

  it('invalid names are sanitised to our pattern', async () => {
    box = await sandbox();
    const file = path.join(box.root, 'other.json');
    await writeText(
      file,
      JSON.stringify({
        mcpServers: { 'my.server name': { command: 'a' }, a__b: { command: 'b' }, ü: { command: 'c' } },
      }),
    );
    const plan = await planImport({ file }, { paths: box.paths, env: box.env, platform: 'linux' });
    expect(plan.items.map((i) => i.name)).toEqual(['my-server-name', 'a_b', 'u']);
    expect(plan.items[0]?.notes.join(' ')).toMatch(/renamed from "my.server name"/);
  });

  it('a dry run (the plan) writes nothing; applying keeps comments, mode 0600 and a restorable backup', async () => {
    box = await sandbox();
    await box.place('claude', 'claude_desktop_config.json.fixture');
    const original = [
      '// my supervisor config',
      '{',
      '  "mcpServers": {',
      '    // hand-written',
      '    "mine": { "command": "node", "args": ["mine.js"] },',
      '  },',
      '  "supervisor": { "port": 7420 },',
      '}',
      '',
    ].join('\n');
    await writeText(box.paths.configFile, original);
    const before = await box.snapshot();
    const plan = await planImport(
      { client: 'claude' },
      { paths: box.paths, env: box.env, platform: 'linux' },
    );
    expect(await box.snapshot()).toEqual(before);
    const result = await applyImport(plan, { paths: box.paths });
    const written = await readFile(box.paths.configFile, 'utf8');
    expect(written).toContain('// my supervisor config');
    expect(written).toContain('// hand-written');
    expect(written).toContain('"supervisor": { "port": 7420 }');
    expect(Object.keys(parseConfig(written).mcpServers)).toEqual(['mine', 'filesystem', 'github']);
    const { stat } = await import('node:fs/promises');
    expect((await stat(box.paths.configFile)).mode & 0o777).toBe(0o600);
    expect(result.backup).toBeDefined();
    expect(await readFile(result.backup!, 'utf8')).toBe(original);
  });

  it('a JSON5 config that JSONC cannot edit is rewritten as JSON, and says so', async () => {
    box = await sandbox();
    await box.place('claude', 'claude_desktop_config.json.fixture');
    await writeText(box.paths.configFile, "{ mcpServers: { mine: { command: 'node' } } }\n");
    const plan = await planImport(
      { client: 'claude' },
      { paths: box.paths, env: box.env, platform: 'linux' },
    );
    expect(plan.notes.join(' ')).toMatch(/JSON5 syntax that cannot be edited in place/);
    await applyImport(plan, { paths: box.paths });
    const config = parseConfig(await readFile(box.paths.configFile, 'utf8'));
    expect(Object.keys(config.mcpServers)).toEqual(['mine', 'filesystem', 'github']);
  });

  it('refuses to apply a plan when the config changed since it was made', async () => {
    box = await sandbox();
    await box.place('claude', 'claude_desktop_config.json.fixture');
    const plan = await planImport(
      { client: 'claude' },
      { paths: box.paths, env: box.env, platform: 'linux' },
    );
    await writeText(box.paths.configFile, '{ "mcpServers": {} }');
    const error = await errorOf(applyImport(plan, { paths: box.paths }));
    expect(error.message).toMatch(/changed since the import was planned/);
    expect(await readFile(box.paths.configFile, 'utf8')).toBe('{ "mcpServers": {} }');
  });

  it('never imports its own connect entry', async () => {
    box = await sandbox();
    const file = path.join(box.root, 'with-ours.json');
    await writeText(
      file,
      JSON.stringify({
        mcpServers: {
          'mcp-supervisor': { command: '/usr/bin/node', args: ['/x/bin/mcp-supervisor.js', 'connect'] },
        },
      }),
    );
    const plan = await planImport({ file }, { paths: box.paths, env: box.env, platform: 'linux' });
    expect(plan.items[0]).toMatchObject({ action: 'skip', reason: "is mcp-supervisor's own connect entry" });
  });
});
