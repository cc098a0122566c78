import { EventEmitter } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type * as ElectronMock from '../../helpers/electron-mock.ts';

// The Electron binary cannot be downloaded on build machines: main's wiring runs against a mock.
vi.mock('electron', () => import('../../helpers/electron-mock.ts'));

let home: string;
let electronState: typeof ElectronMock.electronState;
let electronMocks: typeof ElectronMock.electronMocks;
let menuItem: typeof ElectronMock.menuItem;
let consoleSpies: { mockRestore(): void }[] = [];

beforeEach(async () => {
  home = await mkdtemp(path.join(os.tmpdir(), 'mcps-app-'));
  process.env.MCP_SUPERVISOR_HOME = home;
  // main.ts runs at import: a fresh module graph per test. The mocked `electron` survives the
  // reset (vitest caches a mock factory's result), so its state is read through it.
  vi.resetModules();
  ({ electronState, electronMocks, menuItem } = (await import('electron')) as unknown as typeof ElectronMock);
  electronState.reset({ userData: path.join(home, 'userData') });
  // The app logs to the console; the assertions here are on what it shows.
  consoleSpies = [
    vi.spyOn(console, 'info').mockImplementation(() => {}),
    vi.spyOn(console, 'warn').mockImplementation(() => {}),
  ];
});

afterEach(async () => {
  for (const spy of consoleSpies) spy.mockRestore();
  delete process.env.MCP_SUPERVISOR_HOME;
  await rm(home, { recursive: true, force: true });
});

describe('app main', () => {
  it('quits at once when another instance holds the single-instance lock', async () => {
    electronMocks.requestSingleInstanceLock.mockReturnValueOnce(false);
    await import('../../../app/main.ts');
    expect(electronMocks.quit).toHaveBeenCalledOnce();
    expect(electronState.ipcHandlers.size).toBe(0);
    expect(electronMocks.fork).not.toHaveBeenCalled();
  });

  it('answers the connection IPC only to the console window it created', async () => {
    await writeFile(path.join(home, 'control-token'), 'x'.repeat(64));
    await import('../../../app/main.ts');
    const handler = electronState.ipcHandlers.get('mcp-supervisor:connection');
    expect(handler).toBeDefined();
    // A sender the app never created (another page, a devtools extension) is refused.
    await expect(
      Promise.resolve(
        handler?.({ sender: { id: 12345 }, senderFrame: { url: 'http://127.0.0.1:7420/ui/' } }),
      ),
    ).rejects.toThrow(/refused/);
  });

  it('says why in a dialog, and exits, when it cannot set itself up', async () => {
    let ready!: () => void;
    electronMocks.whenReady.mockReturnValueOnce(new Promise<void>((resolve) => (ready = resolve)));
    electronMocks.createFromPath.mockImplementationOnce(() => {
      throw new Error('cannot read the tray image');
    });
    await import('../../../app/main.ts');
    ready();
    await vi.waitFor(() => expect(electronMocks.showErrorBox).toHaveBeenCalledOnce());
    expect(electronMocks.showErrorBox.mock.calls[0]?.[0]).toBe('mcp-supervisor could not start');
    expect(electronMocks.showErrorBox.mock.calls[0]?.[1]).toMatch(/cannot read the tray image/);
    expect(electronMocks.exit).toHaveBeenCalledWith(1);
  });

  it('when ready, starts the supervisor and shows in the tray why it failed', async () => {
    let ready!: () => void;
    electronMocks.whenReady.mockReturnValueOnce(new Promise<void>((resolve) => (ready = resolve)));
    electronMocks.fork.mockImplementationOnce(() => {
      const child = Object.assign(new EventEmitter(), {
        pid: 4242,
        stderr: new PassThrough(),
        kill: () => true,
      });
      setImmediate(() => {
        child.stderr.end(
          'mcp-supervisor: port 7420 on 127.0.0.1 is in use; set supervisor.port or MCP_SUPERVISOR_PORT to a free port\n',
        );
        setTimeout(() => child.emit('exit', 9), 20);
      });
      return child;
    });
    await import('../../../app/main.ts');
    ready();
    await vi.waitFor(() => expect(electronState.trays[0]?.tooltip).toMatch(/not running/), {
      timeout: 10_000,
    });
    const tray = electronState.trays[0]!;
    const [entry, args] = electronMocks.fork.mock.calls[0] as unknown as [string, string[]];
    expect(path.basename(entry)).toBe('supervisor-entry.ts');
    expect(args).toEqual(['start', '--home', home]);
    expect(tray.image).toEqual({ file: path.join(process.cwd(), 'resources', 'tray-grey.png') });
    expect(tray.tooltip).toMatch(/^mcp-supervisor: not running — port 7420 on 127\.0\.0\.1 is in use/);
    expect(menuItem(tray, ['Supervisor not running']).enabled).toBe(false);
    menuItem(tray, ['Show supervisor log']).click?.();
    await vi.waitFor(() =>
      expect(electronMocks.openPath).toHaveBeenCalledWith(path.join(home, 'logs', 'detached.out')),
    );
    expect(menuItem(tray, ['Retry']).enabled).toBe(true);
    expect(menuItem(tray, ['Open console']).enabled).toBe(false);

    // A tray app keeps running when the last window closes.
    electronState.appListeners.emit('window-all-closed');
    expect(electronMocks.quit).not.toHaveBeenCalled();
    menuItem(tray, ['Quit']).click?.();
    await vi.waitFor(() => expect(electronMocks.quit).toHaveBeenCalledOnce());
  });
});
