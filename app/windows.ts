/**
 * The console window: one, reused and focused, showing the supervisor's own page at
 * `http://<host>:<port>/ui/` (a file:// page would be refused by the supervisor's Origin check).
 * Sandboxed, context-isolated, no Node; navigation locked to the console, other http(s) links to
 * the user's browser, every other URL refused.
 */
import { app, BrowserWindow, type BrowserWindowConstructorOptions, dialog, session, shell } from 'electron';
import { errorMessage, SupervisorError } from '../supervisor/shared/errors.ts';
import { type AppLog, silentLog } from './app-log.ts';
import { type ConsoleRoute, consoleUrl } from './console-routes.ts';
import { decideNavigation } from './navigation.ts';

/** What the window manager uses of a BrowserWindow (Electron's has all of it). */
export interface WindowLike {
  readonly webContents: WebContentsLike;
  isDestroyed(): boolean;
  isMinimized(): boolean;
  restore(): void;
  show(): void;
  focus(): void;
  close(): void;
  loadURL(url: string): Promise<void>;
  once(event: 'ready-to-show', listener: () => void): unknown;
  on(event: 'closed', listener: () => void): unknown;
}

export interface WebContentsLike {
  readonly id: number;
  getURL(): string;
  setWindowOpenHandler(handler: (details: { url: string }) => { action: 'allow' | 'deny' }): void;
  on(
    event: 'will-navigate' | 'will-redirect',
    listener: (event: { url?: string; preventDefault(): void }, url?: string) => void,
  ): unknown;
  on(event: 'will-attach-webview', listener: (event: { preventDefault(): void }) => void): unknown;
}

export interface ConsoleWindowOptions {
  create(options: BrowserWindowConstructorOptions): WindowLike;
  /** The preload script (bundled CommonJS: a sandboxed preload cannot load modules). */
  preloadFile: string;
  /** The running supervisor's origin, or undefined while none answers. */
  origin(): string | undefined;
  /** Why there is no origin, for the error a click gets. */
  downReason(): string;
  openExternal(url: string): Promise<void>;
  log?: AppLog;
}

export class ConsoleWindow {
  readonly #options: Required<ConsoleWindowOptions>;
  #window: WindowLike | undefined;

  constructor(options: ConsoleWindowOptions) {
    this.#options = { log: silentLog, ...options };
  }

  /** The open window, if any. */
  get window(): WindowLike | undefined {
    return this.#window && !this.#window.isDestroyed() ? this.#window : undefined;
  }

  /**
   * Shows the console at `route`: the existing window is navigated (only when the URL differs),
   * restored and focused; else one is created. Rejects with `NOT_RUNNING` (and the reason) when no
   * supervisor answers, and with the load error when the page cannot be loaded.
   */
  async open(route: ConsoleRoute = { view: 'home' }): Promise<void> {
    const origin = this.#options.origin();
    if (origin === undefined) {
      throw new SupervisorError(
        'NOT_RUNNING',
        `the console needs a running supervisor: ${this.#options.downReason()}`,
      );
    }
    const url = consoleUrl(origin, route);
    const existing = this.window;
    if (existing) {
      if (existing.isMinimized()) existing.restore();
      existing.show();
      existing.focus();
      if (existing.webContents.getURL() !== url) await existing.loadURL(url);
      return;
    }
    const window = this.#options.create({
      width: 1200,
      height: 800,
      minWidth: 640,
      minHeight: 400,
      show: false,
      title: 'mcp-supervisor',
      webPreferences: {
        preload: this.#options.preloadFile,
        contextIsolation: true,
        sandbox: true,
        nodeIntegration: false,
        webSecurity: true,
        spellcheck: false,
      },
    });
    this.#window = window;
    window.on('closed', () => {
      if (this.#window === window) this.#window = undefined;
    });
    window.once('ready-to-show', () => window.show());
    this.#lock(window.webContents);
    await window.loadURL(url);
  }

  /** Whether an IPC message comes from this window's console page (not another frame or page). */
  isOwnSender(senderId: number, frameUrl: string | undefined): boolean {
    const window = this.window;
    if (!window || window.webContents.id !== senderId || frameUrl === undefined) return false;
    return decideNavigation(frameUrl, this.#options.origin()) === 'allow';
  }

  close(): void {
    this.window?.close();
  }

  #lock(contents: WebContentsLike): void {
    const route = (url: string): boolean => {
      const decision = decideNavigation(url, this.#options.origin());
      if (decision === 'external') {
        this.#options.openExternal(url).catch((error) => {
          this.#options.log.warn(`cannot open ${url} in the browser: ${errorMessage(error)}`);
        });
      } else if (decision === 'deny') {
        this.#options.log.warn(`the console window refused to load ${url}`);
      }
      return decision === 'allow';
    };
    // target=_blank and window.open: never a second window; console links load in this one.
    contents.setWindowOpenHandler(({ url }) => {
      if (route(url)) void this.#window?.loadURL(url);
      return { action: 'deny' };
    });
    const guard = (event: { url?: string; preventDefault(): void }, legacyUrl?: string) => {
      if (!route(event.url ?? legacyUrl ?? '')) event.preventDefault();
    };
    contents.on('will-navigate', guard);
    contents.on('will-redirect', guard);
    contents.on('will-attach-webview', (event) => event.preventDefault());
  }
}

/**
 * The console window of the app, with Electron's BrowserWindow and shell. The page gets no
 * permission (camera, notifications, …) except writing to the clipboard (its copy buttons).
 */
export function setupWindows(options: Omit<ConsoleWindowOptions, 'create' | 'openExternal'>): ConsoleWindow {
  const windows = new ConsoleWindow({
    ...options,
    create: (init) => new BrowserWindow(init) as unknown as WindowLike,
    openExternal: (url) => shell.openExternal(url),
  });
  const isOwn = (contents: { id: number } | null) =>
    contents !== null && windows.window?.webContents.id === contents.id;
  session.defaultSession.setPermissionRequestHandler((contents, permission, callback) =>
    callback(permission === 'clipboard-sanitized-write' && isOwn(contents)),
  );
  session.defaultSession.setPermissionCheckHandler(
    (contents, permission) => permission === 'clipboard-sanitized-write' && isOwn(contents),
  );
  // A tray app keeps running with no window (the default would quit).
  app.on('window-all-closed', () => {});
  return windows;
}

/**
 * One app per user: a second launch quits at once and the first one shows its console. Returns
 * false in the second instance (which is quitting).
 */
export function setupSingleInstance(onSecondInstance: () => void): boolean {
  if (!app.requestSingleInstanceLock()) {
    app.quit();
    return false;
  }
  app.on('second-instance', onSecondInstance);
  return true;
}

/** The About panel (macOS, Linux, Windows): name, version, licence. */
export function setupAbout(): () => void {
  app.setAboutPanelOptions({
    applicationName: 'mcp-supervisor',
    applicationVersion: app.getVersion(),
    copyright: 'AGPL-3.0-or-later',
  });
  return () => app.showAboutPanel();
}

/** The app could not set itself up: says why in a dialog (there may be no tray yet), then exits. */
export function showFatalError(error: unknown): void {
  const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
  dialog.showErrorBox('mcp-supervisor could not start', message);
  app.exit(1);
}
