/**
 * A stand-in for the `electron` module, for the app's tests (Electron's binary cannot be
 * downloaded on the build machines). Use it with
 *
 *     vi.mock('electron', () => import('../../helpers/electron-mock.ts'));
 *
 * and read what the app did through `electronState` (reset it in `beforeEach`). Each fake records
 * what was called and lets a test fire the events Electron would (clicks, navigation, exits).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { vi } from 'vitest';

type Listener = (...args: unknown[]) => unknown;

/** Listeners by event name, with `emit` returning the listeners' results. */
class Listeners {
  readonly map = new Map<string, Listener[]>();
  on(event: string, listener: Listener): void {
    this.map.set(event, [...(this.map.get(event) ?? []), listener]);
  }
  emit(event: string, ...args: unknown[]): unknown[] {
    return (this.map.get(event) ?? []).map((listener) => listener(...args));
  }
  count(event: string): number {
    return this.map.get(event)?.length ?? 0;
  }
}

let nextContentsId = 1;

export class FakeWebContents {
  readonly id = nextContentsId++;
  readonly listeners = new Listeners();
  url = '';
  windowOpenHandler: ((details: { url: string }) => { action: string }) | undefined;
  getURL(): string {
    return this.url;
  }
  setWindowOpenHandler(handler: (details: { url: string }) => { action: string }): void {
    this.windowOpenHandler = handler;
  }
  on(event: string, listener: Listener): this {
    this.listeners.on(event, listener);
    return this;
  }
  /** Fires `will-navigate` (or `will-redirect`) as Electron does; true when it was prevented. */
  navigate(url: string, event: 'will-navigate' | 'will-redirect' = 'will-navigate'): boolean {
    let isPrevented = false;
    this.listeners.emit(event, { url, preventDefault: () => (isPrevented = true) }, url);
    return isPrevented;
  }
}

export class FakeBrowserWindow {
  readonly options: Record<string, unknown>;
  readonly webContents = new FakeWebContents();
  readonly listeners = new Listeners();
  readonly loads: string[] = [];
  isDestroyedValue = false;
  isMinimizedValue = false;
  shows = 0;
  focuses = 0;
  restores = 0;
  constructor(options: Record<string, unknown>) {
    this.options = options;
    electronState.windows.push(this);
  }
  isDestroyed(): boolean {
    return this.isDestroyedValue;
  }
  isMinimized(): boolean {
    return this.isMinimizedValue;
  }
  restore(): void {
    this.restores++;
    this.isMinimizedValue = false;
  }
  show(): void {
    this.shows++;
  }
  focus(): void {
    this.focuses++;
  }
  close(): void {
    this.isDestroyedValue = true;
    this.listeners.emit('closed');
  }
  async loadURL(url: string): Promise<void> {
    this.loads.push(url);
    this.webContents.url = url;
  }
  once(event: string, listener: Listener): this {
    this.listeners.on(event, listener);
    return this;
  }
  on(event: string, listener: Listener): this {
    this.listeners.on(event, listener);
    return this;
  }
}

export class FakeTray {
  readonly listeners = new Listeners();
  image: unknown;
  tooltip = '';
  menu: { template: MenuTemplateItem[] } | undefined;
  setImageCalls = 0;
  setMenuCalls = 0;
  isDestroyed = false;
  constructor(image: unknown) {
    this.image = image;
    electronState.trays.push(this);
  }
  setImage(image: unknown): void {
    this.image = image;
    this.setImageCalls++;
  }
  setToolTip(text: string): void {
    this.tooltip = text;
  }
  setContextMenu(menu: { template: MenuTemplateItem[] }): void {
    this.menu = menu;
    this.setMenuCalls++;
  }
  on(event: string, listener: Listener): this {
    this.listeners.on(event, listener);
    return this;
  }
  destroy(): void {
    this.isDestroyed = true;
  }
}

export interface MenuTemplateItem {
  label?: string;
  type?: string;
  enabled?: boolean;
  checked?: boolean;
  submenu?: MenuTemplateItem[];
  click?: () => void;
}

export class FakeNotification {
  static isSupported = vi.fn(() => true);
  readonly options: { title: string; body: string; actions?: { text: string }[]; urgency?: string };
  readonly listeners = new Listeners();
  shows = 0;
  constructor(options: FakeNotification['options']) {
    this.options = options;
    electronState.notifications.push(this);
  }
  show(): void {
    this.shows++;
  }
  on(event: string, listener: Listener): this {
    this.listeners.on(event, listener);
    return this;
  }
  /** Clicks the action button at `index` (Electron passes the details first). */
  clickAction(index: number): void {
    this.listeners.emit('action', { actionIndex: index }, index);
  }
}

