import { type Listener, TypedEmitter } from '../shared/emitter.ts';
import { errorMessage } from '../shared/errors.ts';
import { type Logger, silentLogger } from '../shared/logger.ts';
import type { AlertRecord, AlertStore } from '../store/alert-store.ts';
import type { Clock } from '../store/types.ts';
import {
  type AlertCondition,
  type AlertReading,
  type AlertRule,
  type AlertSnapshot,
  evaluateRules,
  type RuleOptions,
} from './rules.ts';

export type AlertEvent =
  /**
   * A notification. `isRepeat` is false for the first notification of an incident and true for a
   * later one (a reminder while it holds, or the news that it came back after a resolution was
   * told); `alert.suppressedCount` counts the firings not sent since the previous notification and
   * `alert.refiredCount` the times the incident cleared and came back.
   */
  | { type: 'alert.fired'; alert: AlertRecord; isRepeat: boolean }
  | { type: 'alert.resolved'; alert: AlertRecord };

export interface AlertEngineOptions {
  store: AlertStore;
  /** One notification per key per cooldown (config `monitor.alertCooldownMs`). */
  cooldownMs: number;
  /** Consecutive evaluations without a condition before its alert resolves. Default 2. */
  resolveAfterSamples?: number;
  /** Needed by `evaluateSnapshot` only. */
  rules?: RuleOptions;
  now?: Clock;
  logger?: Logger;
}

interface TrackedAlert {
  record: AlertRecord;
  /** Consecutive evaluations in which the condition was absent. */
  missing: number;
}

/**
 * Turns conditions into alert incidents, persisted in the store and announced to listeners (SSE
 * stream, log, webhook). **At most one notification per key per `cooldownMs`**, whatever the
 * condition does in between. Per key (`${rule}:${subject}`):
 *
 * - present, nothing tracked → a new incident (alert row); `alert.fired` (isRepeat false) at once.
 * - present, firing → counted (`suppressedCount`) until the cooldown since the last notification
 *   ends; then one reminder `alert.fired` (isRepeat true), unless the alert is acknowledged.
 * - absent for `resolveAfterSamples` consecutive evaluations → resolved (`resolved_at`). The
 *   resolution is notified at once when the cooldown is over, else at the first evaluation after
 *   it ends — if the alert is still resolved then.
 * - present again while resolved, before its resolution was told or within the cooldown after it
 *   → the same incident reopens (`refiredCount` + 1), no notification; at the end of the cooldown
 *   the state it is in then is told (a reminder `alert.fired` if it holds, `alert.resolved` if it
 *   cleared again and that was not told yet).
 * - a key resolved and told, a whole cooldown ago → forgotten; its next firing is a new incident.
 *
 * The rules clear a firing alert only with a margin below its threshold (hysteresis, see
 * `RuleOptions.hysteresisPercent`); a resolution quotes the reading that cleared it. Tracked
 * alerts are loaded from the store at `start()`, so a restart neither re-sends them nor forgets
 * their cooldown. A store failure is logged; notifications still go out.
 */
export class AlertEngine {
  readonly #store: AlertStore;
  readonly #cooldownMs: number;
  readonly #resolveAfterSamples: number;
  readonly #rules: RuleOptions | undefined;
  readonly #now: Clock;
  readonly #logger: Logger;
  readonly #emitter: TypedEmitter<AlertEvent>;
  readonly #tracked = new Map<string, TrackedAlert>();
  #streaks: ReadonlyMap<AlertRule, number> = new Map();
  #isStarted = false;

  constructor(options: AlertEngineOptions) {
    const resolveAfterSamples = options.resolveAfterSamples ?? 2;
    if (!Number.isFinite(options.cooldownMs) || options.cooldownMs < 0) {
      throw new RangeError(`cooldownMs must be a non-negative number, got ${options.cooldownMs}`);
    }
    if (!Number.isInteger(resolveAfterSamples) || resolveAfterSamples < 1) {
      throw new RangeError(`resolveAfterSamples must be a positive integer, got ${resolveAfterSamples}`);
    }
    this.#store = options.store;
    this.#cooldownMs = options.cooldownMs;
    this.#resolveAfterSamples = resolveAfterSamples;
    this.#rules = options.rules;
    this.#now = options.now ?? Date.now;
    this.#logger = options.logger ?? silentLogger;
    this.#emitter = new TypedEmitter(this.#logger);
  }

