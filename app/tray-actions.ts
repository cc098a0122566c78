/**
 * What each tray action does. Every action runs through `run`, which never drops a failure: the
 * reason goes to the menu's first lines (until a later action succeeds, or for five minutes) and
 * to a notification, and to the log.
 */
import { existsSync } from 'node:fs';
import { errorMessage, SupervisorError } from '../supervisor/shared/errors.ts';
import type { HomePaths } from '../supervisor/shared/home.ts';
import { type AppLog, silentLog } from './app-log.ts';
import type { ConsoleRoute } from './console-routes.ts';
import { type ImportDeps, type ImportPlanSummary, runImport } from './importer.ts';
import type { NotificationActionId } from './notification-model.ts';
import type { Notifier } from './notifications.ts';
import type { LoginItem, SettingsStore } from './settings.ts';
import type { StatusMonitor } from './status-monitor.ts';
import type { SupervisorProcess } from './supervisor-process.ts';
import type { TrayAction } from './tray-menu.ts';
import type { ConsoleWindow } from './windows.ts';

export interface TrayActionDeps {
  paths: HomePaths;
  supervisor: Pick<SupervisorProcess, 'view' | 'client' | 'start' | 'outputFile' | 'unavailableReason'>;
  monitor: Pick<StatusMonitor, 'refresh' | 'snapshot'>;
  windows: Pick<ConsoleWindow, 'open'>;
  settings: SettingsStore;
  notifier: Pick<Notifier, 'message'>;
  /** `shell.openPath`: resolves with an error message, '' on success. */
  openPath(file: string): Promise<string>;
  writeClipboard(text: string): void;
  loginItem: LoginItem;
  /** The import dialogs and the injected importer; undefined when this build has none. */
  importer?: Omit<ImportDeps<ImportPlanSummary>, 'reload'>;
  about(): void;
  quit(): void;
  /** Called when something the menu shows changed without a status change (settings, failures). */
  onChange(): void;
  log?: AppLog;
  now?: () => number;
}

/** How long a failure stays in the menu when nothing else happens. */
const FAILURE_SHOWN_MS = 5 * 60_000;
/** Server actions wait for the new state (a start can take a while: a first `npx` download). */
const SERVER_ACTION_TIMEOUT_MS = 180_000;

export class TrayActions {
  readonly #deps: TrayActionDeps & { log: AppLog; now: () => number };
  #failure: { text: string; at: number } | undefined;

  constructor(deps: TrayActionDeps) {
    this.#deps = { log: silentLog, now: Date.now, ...deps };
  }

  get isImportAvailable(): boolean {
    return this.#deps.importer !== undefined;
  }

