import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ConfigImporter } from '../../../app/importer.ts';
import type { SupervisorView } from '../../../app/supervisor-view.ts';
import type { TraySnapshot } from '../../../app/tray-state.ts';
import { resolveHome } from '../../../supervisor/shared/home.ts';
import { electronState } from '../../helpers/electron-mock.ts';

vi.mock('electron', () => import('../../helpers/electron-mock.ts'));
const { SettingsStore } = await import('../../../app/settings.ts');
const { TrayActions, describeReload } = await import('../../../app/tray-actions.ts');

let dir: string;
let view: SupervisorView;
let snapshot: TraySnapshot;
let now: number;
const request = vi.fn(async (_method: string, _path: string, _options?: unknown): Promise<unknown> => ({}));
const messages: [string, string][] = [];
const opened: unknown[] = [];
const openPath = vi.fn(async (_file: string) => '');
const clipboard: string[] = [];
const loginItemSet = vi.fn();
const refresh = vi.fn(async () => {});
const onChange = vi.fn();
const quit = vi.fn();
let isLoginItemSupported: boolean;

function create(importer?: ConfigImporter) {
  const paths = resolveHome({ home: dir, env: {} });
  return new TrayActions({
    paths,
    supervisor: {
      get view() {
        return view;
      },
      get client() {
        return view.phase === 'running' ? ({ request } as never) : undefined;
      },
      get unavailableReason() {
        return view.phase === 'down' ? view.reason : `it is ${view.phase}`;
      },
      start: async () => view,
      outputFile: path.join(paths.logDir, 'detached.out'),
    },
    monitor: { refresh, snapshot },
    windows: { open: async (route) => void opened.push(route) },
    settings: new SettingsStore({ directory: path.join(dir, 'userData') }),
    notifier: {
      message: (title, body) => {
        messages.push([title, body]);
        return 'shown';
      },
    },
    openPath,
    writeClipboard: (text) => clipboard.push(text),
    loginItem: { isSupported: isLoginItemSupported, set: loginItemSet },
    importer: importer && {
      importer,
      pickFile: async () => undefined,
      confirm: async () => true,
    },
    about: () => {},
    quit,
    onChange,
    now: () => now,
  });
}

beforeEach(async () => {
  electronState.reset();
  dir = await mkdtemp(path.join(os.tmpdir(), 'mcps-actions-'));
  view = { phase: 'running', isOwned: true, origin: 'http://127.0.0.1:7420', pid: 1 };
  snapshot = { supervisor: view, servers: [], configFile: '/home/me/.config/mcp-supervisor/config.json' };
  now = 1_000_000;
  isLoginItemSupported = true;
  for (const fn of [request, openPath, loginItemSet, refresh, onChange, quit]) fn.mockClear();
  request.mockImplementation(async () => ({}));
  openPath.mockImplementation(async () => '');
  messages.length = 0;
  opened.length = 0;
  clipboard.length = 0;
});
afterEach(() => rm(dir, { recursive: true, force: true }));

