/**
 * What the tray shows, derived from the control API's status: pure, so it is tested without
 * Electron. The main process turns it into a Tray icon and a Menu.
 */
export type TrayColour = 'green' | 'yellow' | 'red' | 'grey';

export interface ServerRow {
  name: string;
  state: string;
}

const SEVERITY: Record<string, number> = {
  online: 0,
  starting: 1,
  restarting: 1,
  stopping: 1,
  stopped: 1,
  unavailable: 2,
  errored: 2,
};

/** The worst state wins: any errored/unavailable server is red, any in transition yellow. */
export function trayColour(servers: readonly ServerRow[] | undefined): TrayColour {
  if (servers === undefined) return 'grey';
  const worst = Math.max(0, ...servers.map((s) => SEVERITY[s.state] ?? 2));
  return worst === 0 ? 'green' : worst === 1 ? 'yellow' : 'red';
}

export function trayTooltip(servers: readonly ServerRow[] | undefined): string {
  if (servers === undefined) return 'mcp-supervisor: not running';
  const online = servers.filter((s) => s.state === 'online').length;
  return `mcp-supervisor: ${online}/${servers.length} servers online`;
}

export type MenuItemModel =
  | { type: 'separator' }
  | { label: string; enabled?: boolean; action?: TrayAction; submenu?: MenuItemModel[] };

export type TrayAction =
  | { kind: 'server'; server: string; verb: 'start' | 'stop' | 'restart' }
  | { kind: 'logs'; server: string }
  | { kind: 'dashboard' }
  | { kind: 'toggle-notifications' }
  | { kind: 'quit' };

/** The tray menu: each server with its state and actions, then the app's own items. */
export function trayMenu(
  servers: readonly ServerRow[] | undefined,
  options: { isNotificationsPaused: boolean },
): MenuItemModel[] {
  const items: MenuItemModel[] = [];
  if (servers === undefined) items.push({ label: 'Supervisor not running', enabled: false });
  for (const server of servers ?? []) {
    const isUp = server.state === 'online' || server.state === 'starting' || server.state === 'restarting';
    items.push({
      label: `${server.name} — ${server.state}`,
      submenu: [
        { label: 'Start', enabled: !isUp, action: { kind: 'server', server: server.name, verb: 'start' } },
        { label: 'Stop', enabled: isUp, action: { kind: 'server', server: server.name, verb: 'stop' } },
        { label: 'Restart', action: { kind: 'server', server: server.name, verb: 'restart' } },
        { label: 'Logs', action: { kind: 'logs', server: server.name } },
      ],
    });
  }
  items.push(
    { type: 'separator' },
    { label: 'Open dashboard', action: { kind: 'dashboard' } },
    {
      label: options.isNotificationsPaused ? 'Resume notifications' : 'Pause notifications',
      action: { kind: 'toggle-notifications' },
    },
    { type: 'separator' },
    { label: 'Quit', action: { kind: 'quit' } },
  );
  return items;
}
