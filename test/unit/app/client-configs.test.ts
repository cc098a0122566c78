import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parse } from 'jsonc-parser';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { homeKeyIssuer } from '../../../supervisor/mcp-clients/index.ts';
import { electronMocks, electronState } from '../../helpers/electron-mock.ts';
import { errorOf, type Sandbox, sandbox } from '../mcp-clients/helpers.ts';

vi.mock('electron', () => import('../../helpers/electron-mock.ts'));
const { appLauncher, createClientSetup, createConfigImporter } = await import(
  '../../../app/client-configs.ts'
);
const { runClientRemove, runClientSetup } = await import('../../../app/client-setup.ts');
const { setupImportDialogs, showChoice } = await import('../../../app/import-dialogs.ts');
const { runImport } = await import('../../../app/importer.ts');

/**
 * The tray's import and client setup against temp copies of real-shaped client files, through the
 * CLI's own code and the (mocked) Electron dialogs; no supervisor runs, so the keys go to the
 * home's database and the import is read at the next start.
 */

let box: Sandbox;
const APP = '/Applications/mcp-supervisor.app/Contents/MacOS/mcp-supervisor';
const CLI =
  '/Applications/mcp-supervisor.app/Contents/Resources/app.asar/dist/supervisor/bin/mcp-supervisor.js';

beforeEach(async () => {
  electronState.reset();
  box = await sandbox();
});
afterEach(async () => {
  await box.cleanup();
});

/** The dialogs answer `responses` in turn (index of the button clicked) and record what they asked. */
function answer(...responses: number[]) {
  const asked: { message: string; detail: string; buttons: string[] }[] = [];
  electronMocks.showMessageBox.mockImplementation((async (options: {
    message: string;
    detail: string;
    buttons: string[];
  }) => {
    asked.push({ message: options.message, detail: options.detail, buttons: options.buttons });
    return { response: responses.shift() ?? options.buttons.length - 1 };
  }) as never);
  return asked;
}

function tray() {
  const importer = setupImportDialogs(createConfigImporter(box.paths, { platform: 'linux', env: box.env }));
  if (!importer) throw new Error('no importer');
  const setup = createClientSetup(box.paths, {
    platform: 'linux',
    env: box.env,
    launcher: () => appLauncher({ execPath: APP, cliScript: CLI, realpath: (file) => file }),
  });
  return { importer, clients: { setup, choose: showChoice } };
}

describe('the tray’s import from a client', () => {
  it('shows what Cursor’s file adds and skips, asks, writes our config, and says it is read at start', async () => {
    await box.place('cursor', 'cursor-mcp.json.fixture');
    const asked = answer(0);
    const outcome = await runImport('cursor', tray().importer, AbortSignal.timeout(10_000));
    expect(asked).toHaveLength(1);
    expect(asked[0]?.buttons).toEqual(['Import', 'Cancel']);
    expect(asked[0]?.message).toMatch(/^Import \d+ servers? from .*\.cursor\/mcp\.json\?$/);
    expect(asked[0]?.detail).toContain('Add: memory');
    expect(asked[0]?.detail).toMatch(/Skip: .*project-tools/);
    expect(outcome.kind).toBe('imported');
    expect(outcome.kind === 'imported' && outcome.message).toMatch(
      new RegExp(`^Wrote ${box.paths.configFile}\\. No supervisor is running for .*mcp-supervisor start\\.$`),
    );
    const written = parse(await readFile(box.paths.configFile, 'utf8')) as {
      mcpServers: Record<string, unknown>;
    };
    expect(written.mcpServers.memory).toEqual({
      command: 'npx',
      args: ['-y', '@modelcontextprotocol/server-memory'],
    });
  });

  it('writes nothing when the user cancels, and names the broken file and line of a malformed one', async () => {
    await box.place('claude', 'claude_desktop_config.json.fixture');
    answer(1);
    expect(await runImport('claude', tray().importer, AbortSignal.timeout(10_000))).toEqual({
      kind: 'cancelled',
    });
    const before = await box.snapshot();
    const file = await box.place('windsurf', 'windsurf-mcp_config.json.fixture');
    await writeFile(file, '{ "mcpServers": { "a": { "command": "x", } ');
    const cleanBefore = { ...(await box.snapshot()) };
    const error = await errorOf(runImport('windsurf', tray().importer, AbortSignal.timeout(10_000)));
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.message).toContain(file);
    expect(await box.snapshot()).toEqual(cleanBefore);
    expect(Object.keys(before)).not.toContain(path.relative(box.root, box.paths.configFile));
  });

  it('says which file is missing when the client has none', async () => {
    const error = await errorOf(runImport('vscode', tray().importer, AbortSignal.timeout(10_000)));
    expect(error.code).toBe('CONFIG_NOT_FOUND');
    expect(electronMocks.showMessageBox).not.toHaveBeenCalled();
  });
});

