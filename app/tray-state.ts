/**
 * What the tray icon and tooltip show, derived from the supervisor view and its status: pure, so
 * every state set is tested without Electron.
 */

import type { SupervisorView } from './supervisor-view.ts';
import type { ServerRow } from './supervisor-wire.ts';

/** Everything the tray shows at one moment. */
export interface TraySnapshot {
  supervisor: SupervisorView;
  /** The last status rows; undefined until the first status answered (or while down). */
  servers: readonly ServerRow[] | undefined;
  /** Why the last status request failed while the supervisor is meant to be running. */
  statusError?: string;
  /** The config file the supervisor runs (null: the built-in default). */
  configFile?: string | null;
}

/**
 * The icon's level: the worst *unexpected* state. A server stopped on purpose is fine; one
 * starting, restarting or installing is in transition; errored (a crash loop), unavailable, an open
 * breaker or a state this app does not know is an error; no answering supervisor is `offline`.
 */
export type TrayLevel = 'ok' | 'busy' | 'error' | 'offline';

const STATE_LEVEL: Record<string, 'ok' | 'busy' | 'error'> = {
  online: 'ok',
  stopped: 'ok',
  stopping: 'ok',
  starting: 'busy',
  restarting: 'busy',
  installing: 'busy',
  errored: 'error',
  unavailable: 'error',
};
const LEVEL_RANK = { ok: 0, busy: 1, error: 2, offline: 3 } as const;

/** One server's level: its state, made worse by a failing health check or an open breaker. */
export function serverLevel(row: ServerRow): 'ok' | 'busy' | 'error' {
  const level = STATE_LEVEL[row.state] ?? 'error';
  if (row.state === 'online' && row.breaker === 'open') return 'error';
  if (row.state === 'online' && row.health === 'failing') return 'busy';
  return level;
}

export function trayLevel(snapshot: TraySnapshot): TrayLevel {
  const { supervisor } = snapshot;
  if (supervisor.phase === 'starting' || supervisor.phase === 'stopping') return 'busy';
  if (supervisor.phase === 'down' || snapshot.statusError !== undefined) return 'offline';
  if (snapshot.servers === undefined) return 'busy';
  let worst: TrayLevel = 'ok';
  for (const row of snapshot.servers) {
    const level = serverLevel(row);
    if (LEVEL_RANK[level] > LEVEL_RANK[worst]) worst = level;
  }
  return worst;
}

const COLOUR: Record<TrayLevel, string> = { ok: 'green', busy: 'yellow', error: 'red', offline: 'grey' };

/**
 * The image file (in `resources/`) for a level. macOS gets template images (black glyphs the
 * menu bar tints for light and dark mode; the level is told by the glyph's shape), every other
 * platform a coloured dot. Electron picks the `@2x` file beside it on HiDPI screens.
 */
export function trayIconFile(level: TrayLevel, platform: NodeJS.Platform): string {
  if (platform === 'darwin') return level === 'ok' ? 'trayTemplate.png' : `tray-${level}Template.png`;
  return `tray-${COLOUR[level]}.png`;
}

/** The order counts are told in: what needs attention first. */
const STATE_ORDER = ['errored', 'unavailable', 'restarting', 'starting', 'installing', 'online', 'stopping'];

/** `3 online, 1 errored, 2 stopped`: every state present, worst first, stopped last. */
export function stateCounts(servers: readonly ServerRow[]): string {
  const counts = new Map<string, number>();
  for (const row of servers) counts.set(row.state, (counts.get(row.state) ?? 0) + 1);
  const rank = (state: string) => {
    if (state === 'stopped') return STATE_ORDER.length + 1;
    const at = STATE_ORDER.indexOf(state);
    return at < 0 ? -1 : at;
  };
  return [...counts]
    .sort(([a], [b]) => rank(a) - rank(b) || a.localeCompare(b))
    .map(([state, count]) => `${count} ${state}`)
    .join(', ');
}

/** Windows truncates tray tooltips at 127 characters; cut it ourselves, visibly. */
const MAX_TOOLTIP_CHARS = 127;

export function trayTooltip(snapshot: TraySnapshot): string {
  return truncate(`mcp-supervisor: ${statusLine(snapshot)}`, MAX_TOOLTIP_CHARS);
}

/** One line saying how things are, for the tooltip and the menu's first line. */
export function statusLine(snapshot: TraySnapshot): string {
  const { supervisor } = snapshot;
  if (supervisor.phase === 'starting') return 'starting the supervisor…';
  if (supervisor.phase === 'stopping') return 'stopping the supervisor…';
  if (supervisor.phase === 'down') return `not running — ${supervisor.reason}`;
  if (snapshot.statusError !== undefined) return `not answering — ${snapshot.statusError}`;
  if (snapshot.servers === undefined) return 'reading status…';
  if (snapshot.servers.length === 0) return 'no servers configured';
  return stateCounts(snapshot.servers);
}

/**
 * Why a server is in its state, when that is worth telling: the last error, else the last exit
 * (code or signal). Undefined for a healthy or deliberately stopped server.
 */
export function serverReason(row: ServerRow): string | undefined {
  if (serverLevel(row) === 'ok') return undefined;
  if (row.state === 'online' && row.breaker === 'open') return 'circuit breaker open: requests are refused';
  if (row.state === 'online' && row.health === 'failing') return 'not answering health pings';
  const exit = row.lastExit
    ? row.lastExit.signal
      ? `killed by ${row.lastExit.signal}`
      : row.lastExit.exitCode !== null
        ? `exit code ${row.lastExit.exitCode}`
        : undefined
    : undefined;
  if (row.lastError && exit && !row.lastError.includes(exit)) return `${exit}: ${row.lastError}`;
  return row.lastError ?? exit;
}

export function truncate(text: string, maxChars: number): string {
  const oneLine = text.replace(/\s+/g, ' ').trim();
  return oneLine.length <= maxChars ? oneLine : `${oneLine.slice(0, maxChars - 1)}…`;
}
