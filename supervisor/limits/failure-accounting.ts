import type { IBreaker } from 'cockatiel';

/**
 * Who failed, for the circuit breaker (breaker.ts). A timeout alone does not say whether the
 * server is stuck or the caller asked for something it never answers (a request the server
 * drops, a call that runs longer than the timeout): one client must not be able to open a
 * server's circuit for every other client with its own timeouts (issue 9 item 2). So:
 *
 * - {@link FailureRun} is the server's run of failures since its last answer: transport failures
 *   count whoever saw them, timeouts count only once at least `corroboratingKeys` client keys
 *   have timed out in the run (a stuck server times out for everyone);
 * - {@link KeyTimeouts} counts each client key's own timeouts in a row, so a key whose requests
 *   keep timing out gets a circuit of its own (refused for a while, like an open circuit) and
 *   the server is not hammered by it, while other keys are served.
 *
 * Both are plain counters updated synchronously when an outcome is known, so the order of
 * outcomes is the order they happened in (cockatiel calls its breaker after an await).
 */

/**
 * The server's run of failures, as cockatiel's `IBreaker`: cockatiel keeps the circuit's state
 * machine (open → half-open probe → closed) and asks {@link failure} whether to open.
 */
export class FailureRun implements IBreaker {
  readonly #threshold: number;
  readonly #corroboratingKeys: number;
  #failures = 0;
  #timeouts = 0;
  readonly #timeoutKeys = new Set<string>();

  constructor(options: { threshold: number; corroboratingKeys: number }) {
    this.#threshold = options.threshold;
    this.#corroboratingKeys = options.corroboratingKeys;
  }

  /** Whether the run is long enough to open the circuit. */
  get isTripped(): boolean {
    const timeouts = this.#timeoutKeys.size >= this.#corroboratingKeys ? this.#timeouts : 0;
    return this.#failures + timeouts >= this.#threshold;
  }

  /** cockatiel's serialisation hook (unused: the circuit is not persisted). */
  get state(): unknown {
    return { failures: this.#failures, timeouts: this.#timeouts, keys: this.#timeoutKeys.size };
  }
  set state(_value: unknown) {}

  /** The server answered (whatever it said): the run ends. */
  recordAnswer(): void {
    this.#failures = 0;
    this.#timeouts = 0;
    this.#timeoutKeys.clear();
  }

  /** A failure that says the server is unhealthy whoever asked (its connection went). */
  recordFailure(): void {
    this.#failures++;
  }

  recordTimeout(clientKey: string): void {
    this.#timeouts++;
    // The set is bounded: the circuit opens as soon as it holds enough keys and timeouts, and
    // an open circuit lets no request through to time out.
    this.#timeoutKeys.add(clientKey);
  }

  /** cockatiel: counting happens in the record methods, in the order outcomes happen. */
  success(): void {}

  /** cockatiel: open when the run is long enough. */
  failure(): boolean {
    return this.isTripped;
  }
}

type KeyEntry = { timeouts: number; openedAt: number };

/** Keys tracked per server at most; past it the longest-untouched entry is forgotten. */
const MAX_TRACKED_KEYS = 10_000;

/**
 * Each client key's timeouts in a row against one server. A key reaching `threshold` is refused
 * for `openForMs`; after that its requests go through again, but it stays on probation (its
 * next timeout refuses it again at once) until the server answers one of its requests.
 */
export class KeyTimeouts {
  readonly #threshold: number;
  readonly #openForMs: number;
  readonly #entries = new Map<string, KeyEntry>();

  constructor(options: { threshold: number; openForMs: number }) {
    this.#threshold = options.threshold;
    this.#openForMs = options.openForMs;
  }

  /** Milliseconds until `clientKey` may send again; 0 when it may now. */
  retryAfterMs(clientKey: string): number {
    // The hot path: one lookup in a map that is empty unless some key has timed out.
    if (this.#entries.size === 0) return 0;
    const entry = this.#entries.get(clientKey);
    if (entry === undefined || entry.timeouts < this.#threshold) return 0;
    return Math.max(0, entry.openedAt + this.#openForMs - Date.now());
  }

  /** Whether `clientKey` has timed out `threshold` times in a row (refused, or on probation). */
  isTripped(clientKey: string): boolean {
    const entry = this.#entries.get(clientKey);
    return entry !== undefined && entry.timeouts >= this.#threshold;
  }

  /** Counts a timeout; returns true when it (re)opens the key's circuit. */
  recordTimeout(clientKey: string): boolean {
    let entry = this.#entries.get(clientKey);
    if (entry === undefined) {
      if (this.#entries.size >= MAX_TRACKED_KEYS) {
        const oldest = this.#entries.keys().next();
        if (!oldest.done) this.#entries.delete(oldest.value);
      }
      entry = { timeouts: 0, openedAt: 0 };
    } else {
      // Re-inserted so the map's order stays "longest untouched first".
      this.#entries.delete(clientKey);
    }
    this.#entries.set(clientKey, entry);
    entry.timeouts++;
    if (entry.timeouts < this.#threshold) return false;
    entry.openedAt = Date.now();
    return true;
  }

  /** The server answered this key: its run of timeouts ends. */
  recordAnswer(clientKey: string): void {
    if (this.#entries.size !== 0) this.#entries.delete(clientKey);
  }

  /** Keys whose circuit is open now. */
  openCount(): number {
    let count = 0;
    for (const key of this.#entries.keys()) if (this.retryAfterMs(key) > 0) count++;
    return count;
  }
}