  /** Loads the tracked alerts from the store. Idempotent. */
  start(): void {
    if (this.#isStarted) return;
    this.#isStarted = true;
    for (const record of this.#store.tracked(this.#now() - this.#cooldownMs)) {
      this.#tracked.set(record.key, { record, missing: 0 });
    }
  }

  on(listener: Listener<AlertEvent>): () => void {
    return this.#emitter.on(listener);
  }

  off(listener: Listener<AlertEvent>): void {
    this.#emitter.off(listener);
  }

  /** Unresolved alerts, oldest first. */
  firing(): AlertRecord[] {
    return [...this.#tracked.values()]
      .filter((tracked) => tracked.record.resolvedAt === null)
      .map((tracked) => ({ ...tracked.record }));
  }

  /**
   * Runs the rules on a snapshot (keeping the host streaks here, and holding firing alerts until
   * they clear their hysteresis margin) and evaluates the result.
   */
  evaluateSnapshot(snapshot: AlertSnapshot): AlertEvent[] {
    if (!this.#rules) throw new Error('AlertEngine: evaluateSnapshot needs the "rules" option');
    if (!this.#isStarted) this.start();
    const firing = new Set(this.firing().map((alert) => alert.key));
    const { conditions, streaks, readings } = evaluateRules(snapshot, this.#rules, this.#streaks, firing);
    this.#streaks = streaks;
    return this.evaluate(conditions, readings);
  }

  /**
   * Applies one evaluation: `conditions` is the complete set holding now; a key not in it counts
   * as absent. `readings` (what the rules measured, by key) words the resolutions. Returns the
   * events emitted, in order.
   */
  evaluate(
    conditions: readonly AlertCondition[],
    readings: ReadonlyMap<string, AlertReading> = new Map(),
  ): AlertEvent[] {
    if (!this.#isStarted) this.start();
    const now = this.#now();
    const events: AlertEvent[] = [];
    const present = new Set<string>();
    for (const condition of conditions) {
      if (present.has(condition.key)) continue;
      present.add(condition.key);
      const tracked = this.#tracked.get(condition.key);
      if (!tracked || !this.#isSameIncident(tracked.record, now)) {
        const record = this.#insert({
          key: condition.key,
          rule: condition.rule,
          subject: condition.subject,
          severity: condition.severity,
          value: condition.value,
          threshold: condition.threshold,
          message: condition.message,
          firedAt: now,
          lastSeenAt: now,
          notifiedAt: now,
          notifiedState: 'fired',
          resolvedAt: null,
          suppressedCount: 0,
          refiredCount: 0,
          acknowledgedAt: null,
        });
        this.#tracked.set(condition.key, { record, missing: 0 });
        events.push({ type: 'alert.fired', alert: { ...record }, isRepeat: false });
        continue;
      }
      const record = tracked.record;
      tracked.missing = 0;
      if (record.resolvedAt !== null) {
        record.resolvedAt = null;
        record.refiredCount++;
      }
      record.severity = condition.severity;
      record.value = condition.value;
      record.threshold = condition.threshold;
      record.message = condition.message;
      record.lastSeenAt = now;
      if (!this.#notifyIfDue(tracked, now, events)) record.suppressedCount++;
      this.#update(record);
    }
    for (const [key, tracked] of this.#tracked) {
      if (present.has(key)) continue;
      const record = tracked.record;
      let isResolvedNow = false;
      if (record.resolvedAt === null) {
        tracked.missing++;
        if (tracked.missing < this.#resolveAfterSamples) continue;
        const reading = readings.get(key);
        record.resolvedAt = now;
        if (typeof reading?.value === 'number') record.value = reading.value;
        record.message = reading?.message ?? `${record.subject}: ${record.rule} is no longer measured`;
        isResolvedNow = true;
      }
      if (this.#notifyIfDue(tracked, now, events) || isResolvedNow) this.#update(record);
    }
    for (const event of events) this.#emitter.emit(event);
    return events;
  }

  /** Acknowledges an alert (no more reminders); false if it is unknown or already acknowledged. */
  acknowledge(id: number): boolean {
    const now = this.#now();
    const isStored = this.#store.acknowledge(id, now);
    for (const tracked of this.#tracked.values()) {
      if (tracked.record.id === id && tracked.record.acknowledgedAt === null) {
        tracked.record.acknowledgedAt = now;
        return true;
      }
    }
    return isStored;
  }

  /** Whether a re-fire of this (resolved) alert's key reopens it rather than opening a new one. */
  #isSameIncident(record: AlertRecord, now: number): boolean {
    if (record.resolvedAt === null) return true;
    return record.notifiedState === 'fired' || now - record.notifiedAt < this.#cooldownMs;
  }

  /**
   * At the end of a cooldown, tells the state the alert is in if it is news (a resolution not
   * told yet) or a reminder (it still fires and is not acknowledged); forgets an alert whose
   * resolution was told a whole cooldown ago. Returns whether a notification went out.
   */
  #notifyIfDue(tracked: TrackedAlert, now: number, events: AlertEvent[]): boolean {
    const record = tracked.record;
    if (now - record.notifiedAt < this.#cooldownMs) return false;
    if (record.resolvedAt === null) {
      if (record.acknowledgedAt !== null && record.notifiedState === 'fired') return false;
      events.push({ type: 'alert.fired', alert: { ...record }, isRepeat: true });
      record.notifiedState = 'fired';
    } else {
      if (record.notifiedState === 'resolved') {
        this.#tracked.delete(record.key);
        return false;
      }
      events.push({ type: 'alert.resolved', alert: { ...record } });
      record.notifiedState = 'resolved';
    }
    record.notifiedAt = now;
    record.suppressedCount = 0;
    return true;
  }

  #insert(alert: Omit<AlertRecord, 'id'>): AlertRecord {
    try {
      return this.#store.insert(alert);
    } catch (error) {
      this.#logger.error({ err: errorMessage(error), key: alert.key }, 'cannot store an alert');
      return { ...alert, id: 0 };
    }
  }

  #update(record: AlertRecord): void {
    if (record.id === 0) return;
    try {
      this.#store.update(record);
    } catch (error) {
      this.#logger.error({ err: errorMessage(error), key: record.key }, 'cannot update an alert');
    }
  }
}
