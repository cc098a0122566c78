import { computed, signal } from '@preact/signals';
import { Api, ApiError } from '../api/client.ts';
import { type Connection, forgetToken } from '../api/connection.ts';
import type {
  AlertEvent,
  AlertRecord,
  ConfigEvent,
  OverviewBody,
  ServerEvent,
  ServerLogLine,
  StatusBody,
} from '../api/types.ts';
import { parseServerLine } from '../lib/log-lines.ts';
import { needsEvidence } from '../lib/state-reason.ts';
import { applyAlertEvent, describeDiff, describeFailure, type Failure } from '../lib/words.ts';

/**
 * The console's live state: one poll of status and overview (the API has no stream for CPU, RSS
 * and request numbers), one event stream for lifecycle, alert and config events, and whether the
 * supervisor answers at all. Views read the signals; nothing here touches the DOM.
 */

export type LinkStatus = 'connecting' | 'live' | 'unreachable' | 'unauthorized' | 'no-token';

export interface Link {
  status: LinkStatus;
  /** What is wrong, in words; null while live. */
  message: string | null;
  /** When the current status began. */
  since: number;
  /** When the supervisor last answered. */
  lastOkAt: number | null;
}

export const link = signal<Link>({ status: 'connecting', message: null, since: Date.now(), lastOkAt: null });
/** True when what is shown may be out of date: every view greys itself and disables actions. */
export const isStale = computed(() => link.value.status !== 'live');

export const status = signal<StatusBody | null>(null);
export const overview = signal<OverviewBody | null>(null);
export const firingAlerts = signal<AlertRecord[]>([]);
/** The last lines of stderr of each server that is down, to show why. */
export const stderrTails = signal<ReadonlyMap<string, string[]>>(new Map());
/** Start/stop/restart in progress per server, and the last failure of one. */
export const pendingActions = signal<ReadonlyMap<string, string>>(new Map());
export const actionErrors = signal<ReadonlyMap<string, string>>(new Map());

export interface Notice {
  id: number;
  tone: 'ok' | 'warn' | 'bad';
  text: string;
}
export const notices = signal<Notice[]>([]);

let api: Api | undefined;
let noticeId = 0;
const serverEventListeners = new Set<(event: ServerEvent) => void>();
/** Recent lifecycle events (all servers), newest last: the server page lists them. */
export const recentServerEvents = signal<ServerEvent[]>([]);

export function getApi(): Api {
  if (!api) throw new Error('the console is not connected yet');
  return api;
}

export function notify(tone: Notice['tone'], text: string, ttlMs = 6_000): void {
  const id = ++noticeId;
  notices.value = [...notices.value.slice(-4), { id, tone, text }];
  setTimeout(() => dismissNotice(id), ttlMs);
}

export function dismissNotice(id: number): void {
  notices.value = notices.value.filter((n) => n.id !== id);
}

/** Lifecycle events as they arrive (the log viewer draws restart markers from them). */
export function onServerEvent(listener: (event: ServerEvent) => void): () => void {
  serverEventListeners.add(listener);
  return () => serverEventListeners.delete(listener);
}

function setLink(next: Omit<Link, 'since' | 'lastOkAt'>, now = Date.now()): void {
  const current = link.value;
  const lastOkAt = next.status === 'live' ? now : current.lastOkAt;
  if (current.status === next.status && current.message === next.message) {
    if (lastOkAt !== current.lastOkAt) link.value = { ...current, lastOkAt };
    return;
  }
  link.value = { ...next, since: now, lastOkAt };
}

function onOutcome(outcome: { ok: true } | { ok: false; failure: Failure }): void {
  if (outcome.ok) {
    setLink({ status: 'live', message: null });
    return;
  }
  const { failure } = outcome;
  if (failure.kind === 'unreachable') setLink({ status: 'unreachable', message: describeFailure(failure) });
  else if (failure.kind === 'unauthorized') {
    forgetToken();
    setLink({ status: 'unauthorized', message: describeFailure(failure) });
  }
}

/** Connects the state to a supervisor and starts the poll and the event stream. */
export function start(connection: Connection | null): void {
  if (!connection) {
    setLink({
      status: 'no-token',
      message:
        'No control token: open this page from `mcp-supervisor dashboard` (its URL carries the token) or from the tray app.',
    });
    return;
  }
  api = new Api(connection, onOutcome);
  void pollLoop();
  void eventLoop();
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible') refreshSoon(0);
  });
}

const POLL_MS = 2_000;
const HIDDEN_POLL_MS = 15_000;
let pollTimer: ReturnType<typeof setTimeout> | undefined;
let isPolling = false;

/** Polls now (or after `delayMs`) instead of waiting for the next tick. */
export function refreshSoon(delayMs = 150): void {
  clearTimeout(pollTimer);
  pollTimer = setTimeout(() => void pollLoop(), delayMs);
}

