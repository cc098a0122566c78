import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { TrayAction } from '../../../app/tray-menu.ts';
import type { TraySnapshot } from '../../../app/tray-state.ts';
import { electronMocks, electronState, menuItem } from '../../helpers/electron-mock.ts';

vi.mock('electron', () => import('../../helpers/electron-mock.ts'));
const { setupTray } = await import('../../../app/tray.ts');

const running = { phase: 'running', isOwned: true, origin: 'http://127.0.0.1:7420', pid: 1 } as const;
let snapshot: TraySnapshot;
let menuOptions: Parameters<typeof setupTray>[0]['menuOptions'] extends () => infer R ? R : never;
const runs: TrayAction[] = [];

function setup(platform: NodeJS.Platform = 'linux') {
  const view = setupTray({
    resourcesDir: '/app/resources',
    platform,
    snapshot: () => snapshot,
    menuOptions: () => menuOptions,
    run: async (action) => {
      runs.push(action);
    },
  });
  const tray = electronState.trays.at(-1);
  if (!tray) throw new Error('no tray');
  return { view, tray };
}

beforeEach(() => {
  electronState.reset();
  runs.length = 0;
  snapshot = { supervisor: running, servers: [{ name: 'memory', state: 'online' }] };
  menuOptions = {
    isNotificationsPaused: false,
    isStartAtLogin: false,
    isStartAtLoginSupported: true,
    isImportAvailable: true,
  };
});

describe('tray', () => {
  it('shows the icon, tooltip and menu of the snapshot', () => {
    const { tray } = setup();
    expect(tray.image).toEqual({ file: '/app/resources/tray-green.png' });
    expect(tray.tooltip).toBe('mcp-supervisor: 1 online');
    expect(menuItem(tray, ['● memory — online', 'Stop']).enabled).toBe(true);
  });

  it('uses template images on macOS', () => {
    snapshot = {
      supervisor: { phase: 'down', reason: 'x', isFailure: true, canStart: true },
      servers: undefined,
    };
    const { tray } = setup('darwin');
    expect(tray.image).toEqual({ file: '/app/resources/tray-offlineTemplate.png' });
  });

  it('dispatches menu clicks as tray actions', () => {
    const { tray } = setup();
    menuItem(tray, ['● memory — online', 'Restart']).click?.();
    menuItem(tray, ['● memory — online', 'Logs']).click?.();
    menuItem(tray, ['Import from…', 'Cursor']).click?.();
    menuItem(tray, ['Pause notifications']).click?.();
    menuItem(tray, ['Quit']).click?.();
    expect(runs).toEqual([
      { kind: 'server', server: 'memory', verb: 'restart' },
      { kind: 'open-console', route: { view: 'server-logs', name: 'memory' } },
      { kind: 'import', from: 'cursor' },
      { kind: 'toggle-notifications' },
      { kind: 'quit' },
    ]);
    expect(menuItem(tray, ['Pause notifications'])).toMatchObject({ type: 'checkbox', checked: false });
  });

  it('changes image, tooltip and menu only when what they show changed', () => {
    const { view, tray } = setup();
    view.render();
    expect(tray.setImageCalls).toBe(0);
    expect(tray.setMenuCalls).toBe(1);
    snapshot = { supervisor: running, servers: [{ name: 'memory', state: 'errored', lastError: 'boom' }] };
    view.render();
    expect(tray.image).toEqual({ file: '/app/resources/tray-red.png' });
    expect(tray.tooltip).toBe('mcp-supervisor: 1 errored');
    expect(tray.setMenuCalls).toBe(2);
    menuOptions = { ...menuOptions, isNotificationsPaused: true };
    view.render();
    expect(tray.setImageCalls).toBe(1);
    expect(tray.setMenuCalls).toBe(3);
    expect(menuItem(tray, ['Pause notifications']).checked).toBe(true);
  });

  it('opens the console on a click of the icon on Windows only', () => {
    const linux = setup('linux');
    expect(linux.tray.listeners.count('click')).toBe(0);
    const windows = setup('win32');
    windows.tray.listeners.emit('click');
    expect(runs).toEqual([{ kind: 'open-console', route: { view: 'home' } }]);
    windows.view.dispose();
    expect(windows.tray.isDestroyed).toBe(true);
    expect(electronMocks.createFromPath).toHaveBeenCalledWith('/app/resources/tray-green.png');
  });
});