describe('tray actions', () => {
  it('controls a server and refreshes the status', async () => {
    await create().run({ kind: 'server', server: 'my server', verb: 'restart' });
    expect(request).toHaveBeenCalledWith('POST', '/api/servers/my%20server/restart', {
      signal: expect.any(AbortSignal),
    });
    expect(refresh).toHaveBeenCalled();
    expect(messages).toEqual([]);
  });

  it('says why an action failed, in the menu and a notification, until one succeeds', async () => {
    const actions = create();
    request.mockRejectedValueOnce(new Error('unknown server "ghost"; the config has: memory'));
    await actions.run({ kind: 'server', server: 'ghost', verb: 'stop' });
    expect(actions.lastFailure).toBe('Stop ghost failed: unknown server "ghost"; the config has: memory');
    expect(messages).toEqual([['Stop ghost failed', 'unknown server "ghost"; the config has: memory']]);
    expect(onChange).toHaveBeenCalledOnce();
    await actions.run({ kind: 'server', server: 'memory', verb: 'start' });
    expect(actions.lastFailure).toBeUndefined();
    expect(onChange).toHaveBeenCalledTimes(2);
  });

  it('forgets a failure after five minutes', async () => {
    const actions = create();
    request.mockRejectedValueOnce(new Error('boom'));
    await actions.run({ kind: 'reload-config' });
    expect(actions.lastFailure).toBe('Reload config failed: boom');
    now += 5 * 60_000 + 1;
    expect(actions.lastFailure).toBeUndefined();
  });

  it('says the supervisor is down, with its reason, when an action needs it', async () => {
    view = { phase: 'down', reason: 'port 7420 is in use', isFailure: true, canStart: true };
    const actions = create();
    await actions.run({ kind: 'server', server: 'memory', verb: 'start' });
    await actions.run({ kind: 'copy-url', server: 'memory' });
    expect(messages).toEqual([
      ['Start memory failed', 'the supervisor is not running (port 7420 is in use)'],
      ['Copy the URL of memory failed', 'the supervisor is not running (port 7420 is in use)'],
    ]);
    expect(request).not.toHaveBeenCalled();
  });

  it('opens the console at a route, and copies a server URL', async () => {
    const actions = create();
    await actions.run({ kind: 'open-console', route: { view: 'server-logs', name: 'memory' } });
    await actions.run({ kind: 'copy-url', server: 'my server' });
    expect(opened).toEqual([{ view: 'server-logs', name: 'memory' }]);
    expect(clipboard).toEqual(['http://127.0.0.1:7420/mcp/my%20server']);
  });

  it('opens the config file in use, or says there is none yet', async () => {
    await create().run({ kind: 'open-config' });
    expect(openPath).toHaveBeenCalledWith('/home/me/.config/mcp-supervisor/config.json');
    snapshot = { ...snapshot, configFile: null };
    const actions = create();
    await actions.run({ kind: 'open-config' });
    expect(actions.lastFailure).toBe(
      `Open config failed: there is no config file yet (the built-in default servers run); create ${path.join(dir, 'config.json')}, or use Import from…`,
    );
    await writeFile(path.join(dir, 'config.json'), '{}');
    await actions.run({ kind: 'open-config' });
    expect(openPath).toHaveBeenLastCalledWith(path.join(dir, 'config.json'));
    openPath.mockResolvedValueOnce('No application is associated with this file');
    await actions.run({ kind: 'open-config' });
    expect(actions.lastFailure).toBe(
      `Open config failed: cannot open ${path.join(dir, 'config.json')}: No application is associated with this file`,
    );
  });

  it('reloads the config and says what changed', async () => {
    request.mockResolvedValueOnce({
      ok: true,
      result: { added: ['fs'], removed: [], changed: ['memory'], unchanged: [] },
    });
    await create().run({ kind: 'reload-config' });
    expect(request).toHaveBeenCalledWith('POST', '/api/reload', { signal: expect.any(AbortSignal) });
    expect(messages).toEqual([['Config reloaded', '1 added (fs), 1 changed (memory)']]);
    expect(describeReload({ added: [], changed: [], removed: [] })).toBe('nothing changed');
    expect(describeReload(undefined)).toBe('nothing changed');
  });

  it('persists the pause and start at login', async () => {
    const actions = create();
    await actions.run({ kind: 'toggle-notifications' });
    await actions.run({ kind: 'toggle-start-at-login' });
    expect(loginItemSet).toHaveBeenCalledWith(true);
    const reread = new SettingsStore({ directory: path.join(dir, 'userData') });
    expect(await reread.load()).toEqual({ isNotificationsPaused: true, isStartAtLogin: true });
    expect(onChange).toHaveBeenCalledTimes(2);
  });

  it('refuses start at login where there are no login items', async () => {
    isLoginItemSupported = false;
    const actions = create();
    await actions.run({ kind: 'toggle-start-at-login' });
    expect(actions.lastFailure).toBe(
      'Start at login failed: this platform has no login items; use its autostart settings',
    );
    expect(loginItemSet).not.toHaveBeenCalled();
  });

  it('opens the supervisor log and quits', async () => {
    const actions = create();
    await actions.run({ kind: 'show-supervisor-log' });
    expect(openPath).toHaveBeenCalledWith(path.join(dir, 'logs', 'detached.out'));
    await actions.run({ kind: 'quit' });
    expect(quit).toHaveBeenCalledOnce();
  });

  it('acknowledges and restarts from a notification', async () => {
    const actions = create();
    await actions.notificationAction({ id: 'acknowledge', alertId: 9 });
    await actions.notificationAction({ id: 'restart', alertId: 9, server: 'memory' });
    expect(request.mock.calls.map(([method, url]) => `${method} ${url}`)).toEqual([
      'POST /api/alerts/9/ack',
      'POST /api/servers/memory/restart',
    ]);
  });

  it('imports through the injected importer, then reloads', async () => {
    const plan = { sourceFile: '/c.json', added: ['github'], changed: [], renamed: [], skipped: [] };
    const importer: ConfigImporter = {
      planImport: vi.fn(async () => plan),
      applyImport: vi.fn(async () => ({ configFile: '/cfg.json' })),
    };
    request.mockResolvedValueOnce({ ok: true, result: { added: ['github'], removed: [], changed: [] } });
    const actions = create(importer);
    expect(actions.isImportAvailable).toBe(true);
    await actions.run({ kind: 'import', from: 'claude' });
    expect(importer.planImport).toHaveBeenCalledWith(
      { client: 'claude' },
      { signal: expect.any(AbortSignal) },
    );
    expect(importer.applyImport).toHaveBeenCalledWith(plan, { signal: expect.any(AbortSignal) });
    expect(messages).toEqual([['Imported', 'Wrote /cfg.json. Reloaded: 1 added (github)']]);
  });

  it('says why an import failed, and that this build may have no importer', async () => {
    const importer: ConfigImporter = {
      planImport: async () => {
        throw new Error('~/.cursor/mcp.json is not valid JSON at line 3; fix it or pick the file');
      },
      applyImport: vi.fn(),
    };
    const actions = create(importer);
    await actions.run({ kind: 'import', from: 'cursor' });
    expect(actions.lastFailure).toBe(
      'Import from cursor failed: ~/.cursor/mcp.json is not valid JSON at line 3; fix it or pick the file',
    );
    expect(importer.applyImport).not.toHaveBeenCalled();
    const without = create();
    expect(without.isImportAvailable).toBe(false);
    await without.run({ kind: 'import', from: 'file' });
    expect(without.lastFailure).toMatch(/^Import from a file failed: this build has no importer/);
  });
});