async function pollLoop(): Promise<void> {
  clearTimeout(pollTimer);
  if (isPolling) return;
  isPolling = true;
  try {
    await pollOnce();
  } finally {
    isPolling = false;
    if (link.value.status !== 'unauthorized') {
      pollTimer = setTimeout(
        () => void pollLoop(),
        document.visibilityState === 'hidden' ? HIDDEN_POLL_MS : POLL_MS,
      );
    }
  }
}

async function pollOnce(): Promise<void> {
  const client = getApi();
  try {
    const [nextStatus, nextOverview] = await Promise.all([
      client.get<StatusBody>('/api/status'),
      client.get<OverviewBody>('/api/overview'),
    ]);
    const wasDown = status.value?.supervisor.pid !== nextStatus.supervisor.pid;
    status.value = nextStatus;
    overview.value = nextOverview;
    if (wasDown) void loadAlerts();
    void loadEvidence(nextStatus);
  } catch (error) {
    if (!(error instanceof ApiError)) console.error('console: poll failed', error);
  }
}

export async function loadAlerts(): Promise<void> {
  try {
    firingAlerts.value = (await getApi().get<{ alerts: AlertRecord[] }>('/api/alerts')).alerts;
  } catch {
    // The link state says what went wrong.
  }
}

/** Fetches the last stderr lines of servers that are down (once per state change). */
const evidenceFor = new Map<string, string>();
async function loadEvidence(body: StatusBody): Promise<void> {
  for (const row of body.servers) {
    const key = `${row.state}:${row.restarts}:${row.lastExit?.at ?? 0}`;
    if (!needsEvidence(row)) {
      evidenceFor.delete(row.name);
      continue;
    }
    if (evidenceFor.get(row.name) === key) continue;
    evidenceFor.set(row.name, key);
    try {
      const { lines } = await getApi().get<{ lines: ServerLogLine[] }>(
        `/api/servers/${encodeURIComponent(row.name)}/logs?lines=8&stream=err`,
      );
      const next = new Map(stderrTails.value);
      next.set(
        row.name,
        lines.map((line) => parseServerLine(line.line).text),
      );
      stderrTails.value = next;
    } catch {
      evidenceFor.delete(row.name);
    }
  }
}

async function eventLoop(): Promise<void> {
  let delayMs = 500;
  for (;;) {
    if (link.value.status === 'unauthorized') return;
    const abort = new AbortController();
    try {
      await getApi().stream('/api/events', handleEvent, {
        signal: abort.signal,
        onOpen: () => {
          delayMs = 500;
          // Whatever happened while the stream was down is read again.
          void loadAlerts();
          refreshSoon(0);
        },
      });
      // The stream ended: the supervisor is stopping or gone. Find out at once.
      refreshSoon(0);
    } catch {
      // Described by the link state.
    }
    await new Promise((resolve) => setTimeout(resolve, delayMs));
    delayMs = Math.min(5_000, delayMs * 2);
  }
}

function handleEvent(event: string, data: unknown): void {
  if (event === 'server') {
    const serverEvent = data as ServerEvent;
    recentServerEvents.value = [...recentServerEvents.value.slice(-499), serverEvent];
    for (const listener of serverEventListeners) listener(serverEvent);
    refreshSoon();
  } else if (event === 'alert') {
    const alertEvent = data as AlertEvent;
    firingAlerts.value = applyAlertEvent(firingAlerts.value, alertEvent);
    if (alertEvent.type === 'alert.fired' && !alertEvent.isRepeat)
      notify('bad', `Alert: ${alertEvent.alert.message}`);
    if (alertEvent.type === 'alert.resolved') notify('ok', `Resolved: ${alertEvent.alert.message}`);
  } else if (event === 'config') {
    const configEvent = data as ConfigEvent;
    if (configEvent.ok) notify('ok', `Config reloaded: ${describeDiff(configEvent.diff)}`);
    else notify('bad', `Config reload refused: ${configEvent.message}`, 12_000);
    refreshSoon();
  }
}

/** Start, stop or restart a server, with the progress and the failure kept for its row. */
export async function serverAction(name: string, action: 'start' | 'stop' | 'restart'): Promise<void> {
  const pending = new Map(pendingActions.value);
  pending.set(name, action);
  pendingActions.value = pending;
  const errors = new Map(actionErrors.value);
  errors.delete(name);
  actionErrors.value = errors;
  try {
    await getApi().post(`/api/servers/${encodeURIComponent(name)}/${action}`, undefined, {
      timeoutMs: 120_000,
    });
  } catch (error) {
    const next = new Map(actionErrors.value);
    next.set(name, `${action} failed: ${(error as Error).message}`);
    actionErrors.value = next;
  } finally {
    const done = new Map(pendingActions.value);
    done.delete(name);
    pendingActions.value = done;
    refreshSoon(0);
  }
}
