/**
 * Desktop notifications: one per supervisor alert event (the supervisor applies the cooldown),
 * none for an event already shown (a replay after the stream reconnects), none while paused. A
 * click opens the console on the alert or server; the buttons (macOS, Windows) restart the server
 * or acknowledge the alert. Failed tray actions are told through the same channel.
 */
import { Notification } from 'electron';
import type { ControlClient } from '../supervisor/client/control-client.ts';
import { errorMessage } from '../supervisor/shared/errors.ts';
import { type AppLog, silentLog } from './app-log.ts';
import type { ConsoleRoute } from './console-routes.ts';
import {
  type AlertContext,
  alertDedupeKey,
  alertNotification,
  type NotificationActionId,
  type NotificationModel,
  wantsStderr,
} from './notification-model.ts';
import { type AlertEvent, logLinesSchema, type ServerRow } from './supervisor-wire.ts';

/** What the notifier needs of Electron's `Notification` (constructed with these options). */
export interface NotificationLike {
  show(): void;
  on(event: 'click' | 'close', listener: () => void): unknown;
  on(
    event: 'action',
    listener: (details: { actionIndex?: number } | undefined, index?: number) => void,
  ): unknown;
}

export interface NotificationInit {
  title: string;
  body: string;
  urgency?: 'low' | 'normal' | 'critical';
  actions?: { type: 'button'; text: string }[];
  silent?: boolean;
}

export interface NotifierOptions {
  create(init: NotificationInit): NotificationLike;
  isSupported(): boolean;
  /** Whether the platform shows action buttons (macOS, Windows). */
  hasActions: boolean;
  isPaused(): boolean;
  /** Facts for a crash notification (last exit, last stderr line); may reject (then none). */
  context(event: AlertEvent, signal: AbortSignal): Promise<AlertContext>;
  open(route: ConsoleRoute): void;
  act(action: { id: NotificationActionId; alertId: number; server?: string }): Promise<void>;
  log?: AppLog;
  /** How many shown events are remembered for de-duplication. Default 1000. */
  maxRemembered?: number;
  /** How long the crash context may take before the notification goes out without it. Default 2 s. */
  contextTimeoutMs?: number;
}

export type NotifyOutcome = 'shown' | 'duplicate' | 'paused' | 'unsupported';

/** Notifications are kept referenced until closed: Electron drops a collected one's handlers. */
const MAX_LIVE = 50;

export class Notifier {
  readonly #options: Required<NotifierOptions>;
  readonly #seen = new Set<string>();
  readonly #live = new Set<NotificationLike>();

  constructor(options: NotifierOptions) {
    this.#options = { log: silentLog, maxRemembered: 1000, contextTimeoutMs: 2_000, ...options };
  }

  /** Shows the notification of one alert event, unless it was shown already or notifications are off. */
  async alert(event: AlertEvent): Promise<NotifyOutcome> {
    const key = alertDedupeKey(event);
    if (this.#seen.has(key)) return 'duplicate';
    this.#remember(key);
    if (this.#options.isPaused()) return 'paused';
    if (!this.#options.isSupported()) return 'unsupported';
    let context: AlertContext = {};
    if (wantsStderr(event)) {
      try {
        context = await this.#options.context(event, AbortSignal.timeout(this.#options.contextTimeoutMs));
      } catch (error) {
        this.#options.log.info(`no crash details for ${event.alert.subject}: ${errorMessage(error)}`);
      }
    }
    this.#show(alertNotification(event, context, { hasActions: this.#options.hasActions }));
    return 'shown';
  }

  /** A failed action or a result the user asked for; click opens `route` when given. */
  message(title: string, body: string, route?: ConsoleRoute): NotifyOutcome {
    if (this.#options.isPaused()) return 'paused';
    if (!this.#options.isSupported()) return 'unsupported';
    const notification = this.#options.create({ title, body });
    this.#keep(notification);
    if (route) notification.on('click', () => this.#options.open(route));
    notification.show();
    return 'shown';
  }

  #show(model: NotificationModel): void {
    const notification = this.#options.create({
      title: model.title,
      body: model.body,
      urgency: model.urgency,
      ...(model.actions.length > 0
        ? { actions: model.actions.map((action) => ({ type: 'button' as const, text: action.label })) }
        : {}),
    });
    this.#keep(notification);
    notification.on('click', () => this.#options.open(model.route));
    notification.on('action', (details, index) => {
      const action = model.actions[details?.actionIndex ?? index ?? -1];
      if (!action) return;
      this.#options.act({ id: action.id, alertId: model.alertId, server: model.server }).catch((error) => {
        this.message(`${action.label} failed`, errorMessage(error), model.route);
      });
    });
    notification.show();
  }

  #keep(notification: NotificationLike): void {
    this.#live.add(notification);
    notification.on('close', () => this.#live.delete(notification));
    if (this.#live.size > MAX_LIVE) this.#live.delete(this.#live.values().next().value as NotificationLike);
  }

  #remember(key: string): void {
    this.#seen.add(key);
    if (this.#seen.size > this.#options.maxRemembered) {
      this.#seen.delete(this.#seen.values().next().value as string);
    }
  }
}

/**
 * The facts of a crash the event does not carry: the server's last exit (from the last status)
 * and its last stderr line (`GET /api/servers/NAME/logs?stream=err&lines=1`).
 */
export async function readCrashContext(
  client: Pick<ControlClient, 'request'> | undefined,
  server: string,
  row: ServerRow | undefined,
  signal: AbortSignal,
): Promise<AlertContext> {
  const context: AlertContext = row ? { server: row } : {};
  if (!client) return context;
  const body = logLinesSchema.parse(
    await client.request('GET', `/api/servers/${encodeURIComponent(server)}/logs?stream=err&lines=1`, {
      signal,
    }),
  );
  const line = body.lines.at(-1)?.line;
  return line === undefined ? context : { ...context, lastStderrLine: line };
}

/** Alert notifications with Electron's `Notification`; buttons on macOS and Windows only. */
export function setupNotifications(
  options: Omit<NotifierOptions, 'create' | 'isSupported' | 'hasActions'> & { platform: NodeJS.Platform },
): Notifier {
  return new Notifier({
    ...options,
    create: (init) => new Notification(init),
    isSupported: () => Notification.isSupported(),
    hasActions: options.platform === 'darwin' || options.platform === 'win32',
  });
}
