import { beforeEach, describe, expect, it, vi } from 'vitest';
import { electronMocks, electronState } from '../../helpers/electron-mock.ts';

vi.mock('electron', () => import('../../helpers/electron-mock.ts'));
const { setupWindows, setupSingleInstance } = await import('../../../app/windows.ts');

let origin: string | undefined;
const setup = () =>
  setupWindows({
    preloadFile: '/app/dist/app/preload.cjs',
    origin: () => origin,
    downReason: () => 'port 7420 on 127.0.0.1 is in use',
  });

beforeEach(() => {
  electronState.reset();
  origin = 'http://127.0.0.1:7420';
});

describe('console window', () => {
  it('loads the supervisor page in a sandboxed, isolated window with the preload bridge', async () => {
    const windows = setup();
    await windows.open({ view: 'server-logs', name: 'memory' });
    expect(electronState.windows).toHaveLength(1);
    const [window] = electronState.windows;
    expect(window?.loads).toEqual(['http://127.0.0.1:7420/ui/#/servers/memory/logs']);
    expect(window?.options.webPreferences).toEqual({
      preload: '/app/dist/app/preload.cjs',
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
      spellcheck: false,
    });
  });

  it('reuses and focuses the one window; navigates it only to a different route', async () => {
    const windows = setup();
    await windows.open();
    const [window] = electronState.windows;
    window!.isMinimizedValue = true;
    await windows.open({ view: 'alert', id: 3 });
    await windows.open({ view: 'alert', id: 3 });
    expect(electronState.windows).toHaveLength(1);
    expect(window?.loads).toEqual(['http://127.0.0.1:7420/ui/', 'http://127.0.0.1:7420/ui/#/alerts/3']);
    expect(window?.restores).toBe(1);
    expect(window?.focuses).toBe(2);
  });

  it('opens a new window after the last one was closed', async () => {
    const windows = setup();
    await windows.open();
    electronState.windows[0]?.close();
    expect(windows.window).toBeUndefined();
    await windows.open({ view: 'alerts' });
    expect(electronState.windows).toHaveLength(2);
    expect(electronState.windows[1]?.loads).toEqual(['http://127.0.0.1:7420/ui/#/alerts']);
  });

  it('refuses to open without a running supervisor, saying why', async () => {
    origin = undefined;
    await expect(setup().open()).rejects.toThrow(
      'the console needs a running supervisor: port 7420 on 127.0.0.1 is in use',
    );
    expect(electronState.windows).toHaveLength(0);
  });

  it('locks navigation to the console and sends other http(s) links to the browser', async () => {
    await setup().open();
    const contents = electronState.windows[0]!.webContents;
    expect(contents.navigate('http://127.0.0.1:7420/ui/#/host')).toBe(false);
    expect(contents.navigate('https://github.com/modelcontextprotocol')).toBe(true);
    expect(electronMocks.openExternal).toHaveBeenCalledWith('https://github.com/modelcontextprotocol');
    expect(contents.navigate('file:///etc/passwd')).toBe(true);
    expect(contents.navigate('http://127.0.0.1:7420/api/status')).toBe(true);
    expect(contents.navigate('https://evil.example/', 'will-redirect')).toBe(true);
    expect(electronMocks.openExternal).toHaveBeenCalledTimes(2);
    expect(electronMocks.openExternal).not.toHaveBeenCalledWith('file:///etc/passwd');
  });

  it('never opens a second window: external links go to the browser, console links load here', async () => {
    await setup().open();
    const window = electronState.windows[0]!;
    const handler = window.webContents.windowOpenHandler!;
    expect(handler({ url: 'https://example.com/docs' })).toEqual({ action: 'deny' });
    expect(electronMocks.openExternal).toHaveBeenCalledWith('https://example.com/docs');
    expect(handler({ url: 'http://127.0.0.1:7420/ui/#/requests' })).toEqual({ action: 'deny' });
    expect(window.loads.at(-1)).toBe('http://127.0.0.1:7420/ui/#/requests');
    expect(handler({ url: 'javascript:alert(1)' })).toEqual({ action: 'deny' });
    expect(electronMocks.openExternal).toHaveBeenCalledTimes(1);
    let isPrevented = false;
    window.webContents.listeners.emit('will-attach-webview', { preventDefault: () => (isPrevented = true) });
    expect(isPrevented).toBe(true);
  });

  it('grants the page no permission but clipboard writing', async () => {
    const windows = setup();
    await windows.open();
    const [handler] = electronMocks.setPermissionRequestHandler.mock.calls[0] as [
      (contents: { id: number } | null, permission: string, callback: (granted: boolean) => void) => void,
    ];
    const answers: boolean[] = [];
    const own = windows.window!.webContents;
    handler(own, 'notifications', (granted) => answers.push(granted));
    handler(own, 'media', (granted) => answers.push(granted));
    handler(own, 'clipboard-sanitized-write', (granted) => answers.push(granted));
    handler({ id: 999 }, 'clipboard-sanitized-write', (granted) => answers.push(granted));
    expect(answers).toEqual([false, false, true, false]);
  });

  it('knows its own sender: this window showing the console page, nothing else', async () => {
    const windows = setup();
    expect(windows.isOwnSender(1, 'http://127.0.0.1:7420/ui/')).toBe(false);
    await windows.open();
    const id = electronState.windows[0]!.webContents.id;
    expect(windows.isOwnSender(id, 'http://127.0.0.1:7420/ui/#/alerts')).toBe(true);
    expect(windows.isOwnSender(id + 1, 'http://127.0.0.1:7420/ui/')).toBe(false);
    // An iframe of another origin inside the console, or a page it was tricked into loading.
    expect(windows.isOwnSender(id, 'https://evil.example/')).toBe(false);
    expect(windows.isOwnSender(id, undefined)).toBe(false);
  });

  it('keeps the app running when its window closes', () => {
    setup();
    const results = electronState.appListeners.emit('window-all-closed');
    expect(results).toHaveLength(1);
    expect(electronMocks.quit).not.toHaveBeenCalled();
  });
});

describe('single instance', () => {
  it('quits a second instance, and shows the console in the first', () => {
    electronMocks.requestSingleInstanceLock.mockReturnValueOnce(false);
    const onSecond = vi.fn();
    expect(setupSingleInstance(onSecond)).toBe(false);
    expect(electronMocks.quit).toHaveBeenCalledOnce();
    expect(setupSingleInstance(onSecond)).toBe(true);
    electronState.appListeners.emit('second-instance');
    expect(onSecond).toHaveBeenCalledOnce();
  });
});
