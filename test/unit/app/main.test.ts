import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

// The Electron binary cannot be downloaded on build machines: main's logic runs against a mock.
const electron = vi.hoisted(() => {
  const handlers = new Map<string, (event: unknown) => unknown>();
  const appListeners = new Map<string, (...args: unknown[]) => void>();
  return {
    handlers,
    appListeners,
    app: {
      requestSingleInstanceLock: vi.fn(() => true),
      quit: vi.fn(),
      exit: vi.fn(),
      on: vi.fn((event: string, listener: (...args: unknown[]) => void) => appListeners.set(event, listener)),
      whenReady: vi.fn(() => new Promise(() => {})),
    },
    ipcMain: {
      handle: vi.fn((channel: string, handler: (event: unknown) => unknown) =>
        handlers.set(channel, handler),
      ),
    },
  };
});

vi.mock('electron', () => ({
  app: electron.app,
  ipcMain: electron.ipcMain,
  BrowserWindow: vi.fn(),
  Menu: { buildFromTemplate: vi.fn() },
  Notification: vi.fn(),
  nativeImage: { createFromPath: vi.fn() },
  shell: { openPath: vi.fn() },
  Tray: vi.fn(),
  utilityProcess: { fork: vi.fn() },
}));

let home: string;

beforeEach(() => {
  home = mkdtempSync(path.join(os.tmpdir(), 'mcps-app-'));
  process.env.MCP_SUPERVISOR_HOME = home;
  electron.handlers.clear();
  electron.appListeners.clear();
  vi.clearAllMocks();
  vi.resetModules();
});

afterEach(() => {
  delete process.env.MCP_SUPERVISOR_HOME;
  rmSync(home, { recursive: true, force: true });
});

describe('app main', () => {
  it('quits at once when another instance holds the single-instance lock', async () => {
    electron.app.requestSingleInstanceLock.mockReturnValueOnce(false);
    await import('../../../app/main.ts');
    expect(electron.app.quit).toHaveBeenCalledOnce();
    expect(electron.ipcMain.handle).not.toHaveBeenCalled();
  });

  it('answers the connection IPC only to windows it created', async () => {
    writeFileSync(path.join(home, 'control-token'), 'x'.repeat(64));
    await import('../../../app/main.ts');
    const handler = electron.handlers.get('mcp-supervisor:connection');
    expect(handler).toBeDefined();
    // A sender the app never created (another page, a devtools extension) gets nothing.
    expect(await handler?.({ sender: { id: 12345 } })).toBeUndefined();
  });

  it('keeps running when the last window closes (it is a tray app)', async () => {
    await import('../../../app/main.ts');
    const listener = electron.appListeners.get('window-all-closed');
    expect(listener).toBeDefined();
    listener?.();
    expect(electron.app.quit).not.toHaveBeenCalled();
  });
});
