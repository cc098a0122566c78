import { type Listener, TypedEmitter } from '../shared/emitter.ts';
import { errorMessage } from '../shared/errors.ts';
import { type Logger, silentLogger } from '../shared/logger.ts';
import type { AlertRecord, AlertStore } from '../store/alert-store.ts';
import type { Clock } from '../store/types.ts';
import {
  type AlertCondition,
  type AlertRule,
  type AlertSnapshot,
  evaluateRules,
  type RuleOptions,
} from './rules.ts';

export type AlertEvent =
  /**
   * A notification. `isRepeat` is false for the first firing of an alert and true for a reminder
   * after a cooldown; on a reminder `alert.suppressedCount` is the number of firings counted but
   * not sent since the previous notification.
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

interface ActiveAlert {
  record: AlertRecord;
  /** Consecutive evaluations in which the condition was absent. */
  missing: number;
}

/**
 * Turns conditions into alert lifecycles, persisted in the store and announced to listeners
 * (SSE stream, log, webhook). Semantics, per key (`${rule}:${subject}`):
 *
 * - not active and present → a new alert row; `alert.fired` (isRepeat false) is emitted.
 * - active and present, less than `cooldownMs` after the last notification → `suppressed_count`
 *   is incremented; nothing is emitted.
 * - active and present, `cooldownMs` or more after the last notification → `alert.fired` with
 *   isRepeat true is emitted once, carrying the suppressed count; then `notified_at` = now and
 *   `suppressed_count` = 0 (it counts repeats since the last notification). An acknowledged alert
 *   is not re-notified; its repeats are still counted.
 * - active and absent for `resolveAfterSamples` consecutive evaluations → `resolved_at` is set and
 *   `alert.resolved` is emitted once. Present again before that resets the count (hysteresis). A
 *   later firing of the same key is a new alert.
 *
 * Unresolved alerts are loaded from the store at `start()`, so a restart neither re-sends them
 * nor forgets their cooldown. A store failure is logged; notifications still go out.
 */
export class AlertEngine {
  readonly #store: AlertStore;
  readonly #cooldownMs: number;
  readonly #resolveAfterSamples: number;
  readonly #rules: RuleOptions | undefined;
  readonly #now: Clock;
  readonly #logger: Logger;
  readonly #emitter: TypedEmitter<AlertEvent>;
  readonly #active = new Map<string, ActiveAlert>();
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

  /** Loads the unresolved alerts from the store. Idempotent. */
  start(): void {
    if (this.#isStarted) return;
    this.#isStarted = true;
    for (const record of this.#store.firing()) this.#active.set(record.key, { record, missing: 0 });
  }

  on(listener: Listener<AlertEvent>): () => void {
    return this.#emitter.on(listener);
  }

  off(listener: Listener<AlertEvent>): void {
    this.#emitter.off(listener);
  }

  /** Unresolved alerts, oldest first. */
  firing(): AlertRecord[] {
    return [...this.#active.values()].map((active) => ({ ...active.record }));
  }

  /** Runs the rules on a snapshot (keeping the host streaks here) and evaluates the result. */
  evaluateSnapshot(snapshot: AlertSnapshot): AlertEvent[] {
    if (!this.#rules) throw new Error('AlertEngine: evaluateSnapshot needs the "rules" option');
    const { conditions, streaks } = evaluateRules(snapshot, this.#rules, this.#streaks);
    this.#streaks = streaks;
    return this.evaluate(conditions);
  }

  /**
   * Applies one evaluation: `conditions` is the complete set holding now; a key not in it counts
   * as absent. Returns the events emitted, in order.
   */
  evaluate(conditions: readonly AlertCondition[]): AlertEvent[] {
    if (!this.#isStarted) this.start();
    const now = this.#now();
    const events: AlertEvent[] = [];
    const present = new Set<string>();
    for (const condition of conditions) {
      if (present.has(condition.key)) continue;
      present.add(condition.key);
      const active = this.#active.get(condition.key);
      if (!active) {
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
          resolvedAt: null,
          suppressedCount: 0,
          acknowledgedAt: null,
        });
        this.#active.set(condition.key, { record, missing: 0 });
        events.push({ type: 'alert.fired', alert: { ...record }, isRepeat: false });
        continue;
      }
      const record = active.record;
      active.missing = 0;
      record.severity = condition.severity;
      record.value = condition.value;
      record.threshold = condition.threshold;
      record.message = condition.message;
      record.lastSeenAt = now;
      const isCoolingDown = now - record.notifiedAt < this.#cooldownMs;
      if (isCoolingDown || record.acknowledgedAt !== null) {
        record.suppressedCount++;
      } else {
        events.push({ type: 'alert.fired', alert: { ...record }, isRepeat: true });
        record.notifiedAt = now;
        record.suppressedCount = 0;
      }
      this.#update(record);
    }
    for (const [key, active] of this.#active) {
      if (present.has(key)) continue;
      active.missing++;
      if (active.missing < this.#resolveAfterSamples) continue;
      active.record.resolvedAt = now;
      this.#update(active.record);
      this.#active.delete(key);
      events.push({ type: 'alert.resolved', alert: { ...active.record } });
    }
    for (const event of events) this.#emitter.emit(event);
    return events;
  }

  /** Acknowledges an alert (no more reminders); false if it is unknown or already acknowledged. */
  acknowledge(id: number): boolean {
    const now = this.#now();
    const isStored = this.#store.acknowledge(id, now);
    for (const active of this.#active.values()) {
      if (active.record.id === id && active.record.acknowledgedAt === null) {
        active.record.acknowledgedAt = now;
        return true;
      }
    }
    return isStored;
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
