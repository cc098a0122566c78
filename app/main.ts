/**
 * The Electron main process: only wiring, in order. Each concern is a `setupX()` of its own module
 * (Electron Fiddle's layout), tested there with a mocked `electron`.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { app, clipboard, shell } from 'electron';
import { resolveHome } from '../supervisor/shared/home.ts';
import { consoleLog } from './app-log.ts';
import { setupEventFeed } from './event-feed.ts';
import { setupImportDialogs } from './import-dialogs.ts';
import { setupIpc } from './ipc.ts';
import { setupLoginShellEnv } from './login-shell-env.ts';
import { readCrashContext, setupNotifications } from './notifications.ts';
import { setupLoginItem, setupSettings } from './settings.ts';
import { setupStatusMonitor } from './status-monitor.ts';
import { setupSupervisorProcess } from './supervisor-process.ts';
import { setupTray } from './tray.ts';
import { TrayActions } from './tray-actions.ts';
import {
  type ConsoleWindow,
  setupAbout,
  setupSingleInstance,
  setupWindows,
  showFatalError,
} from './windows.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const extension = import.meta.url.endsWith('.ts') ? 'ts' : 'js';
const log = consoleLog;
let actions: TrayActions | undefined;

if (setupSingleInstance(() => void actions?.run({ kind: 'open-console', route: { view: 'home' } }))) {
  const paths = resolveHome();
  // Started before the app is ready: the login shell may take a second.
  const env = setupLoginShellEnv({ log });
  const supervisor = setupSupervisorProcess({
    paths,
    explicitHome: process.env.MCP_SUPERVISOR_HOME,
    entryFile: path.join(here, `supervisor-entry.${extension}`),
    env: () => env,
    log,
  });
  let windows: ConsoleWindow | undefined;
  setupIpc({
    isOwnSender: (senderId, frameUrl) => windows?.isOwnSender(senderId, frameUrl) ?? false,
    connection: () => supervisor.connection(),
  });

  void app
    .whenReady()
    .then(async () => {
      const settings = await setupSettings(log);
      const loginItem = setupLoginItem(settings, process.platform, log);
      windows = setupWindows({
        preloadFile: path.join(here, 'preload.cjs'),
        origin: () => supervisor.origin,
        downReason: () => supervisor.unavailableReason,
        log,
      });
      const consoleWindow = windows;
      const monitor = setupStatusMonitor({ supervisor, log });
      const notifier = setupNotifications({
        platform: process.platform,
        isPaused: () => settings.get().isNotificationsPaused,
        context: async (event, signal) => {
          await monitor.refresh();
          const name = event.alert.subject;
          return readCrashContext(supervisor.client, name, monitor.server(name), signal);
        },
        open: (route) => void actions?.run({ kind: 'open-console', route }),
        act: async (action) => actions?.notificationAction(action),
        log,
      });
      actions = new TrayActions({
        paths,
        supervisor,
        monitor,
        windows: consoleWindow,
        settings,
        notifier,
        openPath: (file) => shell.openPath(file),
        writeClipboard: (text) => clipboard.writeText(text),
        loginItem,
        // The lead wires `planImport` / `applyImport` of supervisor/client/mcp-clients/ here.
        importer: setupImportDialogs(undefined),
        about: setupAbout(),
        quit: () => app.quit(),
        onChange: () => tray.render(),
        log,
      });
      const trayActions = actions;
      const tray = setupTray({
        resourcesDir: path.join(app.getAppPath(), 'resources'),
        platform: process.platform,
        snapshot: () => monitor.snapshot,
        menuOptions: () => ({
          isNotificationsPaused: settings.get().isNotificationsPaused,
          isStartAtLogin: settings.get().isStartAtLogin,
          isStartAtLoginSupported: loginItem.isSupported,
          isImportAvailable: trayActions.isImportAvailable,
          lastFailure: trayActions.lastFailure,
        }),
        run: (action) => trayActions.run(action),
      });
      monitor.onSnapshot(() => tray.render());
      setupEventFeed({
        supervisor,
        onAlert: (event) => void notifier.alert(event),
        onServer: () => void monitor.refresh(),
        onConnected: () => void monitor.refresh(),
        log,
      });
      app.on('activate', () => void trayActions.run({ kind: 'open-console', route: { view: 'home' } }));
      await supervisor.start();
    })
    .catch(showFatalError);
}
