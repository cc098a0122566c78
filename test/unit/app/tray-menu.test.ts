import { describe, expect, it } from 'vitest';
import type { SupervisorView } from '../../../app/supervisor-view.ts';
import type { ServerRow } from '../../../app/supervisor-wire.ts';
import { type MenuItemModel, type MenuOptions, trayMenu } from '../../../app/tray-menu.ts';

const running: SupervisorView = { phase: 'running', isOwned: true, origin: 'http://127.0.0.1:7420', pid: 1 };
const options: MenuOptions = {
  isNotificationsPaused: false,
  isStartAtLogin: false,
  isStartAtLoginSupported: true,
  isImportAvailable: true,
};
type Item = Exclude<MenuItemModel, { type: 'separator' }>;
const labels = (items: MenuItemModel[]) => items.map((item) => ('label' in item ? item.label : '—'));
const find = (items: MenuItemModel[], label: string) => {
  const item = items.find((i) => 'label' in i && i.label === label) as Item | undefined;
  if (!item) throw new Error(`no "${label}" in ${labels(items).join(' | ')}`);
  return item;
};
const servers: ServerRow[] = [
  { name: 'memory', state: 'online' },
  {
    name: 'files',
    state: 'errored',
    lastError: 'keeps crashing',
    lastExit: { exitCode: 1, signal: null, at: 1 },
  },
  { name: 'web', state: 'stopped' },
];