/** Everything the app did to the fake Electron since the last `reset()`. */
export const electronState = {
  userData: path.join(os.tmpdir(), 'mcps-electron-userdata'),
  appListeners: new Listeners(),
  ipcHandlers: new Map<string, Listener>(),
  windows: [] as FakeBrowserWindow[],
  trays: [] as FakeTray[],
  notifications: [] as FakeNotification[],
  loginItem: { openAtLogin: false },
  reset(options: { userData?: string } = {}): void {
    if (options.userData) this.userData = options.userData;
    this.appListeners = new Listeners();
    this.ipcHandlers.clear();
    this.windows.length = 0;
    this.trays.length = 0;
    this.notifications.length = 0;
    this.loginItem = { openAtLogin: false };
    FakeNotification.isSupported.mockReturnValue(true);
    for (const fn of Object.values(mocks)) fn.mockClear();
  },
};

const mocks = {
  requestSingleInstanceLock: vi.fn(() => true),
  quit: vi.fn(),
  exit: vi.fn(),
  whenReady: vi.fn(() => new Promise<void>(() => {})),
  setLoginItemSettings: vi.fn((settings: { openAtLogin: boolean }) => {
    electronState.loginItem = { openAtLogin: settings.openAtLogin };
  }),
  showAboutPanel: vi.fn(),
  setAboutPanelOptions: vi.fn(),
  openExternal: vi.fn(async (_url: string) => {}),
  openPath: vi.fn(async (_path: string) => ''),
  writeText: vi.fn((_text: string) => {}),
  showOpenDialog: vi.fn(async () => ({ canceled: true, filePaths: [] as string[] })),
  showMessageBox: vi.fn(async () => ({ response: 1 })),
  showErrorBox: vi.fn((_title: string, _content: string) => {}),
  setPermissionRequestHandler: vi.fn(),
  setPermissionCheckHandler: vi.fn(),
  fork: vi.fn((): unknown => {
    throw new Error('utilityProcess.fork is not set up in this test');
  }),
  buildFromTemplate: vi.fn((template: MenuTemplateItem[]) => ({ template })),
  createFromPath: vi.fn((file: string) => ({ file })),
};
export const electronMocks = mocks;

export const app = {
  on: (event: string, listener: Listener) => {
    electronState.appListeners.on(event, listener);
    return app;
  },
  requestSingleInstanceLock: mocks.requestSingleInstanceLock,
  quit: mocks.quit,
  exit: mocks.exit,
  whenReady: mocks.whenReady,
  getPath: (name: string) => (name === 'userData' ? electronState.userData : os.tmpdir()),
  getVersion: () => '0.0.0-test',
  getAppPath: () => process.cwd(),
  getLoginItemSettings: () => ({ ...electronState.loginItem }),
  setLoginItemSettings: mocks.setLoginItemSettings,
  setAboutPanelOptions: mocks.setAboutPanelOptions,
  showAboutPanel: mocks.showAboutPanel,
};

export const ipcMain = {
  handle: (channel: string, handler: Listener) => electronState.ipcHandlers.set(channel, handler),
  removeHandler: (channel: string) => electronState.ipcHandlers.delete(channel),
};

export const BrowserWindow = FakeBrowserWindow;
export const Tray = FakeTray;
export const Notification = FakeNotification;
export const Menu = { buildFromTemplate: mocks.buildFromTemplate };
export const nativeImage = { createFromPath: mocks.createFromPath };
export const shell = { openExternal: mocks.openExternal, openPath: mocks.openPath };
export const clipboard = { writeText: mocks.writeText };
export const dialog = {
  showOpenDialog: mocks.showOpenDialog,
  showMessageBox: mocks.showMessageBox,
  showErrorBox: mocks.showErrorBox,
};
export const session = {
  defaultSession: {
    setPermissionRequestHandler: mocks.setPermissionRequestHandler,
    setPermissionCheckHandler: mocks.setPermissionCheckHandler,
  },
};
export const utilityProcess = { fork: mocks.fork };

/** A menu item of the tray's current menu by its label path (`['memory — online', 'Stop']`). */
export function menuItem(tray: FakeTray, labels: string[]): MenuTemplateItem {
  let items = tray.menu?.template ?? [];
  let found: MenuTemplateItem | undefined;
  for (const label of labels) {
    found = items.find((item) => item.label === label);
    if (!found) {
      throw new Error(`no menu item "${label}" in: ${items.map((item) => item.label ?? '—').join(' | ')}`);
    }
    items = found.submenu ?? [];
  }
  return found as MenuTemplateItem;
}

/**
 * Electron's `utilityProcess.fork`, played by a real Node child running the same script with the
 * same arguments, environment and stdio (a utility process is a Node process under Electron).
 */
export function forkWithNode(
  modulePath: string,
  args: string[],
  options: { env?: NodeJS.ProcessEnv; stdio?: ('ignore' | 'pipe' | 'inherit')[] },
): ChildProcess {
  return spawn(process.execPath, [modulePath, ...args], {
    env: options.env,
    stdio: options.stdio ?? 'inherit',
  });
}
