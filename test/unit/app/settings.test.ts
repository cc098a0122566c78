import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { electronMocks, electronState } from '../../helpers/electron-mock.ts';

vi.mock('electron', () => import('../../helpers/electron-mock.ts'));
const { DEFAULT_SETTINGS, SettingsStore, setupLoginItem, setupSettings } = await import(
  '../../../app/settings.ts'
);

let dir: string;
const warnings: string[] = [];
const log = { info: () => {}, warn: (message: string) => warnings.push(message) };

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'mcps-settings-'));
  electronState.reset({ userData: path.join(dir, 'userData') });
  warnings.length = 0;
});
afterEach(() => rm(dir, { recursive: true, force: true }));

describe('settings', () => {
  it('start with the defaults when there is no file', async () => {
    const store = new SettingsStore({ directory: dir, log });
    expect(await store.load()).toEqual({ isNotificationsPaused: false, isStartAtLogin: false });
    expect(DEFAULT_SETTINGS).toEqual({ isNotificationsPaused: false, isStartAtLogin: false });
    expect(warnings).toEqual([]);
  });

  it('survive a restart: what one run wrote, the next one reads', async () => {
    const first = await setupSettings(log);
    await first.update({ isNotificationsPaused: true });
    await first.update({ isStartAtLogin: true });
    const file = path.join(electronState.userData, 'settings.json');
    expect(first.file).toBe(file);
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual({
      isNotificationsPaused: true,
      isStartAtLogin: true,
    });
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    // No temp file is left beside it.
    expect(await readdir(electronState.userData)).toEqual(['settings.json']);

    const second = await setupSettings(log);
    expect(second.get()).toEqual({ isNotificationsPaused: true, isStartAtLogin: true });
  });

  it('keep quick toggles in order', async () => {
    const store = new SettingsStore({ directory: dir });
    await Promise.all([
      store.update({ isNotificationsPaused: true }),
      store.update({ isNotificationsPaused: false }),
      store.update({ isNotificationsPaused: true }),
    ]);
    const reread = new SettingsStore({ directory: dir });
    expect((await reread.load()).isNotificationsPaused).toBe(true);
  });

  it('fall back to the defaults, with a warning, for a broken or invalid file', async () => {
    await writeFile(path.join(dir, 'settings.json'), '{ not json');
    const broken = new SettingsStore({ directory: dir, log });
    expect(await broken.load()).toEqual(DEFAULT_SETTINGS);
    expect(warnings[0]).toMatch(/settings\.json is not JSON/);
    await writeFile(path.join(dir, 'settings.json'), '{"isNotificationsPaused":"yes"}');
    const invalid = new SettingsStore({ directory: dir, log });
    expect(await invalid.load()).toEqual(DEFAULT_SETTINGS);
    expect(warnings[1]).toMatch(/settings\.json is invalid \(.*expected boolean/);
  });
});

describe('start at login', () => {
  it('sets the login item on macOS and Windows, and the OS setting wins at startup', async () => {
    const settings = new SettingsStore({ directory: dir, log });
    await settings.update({ isStartAtLogin: true });
    // The user removed the app from Login Items in System Settings meanwhile.
    electronState.loginItem = { openAtLogin: false };
    const item = setupLoginItem(settings, 'darwin', log);
    expect(item.isSupported).toBe(true);
    expect(settings.get().isStartAtLogin).toBe(false);
    await settings.flush();
    expect((await new SettingsStore({ directory: dir }).load()).isStartAtLogin).toBe(false);
    item.set(true);
    expect(electronMocks.setLoginItemSettings).toHaveBeenCalledWith({ openAtLogin: true });
    // item.set(true) changed the OS setting: a second start adopts it, and saves it. The save is
    // awaited: left in flight, it raced afterEach's rm of the directory (ENOTEMPTY, once in a
    // full run).
    expect(setupLoginItem(settings, 'win32', log).isSupported).toBe(true);
    expect(settings.get().isStartAtLogin).toBe(true);
    await settings.flush();
    expect((await new SettingsStore({ directory: dir }).load()).isStartAtLogin).toBe(true);
  });

  it('is not offered on Linux, where Electron has no login items', () => {
    const settings = new SettingsStore({ directory: dir, log });
    expect(setupLoginItem(settings, 'linux', log).isSupported).toBe(false);
  });
});