describe('tray menu', () => {
  it('lists the status, each server, the console, config, import, preferences, About and Quit', () => {
    const menu = trayMenu({ supervisor: running, servers }, options);
    expect(labels(menu)).toEqual([
      '1 errored, 1 online, 1 stopped',
      '—',
      '● memory — online',
      '⚠ files — errored',
      '● web — stopped',
      '—',
      'Open console',
      'Alerts',
      '—',
      'Open config',
      'Reload config',
      'Import from…',
      '—',
      'Pause notifications',
      'Start at login',
      '—',
      'About mcp-supervisor',
      'Quit',
    ]);
    expect(find(menu, '1 errored, 1 online, 1 stopped').enabled).toBe(false);
  });

  it('gives each server its state with the reason and the actions that fit it', () => {
    const menu = trayMenu({ supervisor: running, servers }, options);
    const memory = find(menu, '● memory — online').submenu as MenuItemModel[];
    expect(labels(memory)).toEqual([
      'online',
      '—',
      'Start',
      'Stop',
      'Restart',
      '—',
      'Logs',
      'Details',
      'Copy URL',
    ]);
    expect(find(memory, 'Start').enabled).toBe(false);
    expect(find(memory, 'Stop').enabled).toBe(true);
    expect(find(memory, 'Stop').action).toEqual({ kind: 'server', server: 'memory', verb: 'stop' });
    expect(find(memory, 'Logs').action).toEqual({
      kind: 'open-console',
      route: { view: 'server-logs', name: 'memory' },
    });
    expect(find(memory, 'Copy URL').action).toEqual({ kind: 'copy-url', server: 'memory' });

    const files = find(menu, '⚠ files — errored').submenu as MenuItemModel[];
    expect(labels(files)[0]).toBe('errored: exit code 1: keeps crashing');
    expect(find(files, 'Start').enabled).toBe(true);
    expect(find(files, 'Stop').enabled).toBe(false);
    const web = find(menu, '● web — stopped').submenu as MenuItemModel[];
    expect(labels(web)[0]).toBe('stopped');
  });

  it('shows checkboxes for the persisted preferences', () => {
    const menu = trayMenu(
      { supervisor: running, servers },
      { ...options, isNotificationsPaused: true, isStartAtLogin: true },
    );
    expect(find(menu, 'Pause notifications')).toMatchObject({ type: 'checkbox', checked: true });
    expect(find(menu, 'Start at login')).toMatchObject({ type: 'checkbox', checked: true, enabled: true });
    const linux = trayMenu({ supervisor: running, servers }, { ...options, isStartAtLoginSupported: false });
    expect(find(linux, 'Start at login (use your desktop’s autostart settings)').enabled).toBe(false);
  });

  it('offers every client to import from, and a file', () => {
    const menu = trayMenu({ supervisor: running, servers }, options);
    const submenu = find(menu, 'Import from…').submenu as MenuItemModel[];
    expect(labels(submenu)).toEqual(['Claude Desktop', 'Cursor', 'VS Code', 'Windsurf', '—', 'File…']);
    expect(find(submenu, 'VS Code').action).toEqual({ kind: 'import', from: 'vscode' });
    expect(find(submenu, 'File…').action).toEqual({ kind: 'import', from: 'file' });
    const without = trayMenu({ supervisor: running, servers }, { ...options, isImportAvailable: false });
    expect(find(without, 'Import from… (not in this build)').enabled).toBe(false);
  });

  it('shows why the supervisor is down, its log and a retry; no server or console items', () => {
    const menu = trayMenu(
      {
        supervisor: {
          phase: 'down',
          reason:
            'port 7420 on 127.0.0.1 is in use; set supervisor.port or MCP_SUPERVISOR_PORT to a free port (the supervisor exited with code 9 while starting)',
          isFailure: true,
          canStart: true,
          logFile: '/home/me/.local/state/mcp-supervisor/detached.out',
        },
        servers: undefined,
      },
      options,
    );
    expect(labels(menu).slice(0, 5)).toEqual([
      'Supervisor not running',
      'port 7420 on 127.0.0.1 is in use; set supervisor.port or MCP_SUPERVISOR_PORT to a free',
      'port (the supervisor exited with code 9 while starting)',
      'Show supervisor log',
      'Retry',
    ]);
    expect(find(menu, 'Show supervisor log').action).toEqual({ kind: 'show-supervisor-log' });
    expect(find(menu, 'Retry').action).toEqual({ kind: 'start-supervisor' });
    expect(find(menu, 'Open console').enabled).toBe(false);
    expect(find(menu, 'Reload config').enabled).toBe(false);
    expect(find(menu, 'Open config').enabled).toBeUndefined();
  });

  it('offers to start a supervisor that was stopped, and not while another process holds the home', () => {
    const stopped = trayMenu(
      {
        supervisor: { phase: 'down', reason: 'stopped', isFailure: false, canStart: true },
        servers: undefined,
      },
      options,
    );
    expect(find(stopped, 'Start supervisor').enabled).toBe(true);
    expect(labels(stopped)).not.toContain('Show supervisor log');
    const held = trayMenu(
      {
        supervisor: { phase: 'down', reason: 'pid 4 does not answer', isFailure: true, canStart: false },
        servers: undefined,
      },
      options,
    );
    expect(find(held, 'Retry').enabled).toBe(false);
  });

  it('shows the last failed action under the status line', () => {
    const menu = trayMenu(
      { supervisor: running, servers },
      { ...options, lastFailure: 'Restart memory failed: no server "memory"' },
    );
    expect(labels(menu)[1]).toBe('⚠ Restart memory failed: no server "memory"');
    const long = trayMenu(
      { supervisor: running, servers },
      { ...options, lastFailure: `Open config failed: cannot open ${'/very/long/path'.repeat(20)}` },
    );
    // Two lines at most; a path without spaces is cut where it must be.
    expect(labels(long).slice(1, 4)).toEqual([
      `⚠ Open config failed: cannot open ${'/very/long/path'.repeat(3)}/very/long/`,
      `path${'/very/long/path'.repeat(5)}/very/long…`,
      '—',
    ]);
    expect(find(menu, '⚠ Restart memory failed: no server "memory"').enabled).toBe(false);
  });

  it('cuts long lines so the menu stays usable', () => {
    const long = trayMenu(
      { supervisor: running, servers: [{ name: 'x', state: 'errored', lastError: 'e'.repeat(500) }] },
      options,
    );
    const submenu = find(long, '⚠ x — errored').submenu as MenuItemModel[];
    expect((submenu[0] as Item).label.length).toBe(90);
  });
});
