import { describe, expect, it } from 'vitest';
import { trayColour, trayMenu, trayTooltip } from '../../../app/tray-state.ts';

describe('tray state', () => {
  it('colours the icon by the worst server state', () => {
    expect(trayColour(undefined)).toBe('grey');
    expect(trayColour([])).toBe('green');
    expect(trayColour([{ name: 'a', state: 'online' }])).toBe('green');
    expect(
      trayColour([
        { name: 'a', state: 'online' },
        { name: 'b', state: 'restarting' },
      ]),
    ).toBe('yellow');
    expect(
      trayColour([
        { name: 'a', state: 'restarting' },
        { name: 'b', state: 'errored' },
      ]),
    ).toBe('red');
    expect(trayColour([{ name: 'a', state: 'something-new' }])).toBe('red');
  });

  it('says how many servers are online', () => {
    expect(trayTooltip(undefined)).toBe('mcp-supervisor: not running');
    expect(
      trayTooltip([
        { name: 'a', state: 'online' },
        { name: 'b', state: 'errored' },
      ]),
    ).toBe('mcp-supervisor: 1/2 servers online');
  });

  it('lists each server with actions that fit its state, then the app items', () => {
    const menu = trayMenu(
      [
        { name: 'memory', state: 'online' },
        { name: 'files', state: 'errored' },
      ],
      { isNotificationsPaused: true },
    );
    const labels = menu.map((item) => ('label' in item ? item.label : '—'));
    expect(labels).toEqual([
      'memory — online',
      'files — errored',
      '—',
      'Open dashboard',
      'Resume notifications',
      '—',
      'Quit',
    ]);
    const memory = menu[0] as { submenu: { label: string; enabled?: boolean }[] };
    expect(memory.submenu.find((i) => i.label === 'Start')?.enabled).toBe(false);
    expect(memory.submenu.find((i) => i.label === 'Stop')?.enabled).toBe(true);
    const files = menu[1] as { submenu: { label: string; enabled?: boolean }[] };
    expect(files.submenu.find((i) => i.label === 'Start')?.enabled).toBe(true);
  });

  it('shows a disabled line when the supervisor is not running', () => {
    const menu = trayMenu(undefined, { isNotificationsPaused: false });
    expect(menu[0]).toEqual({ label: 'Supervisor not running', enabled: false });
    expect(menu.some((item) => 'label' in item && item.label === 'Pause notifications')).toBe(true);
  });
});
