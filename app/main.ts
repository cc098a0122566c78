import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  app,
  BrowserWindow,
  ipcMain,
  Menu,
  type MenuItemConstructorOptions,
  Notification,
  nativeImage,
  shell,
  Tray,
  utilityProcess,
} from 'electron';
import { ControlClient, readEventStream } from '../supervisor/client/control-client.ts';
import { readToken } from '../supervisor/client/token.ts';
import { resolveHome } from '../supervisor/shared/home.ts';
import { type ConnectionInfo, IPC_CHANNELS } from './ipc-contract.ts';
import {
  type MenuItemModel,
  type ServerRow,
  type TrayAction,
  trayColour,
  trayMenu,
  trayTooltip,
} from './tray-state.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const CLI = path.join(here, '..', 'supervisor', 'bin', 'mcp-supervisor.js');
const paths = resolveHome();
const control = new ControlClient(paths);

let tray: Tray | undefined;
let servers: ServerRow[] | undefined;
let isNotificationsPaused = false;
let ownedSupervisor: Electron.UtilityProcess | undefined;
const windows = new Set<BrowserWindow>();

/** Starts the supervisor in a utility process unless the CLI already runs one for this home. */
async function ensureSupervisor(): Promise<void> {
  try {
    await control.request('GET', '/api/status');
    return;
  } catch {
    ownedSupervisor = utilityProcess.fork(CLI, ['start', '--home', paths.root], { stdio: 'ignore' });
  }
}

async function refresh(): Promise<void> {
  try {
    const body = await control.request<{ servers: ServerRow[] }>('GET', '/api/status');
    servers = body.servers;
  } catch {
    servers = undefined;
  }
  if (!tray) return;
  tray.setImage(
    nativeImage.createFromPath(path.join(here, '..', 'resources', `tray-${trayColour(servers)}.png`)),
  );
  tray.setToolTip(trayTooltip(servers));
  tray.setContextMenu(Menu.buildFromTemplate(toTemplate(trayMenu(servers, { isNotificationsPaused }))));
}

function toTemplate(items: MenuItemModel[]): MenuItemConstructorOptions[] {
  return items.map((item) =>
    'type' in item
      ? { type: 'separator' }
      : {
          label: item.label,
          enabled: item.enabled ?? true,
          ...(item.submenu ? { submenu: toTemplate(item.submenu) } : {}),
          ...(item.action ? { click: () => void act(item.action as TrayAction) } : {}),
        },
  );
}

async function act(action: TrayAction): Promise<void> {
  if (action.kind === 'server') await control.request('POST', `/api/servers/${action.server}/${action.verb}`);
  else if (action.kind === 'logs')
    await shell.openPath(path.join(paths.serverLogDir, `${action.server}.err.log`));
  else if (action.kind === 'dashboard') openDashboard();
  else if (action.kind === 'toggle-notifications') isNotificationsPaused = !isNotificationsPaused;
  else if (action.kind === 'quit') app.quit();
  await refresh();
}

function openDashboard(): void {
  const window = new BrowserWindow({
    width: 1100,
    height: 760,
    webPreferences: {
      preload: path.join(here, 'preload.js'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
    },
  });
  windows.add(window);
  window.on('closed', () => windows.delete(window));
  void window.loadFile(path.join(here, '..', 'renderer', 'index.html'));
}

/** Alert notifications from the supervisor's event stream. */
async function followEvents(): Promise<void> {
  try {
    const response = await control.fetch('GET', '/api/events', {
      signal: AbortSignal.timeout(24 * 3600_000),
    });
    await readEventStream(response, (event, data) => {
      if (event === 'server') void refresh();
      if (event === 'alert' && !isNotificationsPaused) {
        const alert = data as { type?: string; alert?: { message?: string } };
        new Notification({
          title: 'mcp-supervisor',
          body: alert.alert?.message ?? String(alert.type),
        }).show();
      }
    });
  } catch {
    // The supervisor went away; the refresh timer shows it and we try again.
  }
  setTimeout(() => void followEvents(), 5_000);
}

if (!app.requestSingleInstanceLock()) app.quit();
else {
  app.on('second-instance', () => openDashboard());
  // Only windows this process created may call IPC, and only through the contract.
  ipcMain.handle(IPC_CHANNELS.connection, async (event): Promise<ConnectionInfo | undefined> => {
    if (![...windows].some((w) => w.webContents.id === event.sender.id)) return undefined;
    const token = await readToken(paths.tokenFile);
    return token ? { baseUrl: await control.baseUrl(), token } : undefined;
  });
  app.whenReady().then(async () => {
    tray = new Tray(nativeImage.createFromPath(path.join(here, '..', 'resources', 'tray-grey.png')));
    await ensureSupervisor();
    await refresh();
    setInterval(() => void refresh(), 5_000).unref();
    void followEvents();
  });
  // Quit waits for the supervisor this app started to stop cleanly, with a deadline.
  let isQuitting = false;
  app.on('before-quit', (event) => {
    if (isQuitting || !ownedSupervisor) return;
    event.preventDefault();
    isQuitting = true;
    const deadline = setTimeout(() => app.exit(0), 30_000);
    ownedSupervisor.once('exit', () => {
      clearTimeout(deadline);
      app.exit(0);
    });
    control.request('POST', '/api/stop').catch(() => ownedSupervisor?.kill());
  });
  app.on('window-all-closed', () => {
    // A tray app keeps running without windows.
  });
}
