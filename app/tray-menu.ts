/**
 * The tray menu as data: pure, so each state set is tested without Electron. `tray.ts` turns it
 * into an Electron Menu whose clicks dispatch the `TrayAction`s.
 */
import type { ConsoleRoute } from './console-routes.ts';
import { IMPORT_CLIENTS, type ImportClient } from './importer.ts';
import type { ServerRow } from './supervisor-wire.ts';
import { serverLevel, serverReason, statusLine, type TraySnapshot, truncate } from './tray-state.ts';

export type TrayAction =
  | { kind: 'server'; server: string; verb: 'start' | 'stop' | 'restart' }
  | { kind: 'open-console'; route: ConsoleRoute }
  | { kind: 'copy-url'; server: string }
  | { kind: 'open-config' }
  | { kind: 'reload-config' }
  | { kind: 'import'; from: ImportClient | 'file' }
  | { kind: 'toggle-notifications' }
  | { kind: 'toggle-start-at-login' }
  | { kind: 'show-supervisor-log' }
  | { kind: 'start-supervisor' }
  | { kind: 'about' }
  | { kind: 'quit' };

export type MenuItemModel =
  | { type: 'separator' }
  | {
      type?: 'checkbox';
      label: string;
      enabled?: boolean;
      checked?: boolean;
      action?: TrayAction;
      submenu?: MenuItemModel[];
    };

export interface MenuOptions {
  isNotificationsPaused: boolean;
  isStartAtLogin: boolean;
  /** `app.setLoginItemSettings` works on macOS and Windows only. */
  isStartAtLoginSupported: boolean;
  /** Whether an importer is wired (the import module may be absent from a build). */
  isImportAvailable: boolean;
  /** A failed tray action still worth showing (`Restart memory failed: …`). */
  lastFailure?: string;
}

/** Menu labels are one line; long reasons (paths, stderr) are cut so the menu stays usable. */
const MAX_LABEL_CHARS = 90;
const SEPARATOR: MenuItemModel = { type: 'separator' };
const STATE_MARK = { ok: '●', busy: '◐', error: '⚠' } as const;

/**
 * Status line(s) first (with the supervisor's reason and what to do when it is down, and the last
 * failed action), then one submenu per server, then the console, config, import, preferences,
 * About and Quit.
 */
export function trayMenu(snapshot: TraySnapshot, options: MenuOptions): MenuItemModel[] {
  const { supervisor } = snapshot;
  const isRunning = supervisor.phase === 'running';
  const items: MenuItemModel[] = [];
  if (supervisor.phase === 'down') {
    // The reason is what the user acts on (a port to free, a config to fix): shown whole, wrapped.
    items.push({ label: 'Supervisor not running', enabled: false });
    for (const line of wrap(supervisor.reason, MAX_LABEL_CHARS, 3))
      items.push({ label: line, enabled: false });
  } else {
    items.push({ label: truncate(statusLine(snapshot), MAX_LABEL_CHARS), enabled: false });
  }
  if (options.lastFailure) {
    for (const line of wrap(`⚠ ${options.lastFailure}`, MAX_LABEL_CHARS, 2))
      items.push({ label: line, enabled: false });
  }
  if (supervisor.phase === 'down') {
    if (supervisor.logFile)
      items.push({ label: 'Show supervisor log', action: { kind: 'show-supervisor-log' } });
    items.push({
      label: supervisor.isFailure ? 'Retry' : 'Start supervisor',
      enabled: supervisor.canStart,
      action: { kind: 'start-supervisor' },
    });
  }
  if (isRunning && snapshot.statusError === undefined && snapshot.servers && snapshot.servers.length > 0) {
    items.push(SEPARATOR);
    for (const row of snapshot.servers) items.push(serverItem(row));
  }
  items.push(
    SEPARATOR,
    { label: 'Open console', enabled: isRunning, action: { kind: 'open-console', route: { view: 'home' } } },
    { label: 'Alerts', enabled: isRunning, action: { kind: 'open-console', route: { view: 'alerts' } } },
    SEPARATOR,
    { label: 'Open config', action: { kind: 'open-config' } },
    { label: 'Reload config', enabled: isRunning, action: { kind: 'reload-config' } },
    importItem(options.isImportAvailable),
    SEPARATOR,
    {
      type: 'checkbox',
      label: 'Pause notifications',
      checked: options.isNotificationsPaused,
      action: { kind: 'toggle-notifications' },
    },
    {
      type: 'checkbox',
      label: options.isStartAtLoginSupported
        ? 'Start at login'
        : 'Start at login (use your desktop’s autostart settings)',
      checked: options.isStartAtLogin,
      enabled: options.isStartAtLoginSupported,
      action: { kind: 'toggle-start-at-login' },
    },
    SEPARATOR,
    { label: 'About mcp-supervisor', action: { kind: 'about' } },
    { label: 'Quit', action: { kind: 'quit' } },
  );
  return items;
}

function serverItem(row: ServerRow): MenuItemModel {
  const level = serverLevel(row);
  const reason = serverReason(row);
  const name = row.name;
  const isStopped = row.state === 'stopped' || row.state === 'errored';
  const isStopping = row.state === 'stopping';
  const submenu: MenuItemModel[] = [
    { label: truncate(reason ? `${row.state}: ${reason}` : row.state, MAX_LABEL_CHARS), enabled: false },
    SEPARATOR,
    { label: 'Start', enabled: isStopped, action: { kind: 'server', server: name, verb: 'start' } },
    {
      label: 'Stop',
      enabled: !isStopped && !isStopping,
      action: { kind: 'server', server: name, verb: 'stop' },
    },
    { label: 'Restart', enabled: !isStopping, action: { kind: 'server', server: name, verb: 'restart' } },
    SEPARATOR,
    { label: 'Logs', action: { kind: 'open-console', route: { view: 'server-logs', name } } },
    { label: 'Details', action: { kind: 'open-console', route: { view: 'server', name } } },
    { label: 'Copy URL', action: { kind: 'copy-url', server: name } },
  ];
  return { label: `${STATE_MARK[level]} ${name} — ${row.state}`, submenu };
}

function importItem(isAvailable: boolean): MenuItemModel {
  if (!isAvailable) return { label: 'Import from… (not in this build)', enabled: false };
  return {
    label: 'Import from…',
    submenu: [
      ...IMPORT_CLIENTS.map(
        ({ id, label }): MenuItemModel => ({ label, action: { kind: 'import', from: id } }),
      ),
      SEPARATOR,
      { label: 'File…', action: { kind: 'import', from: 'file' } },
    ],
  };
}

/** Splits `text` into lines of at most `maxChars` at spaces, the last one cut if it needs more. */
export function wrap(text: string, maxChars: number, maxLines: number): string[] {
  const lines: string[] = [];
  let rest = text.replace(/\s+/g, ' ').trim();
  while (rest !== '' && lines.length < maxLines - 1 && rest.length > maxChars) {
    const cut = rest.lastIndexOf(' ', maxChars);
    const at = cut > maxChars / 2 ? cut : maxChars;
    lines.push(rest.slice(0, at).trim());
    rest = rest.slice(at).trim();
  }
  if (rest !== '') lines.push(truncate(rest, maxChars));
  return lines;
}