  /** The failure the menu shows now, if any. */
  get lastFailure(): string | undefined {
    if (!this.#failure || this.#deps.now() - this.#failure.at > FAILURE_SHOWN_MS) return undefined;
    return this.#failure.text;
  }

  /** Runs one action; resolves when done, and never rejects: failures are shown instead. */
  async run(action: TrayAction): Promise<void> {
    try {
      await this.#perform(action);
      if (this.#failure) {
        this.#failure = undefined;
        this.#deps.onChange();
      }
    } catch (error) {
      const text = `${describeAction(action)} failed: ${errorMessage(error)}`;
      this.#deps.log.warn(text);
      this.#failure = { text, at: this.#deps.now() };
      this.#deps.onChange();
      this.#deps.notifier.message(`${describeAction(action)} failed`, errorMessage(error));
    }
  }

  /** A button of an alert notification. */
  async notificationAction(action: {
    id: NotificationActionId;
    alertId: number;
    server?: string;
  }): Promise<void> {
    if (action.id === 'restart' && action.server) {
      await this.#serverAction(action.server, 'restart');
    } else if (action.id === 'acknowledge') {
      await this.#client().request('POST', `/api/alerts/${action.alertId}/ack`, {
        signal: AbortSignal.timeout(10_000),
      });
    }
  }

  async #perform(action: TrayAction): Promise<void> {
    const deps = this.#deps;
    switch (action.kind) {
      case 'server':
        return this.#serverAction(action.server, action.verb);
      case 'open-console':
        return deps.windows.open(action.route);
      case 'copy-url': {
        const view = deps.supervisor.view;
        if (view.phase !== 'running') throw this.#notRunning();
        deps.writeClipboard(`${view.origin}/mcp/${encodeURIComponent(action.server)}`);
        return;
      }
      case 'open-config':
        return this.#open(this.#configFile());
      case 'reload-config': {
        const body = await this.#client().request<{ result?: unknown }>('POST', '/api/reload', {
          signal: AbortSignal.timeout(SERVER_ACTION_TIMEOUT_MS),
        });
        deps.notifier.message('Config reloaded', describeReload(body.result), { view: 'config' });
        await deps.monitor.refresh();
        return;
      }
      case 'import':
        return this.#import(action.from);
      case 'toggle-notifications':
        await deps.settings.update({ isNotificationsPaused: !deps.settings.get().isNotificationsPaused });
        deps.onChange();
        return;
      case 'toggle-start-at-login': {
        const next = !deps.settings.get().isStartAtLogin;
        if (!deps.loginItem.isSupported)
          throw new Error('this platform has no login items; use its autostart settings');
        deps.loginItem.set(next);
        await deps.settings.update({ isStartAtLogin: next });
        deps.onChange();
        return;
      }
      case 'show-supervisor-log':
        return this.#open(deps.supervisor.outputFile);
      case 'start-supervisor':
        await deps.supervisor.start();
        return;
      case 'about':
        return deps.about();
      case 'quit':
        return deps.quit();
    }
  }

  async #serverAction(server: string, verb: 'start' | 'stop' | 'restart'): Promise<void> {
    try {
      await this.#client().request('POST', `/api/servers/${encodeURIComponent(server)}/${verb}`, {
        signal: AbortSignal.timeout(SERVER_ACTION_TIMEOUT_MS),
      });
    } finally {
      await this.#deps.monitor.refresh();
    }
  }

  async #import(from: Parameters<typeof runImport>[0]): Promise<void> {
    const importer = this.#deps.importer;
    if (!importer) throw new Error('this build has no importer; use `mcp-supervisor import` in a terminal');
    const outcome = await runImport(
      from,
      {
        ...importer,
        reload: async (signal) => {
          const client = this.#deps.supervisor.client;
          if (!client) return undefined;
          const body = await client.request<{ result?: unknown }>('POST', '/api/reload', { signal });
          return `Reloaded: ${describeReload(body.result)}`;
        },
      },
      AbortSignal.timeout(SERVER_ACTION_TIMEOUT_MS),
    );
    if (outcome.kind === 'cancelled') return;
    this.#deps.notifier.message(
      outcome.kind === 'imported' ? 'Imported' : 'Nothing imported',
      outcome.message,
    );
    await this.#deps.monitor.refresh();
  }

  /** The config file in use; else the home's, if it exists; else a reason to say. */
  #configFile(): string {
    const running = this.#deps.monitor.snapshot.configFile;
    if (running) return running;
    const file = this.#deps.paths.configFile;
    if (existsSync(file)) return file;
    throw new Error(
      `there is no config file yet (the built-in default servers run); create ${file}, or use Import from…`,
    );
  }

  async #open(file: string): Promise<void> {
    const error = await this.#deps.openPath(file);
    if (error) throw new Error(`cannot open ${file}: ${error}`);
  }

  #client() {
    const client = this.#deps.supervisor.client;
    if (!client) throw this.#notRunning();
    return client;
  }

  #notRunning(): SupervisorError {
    return new SupervisorError(
      'NOT_RUNNING',
      `the supervisor is not running (${this.#deps.supervisor.unavailableReason})`,
    );
  }
}

/** "Restart memory", "Open console", …: how a failure names what was tried. */
export function describeAction(action: TrayAction): string {
  switch (action.kind) {
    case 'server':
      return `${action.verb[0]?.toUpperCase()}${action.verb.slice(1)} ${action.server}`;
    case 'open-console':
      return routeLabel(action.route);
    case 'copy-url':
      return `Copy the URL of ${action.server}`;
    case 'import':
      return action.from === 'file' ? 'Import from a file' : `Import from ${action.from}`;
    default:
      return (
        {
          'open-config': 'Open config',
          'reload-config': 'Reload config',
          'toggle-notifications': 'Pause notifications',
          'toggle-start-at-login': 'Start at login',
          'show-supervisor-log': 'Show the supervisor log',
          'start-supervisor': 'Start the supervisor',
          about: 'About',
          quit: 'Quit',
        } as const
      )[action.kind];
  }
}

function routeLabel(route: ConsoleRoute): string {
  if (route.view === 'server-logs') return `Open the logs of ${route.name}`;
  if (route.view === 'server') return `Open ${route.name}`;
  return 'Open console';
}

/** `1 added (fs), 1 changed (memory)` from a reload's diff; `nothing changed` for an empty one. */
export function describeReload(result: unknown): string {
  const diff = (result ?? {}) as { added?: unknown; changed?: unknown; removed?: unknown };
  const parts: string[] = [];
  for (const key of ['added', 'changed', 'removed'] as const) {
    const names = Array.isArray(diff[key]) ? (diff[key] as unknown[]).map(String) : [];
    if (names.length > 0) parts.push(`${names.length} ${key} (${names.join(', ')})`);
  }
  return parts.length > 0 ? parts.join(', ') : 'nothing changed';
}
