/**
 * The `/api/clients` routes' edge: every body and path parameter is checked before anything is
 * read or written — a bad one is 400 with what to send, and the sandbox (client files, the
 * supervisor's home) is byte for byte as it was. Over real HTTP (the control router), with a real
 * key store in the sandbox's home; no supervisor runs, so the routes plan against the files only.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ClientsBody, ImportAnswer, SetupAnswer } from '../../../supervisor/client/mcp-clients-wire.ts';
import {
  clientParam,
  consoleLauncher,
  createClientRoutes,
  importRequestSchema,
  parseRequest,
  setupRequestSchema,
} from '../../../supervisor/control/client-routes.ts';
import { registerRoutes } from '../../../supervisor/control/router.ts';
import { HttpServer } from '../../../supervisor/http/server.ts';
import { silentLogger } from '../../../supervisor/shared/logger.ts';
import { ClientKeys } from '../../../supervisor/store/client-keys.ts';
import { openStore, type Store } from '../../../supervisor/store/db.ts';
import { FIXTURES, type Sandbox, sandbox, writeText } from '../mcp-clients/helpers.ts';

const TOKEN = 'c'.repeat(64);
let box: Sandbox | undefined;
let http: HttpServer | undefined;
let store: Store | undefined;

afterEach(async () => {
  await http?.close(0);
  store?.close();
  await box?.cleanup();
  http = undefined;
  store = undefined;
  box = undefined;
});

async function serve(): Promise<{
  box: Sandbox;
  call: (method: string, path: string, body?: unknown) => Promise<{ status: number; body: unknown }>;
}> {
  box = await sandbox();
  store = openStore(box.paths.databaseFile);
  const keys = new ClientKeys(store.db);
  http = new HttpServer({ host: '127.0.0.1', port: 0, logger: silentLogger });
  registerRoutes(http, {
    token: TOKEN,
    groups: [
      createClientRoutes({
        paths: box.paths,
        configFile: undefined,
        env: box.env,
        platform: 'linux',
        keys,
        status: async () => [],
        validateConfig: () => undefined,
        reload: () => Promise.reject(new Error('no reload is expected in these tests')),
        launcher: () => ({ command: '/usr/bin/node', args: ['/opt/mcp-supervisor/bin/mcp-supervisor.js'] }),
      }),
    ],
  });
  await http.listen();
  const origin = http.origin;
  return {
    box,
    async call(method, path, body) {
      const response = await fetch(`${origin}/api${path}`, {
        method,
        headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
      });
      return { status: response.status, body: await response.json() };
    },
  };
}

describe('client routes: validation', () => {
  it('names each bad field and what it must be', () => {
    const bad = (body: unknown) => {
      try {
        parseRequest(importRequestSchema, body, 'import');
      } catch (error) {
        return (error as Error).message;
      }
      throw new Error('expected a refusal');
    };
    expect(bad({ scope: 'team' })).toMatch(/^bad import request: scope: .*"user".*"project"/);
    expect(bad({ dryRun: 'yes' })).toMatch(/dryRun: .*boolean/);
    expect(bad({ file: 'relative/mcp.json' })).toBe('bad import request: file must be an absolute path');
    expect(bad({ scope: 'project' })).toMatch(/projectDir, the absolute path of the project folder/);
    expect(bad({ onConflict: 'overwrite' })).toMatch(/onConflict: .*"rename".*"skip".*"replace"/);
    expect(bad({ dryrun: true })).toBe('bad import request: unknown field "dryrun"');
    expect(bad({ planId: 'abc' })).toMatch(/planId must be the planId of a preview/);
    expect(() => parseRequest(setupRequestSchema, { keyName: 'a b' }, 'setup')).toThrow(
      /keyName must be 1-64 characters/,
    );
    expect(parseRequest(setupRequestSchema, { server: 'memory', move: true }, 'setup')).toEqual({
      server: 'memory',
      move: true,
    });
    expect(() => clientParam('zed')).toThrow(
      /unknown client "zed"; use one of claude, cursor, vscode, windsurf$/,
    );
    expect(clientParam('file', { allowFile: true })).toBe('file');
    expect(() => clientParam('file')).toThrow(/unknown client "file"/);
  });

  it('answers a bad request 400 with the message, and writes nothing', async () => {
    const { box, call } = await serve();
    await box.place('cursor', 'cursor-mcp.json.fixture');
    const before = await box.snapshot();
    const cases: [string, string, unknown, RegExp][] = [
      ['POST', '/clients/zed/import', { dryRun: true }, /unknown client "zed"/],
      ['POST', '/clients/cursor/import', '{"dryRun": tru', /request body is not valid JSON/],
      ['POST', '/clients/cursor/import', { scope: 'project', dryRun: false }, /needs projectDir/],
      ['POST', '/clients/cursor/import', { only: [] }, /only: /],
      ['POST', '/clients/file/import', {}, /importing a file needs "file"/],
      [
        'POST',
        '/clients/claude/import',
        { scope: 'project', projectDir: box.project },
        /Claude Desktop has no project config/,
      ],
      ['POST', '/clients/cursor/setup', { keyName: 'has space' }, /keyName must be/],
      ['POST', '/clients/cursor/setup', { move: 'yes' }, /move: .*boolean/],
      ['POST', '/clients/cursor/remove', { file: 'mcp.json' }, /file must be an absolute path/],
      ['POST', '/clients/cursor/remove', {}, /Cursor was not set up by mcp-supervisor/],
      ['GET', '/clients?projectDir=relative', undefined, /projectDir must be the absolute path/],
    ];
    for (const [method, path, body, message] of cases) {
      const answer = await call(method, path, body);
      expect(answer.status, `${method} ${path} ${JSON.stringify(body)}`).toBe(400);
      const { error } = answer.body as { error: { code: string; message: string } };
      expect(error.code).toBe('BAD_REQUEST');
      expect(error.message).toMatch(message);
    }
    expect(await box.snapshot()).toEqual(before);
  });

  it('lists every client with its file state, and previews without writing', async () => {
    const { box, call } = await serve();
    await box.place('cursor', 'cursor-mcp.json.fixture');
    await box.place('claude', 'claude_desktop_config.json.fixture');
    const listed = await call('GET', '/clients');
    expect(listed.status).toBe(200);
    const body = listed.body as ClientsBody;
    expect(body.configFile).toBe(box.paths.configFile);
    expect(body.clients.map((c) => [c.client, c.scope, c.fileState])).toEqual([
      ['claude', 'user', 'found'],
      ['cursor', 'user', 'found'],
      ['vscode', 'user', 'missing'],
      ['windsurf', 'user', 'missing'],
    ]);
    const withProject = (await call('GET', `/clients?projectDir=${encodeURIComponent(box.project)}`))
      .body as ClientsBody;
    expect(withProject.clients.filter((c) => c.scope === 'project').map((c) => c.client)).toEqual([
      'cursor',
      'vscode',
    ]);
    const claude = body.clients[0];
    expect(claude?.importPreview?.items.map((i) => [i.name, i.action])).toEqual([
      ['filesystem', 'add'],
      ['github', 'add'],
    ]);
    // A literal token in the client's file never reaches the page.
    expect(JSON.stringify(body)).not.toContain('ghp_example');

    const vscodeFile = `${box.root}/elsewhere/mcp.json`;
    await writeText(vscodeFile, await readFile(`${FIXTURES}/vscode-mcp.json.fixture`, 'utf8'));
    const before = await box.snapshot();
    const dry = await call('POST', '/clients/claude/import', { dryRun: true });
    expect(dry.status).toBe(200);
    expect((dry.body as ImportAnswer).plan.planId).toBe(claude?.importPreview?.planId);
    // A bare file (VS Code's shape recognised by its content), as `mcp-supervisor import FILE`.
    const fromFile = await call('POST', '/clients/file/import', { file: vscodeFile, dryRun: true });
    expect(fromFile.status).toBe(200);
    expect((fromFile.body as ImportAnswer).plan.source).toEqual({
      client: 'file',
      file: vscodeFile,
      scope: 'user',
    });
    expect((fromFile.body as ImportAnswer).plan.items.find((i) => i.sourceName === 'legacy')?.action).toBe(
      'skip',
    );
    const setup = await call('POST', '/clients/cursor/setup', { dryRun: true, move: true });
    expect(setup.status).toBe(200);
    const plan = (setup.body as SetupAnswer).plan;
    expect(plan).toMatchObject({ entryName: 'mcp-supervisor', keyName: 'cursor', exists: true });
    expect(plan.entry.args).toEqual([
      '/opt/mcp-supervisor/bin/mcp-supervisor.js',
      '--home',
      box.paths.root,
      'connect',
    ]);
    expect(await box.snapshot()).toEqual(before);
  });

  it('starts our CLI as a GUI client must: absolute paths, and Electron only as Node', () => {
    const node = consoleLauncher({}, false);
    expect(path.isAbsolute(node.command)).toBe(true);
    expect(node.args).toHaveLength(1);
    expect(node.args[0]).toMatch(/supervisor\/bin\/mcp-supervisor\.js$/);
    expect(node.env).toBeUndefined();
    // Under the desktop app this process is Electron's binary: without the variable it would
    // open a second copy of the app instead of running the CLI.
    expect(consoleLauncher({}, true)).toEqual({ ...node, env: { ELECTRON_RUN_AS_NODE: '1' } });
    expect(() => consoleLauncher({ APPIMAGE: '/tmp/.mount_x/app' }, true)).toThrow(
      /AppImage.*install the \.deb/,
    );
  });
});