describe('the tray’s client setup', () => {
  it('after an import, writes the Electron-as-Node connect entry, moves the servers we run, and undoes it', async () => {
    const file = await box.place('cursor', 'cursor-mcp.json.fixture');
    const original = await readFile(file, 'utf8');
    answer(0);
    await runImport('cursor', tray().importer, AbortSignal.timeout(10_000));

    const { clients } = tray();
    const asked = answer(0);
    const outcome = await runClientSetup('cursor', 'Cursor', clients, AbortSignal.timeout(10_000));
    expect(asked[0]).toMatchObject({
      message: 'Set up Cursor to use mcp-supervisor?',
      buttons: ['Set up and move them', 'Set up, keep them', 'Cancel'],
    });
    expect(asked[0]?.detail).toContain('The supervisor already runs memory, with-oauth: move them out');
    expect(outcome).toMatchObject({
      kind: 'done',
      message: expect.stringMatching(/Moved out: memory, with-oauth\. Restart Cursor/),
    });
    const doc = parse(await readFile(file, 'utf8')) as {
      mcpServers: Record<string, { command: string; args: string[]; env: Record<string, string> }>;
    };
    expect(doc.mcpServers).not.toHaveProperty('memory');
    const entry = doc.mcpServers['mcp-supervisor'];
    // A GUI client starts the app's binary as Node on the CLI script the app ships.
    expect(entry).toMatchObject({
      command: APP,
      args: [CLI, '--home', box.paths.root, 'connect'],
      env: { ELECTRON_RUN_AS_NODE: '1', MCP_SUPERVISOR_KEY: expect.stringMatching(/^mcps_/) },
    });
    expect(await clients.setup.setUpClients(AbortSignal.timeout(5_000))).toEqual(['cursor']);

    answer(0);
    expect(await runClientRemove('cursor', 'Cursor', clients)).toMatchObject({
      kind: 'done',
      message: expect.stringContaining(
        'restored as it was before setup; servers back in it: memory, with-oauth',
      ),
    });
    expect(await readFile(file, 'utf8')).toBe(original);
    expect((await homeKeyIssuer(box.paths).list())[0]?.revokedAt).not.toBeNull();
    expect(await clients.setup.setUpClients(AbortSignal.timeout(5_000))).toEqual([]);
  });

  it('"Set up, keep them" leaves the client’s servers; Cancel writes nothing and creates no key', async () => {
    const file = await box.place('cursor', 'cursor-mcp.json.fixture');
    answer(0);
    await runImport('cursor', tray().importer, AbortSignal.timeout(10_000));
    const { clients } = tray();
    const before = await box.snapshot();
    answer(2);
    expect(await runClientSetup('cursor', 'Cursor', clients, AbortSignal.timeout(10_000))).toEqual({
      kind: 'cancelled',
    });
    expect(await box.snapshot()).toEqual(before);
    expect(await homeKeyIssuer(box.paths).list()).toEqual([]);

    answer(1);
    await runClientSetup('cursor', 'Cursor', clients, AbortSignal.timeout(10_000));
    const doc = parse(await readFile(file, 'utf8')) as { mcpServers: Record<string, unknown> };
    expect(Object.keys(doc.mcpServers)).toEqual(expect.arrayContaining(['memory', 'mcp-supervisor']));
  });

  it('sets VS Code up in its "servers" shape, keeping the file’s comments', async () => {
    const file = await box.place('vscode', 'vscode-mcp.json.fixture');
    const { clients } = tray();
    answer(0);
    await runClientSetup('vscode', 'VS Code', clients, AbortSignal.timeout(10_000));
    const text = await readFile(file, 'utf8');
    expect(text).toContain('//');
    const doc = parse(text) as { servers: Record<string, Record<string, unknown>> };
    expect(doc.servers['mcp-supervisor']).toMatchObject({ type: 'stdio', command: APP });
  });

  it('refuses a second setup and an AppImage launcher with what to do instead', async () => {
    await box.place('claude', 'claude_desktop_config.json.fixture');
    const { clients } = tray();
    answer(0);
    await runClientSetup('claude', 'Claude Desktop', clients, AbortSignal.timeout(10_000));
    const again = await errorOf(
      runClientSetup('claude', 'Claude Desktop', clients, AbortSignal.timeout(10_000)),
    );
    expect(again.message).toMatch(/already set up .*client remove claude/);
    expect(() =>
      appLauncher({ execPath: APP, cliScript: CLI, env: { APPIMAGE: '/home/me/mcp-supervisor.AppImage' } }),
    ).toThrow(/AppImage runs from a temporary mount.*install the \.deb/);
  });
});
