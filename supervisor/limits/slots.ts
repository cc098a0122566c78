/**
 * A counting semaphore with a bounded FIFO of waiters: the per-client and global concurrency caps.
 *
 * Bottleneck stays the per-server limiter (queue, rate, concurrency). These two caps only count:
 * measured on the gateway's echo path, each Bottleneck pass costs 50-70 µs of CPU per request in
 * its lock and promise machinery, and three passes per request halved the gateway's throughput.
 * Taking a free slot here is synchronous and allocation-free.
 */
export class Slots {
  #max: number;
  readonly #maxWaiting: number;
  #running = 0;
  readonly #waiters: { resolve: () => void; reject: (error: unknown) => void; isDone: boolean }[] = [];
  #head = 0;
  /** Waiters not yet served nor gone (an aborted waiter stays in the array until passed over). */
  #waiting = 0;

  constructor(options: { max: number; maxWaiting: number }) {
    Slots.check(options.max, options.maxWaiting);
    this.#max = options.max;
    this.#maxWaiting = options.maxWaiting;
  }

  static check(max: number, maxWaiting: number): void {
    if (!Number.isInteger(max) || max < 1)
      throw new TypeError(`slots max must be a positive integer, got ${max}`);
    if (!Number.isInteger(maxWaiting) || maxWaiting < 0) {
      throw new TypeError(`slots maxWaiting must be a non-negative integer, got ${maxWaiting}`);
    }
  }

  get running(): number {
    return this.#running;
  }
  get waiting(): number {
    return this.#waiting;
  }
  get max(): number {
    return this.#max;
  }
  get isIdle(): boolean {
    return this.#running === 0 && this.waiting === 0;
  }

  /** Takes a slot now if one is free and nobody waits (FIFO is kept). */
  tryAcquire(): boolean {
    if (this.#running < this.#max && this.waiting === 0) {
      this.#running++;
      return true;
    }
    return false;
  }

  /**
   * Resolves once a slot is taken. Rejects with `full()` at once when `maxWaiting` callers already
   * wait, and with the signal's reason when it aborts while waiting (the place is given up).
   */
  acquire(full: () => unknown, signal?: AbortSignal): Promise<void> {
    if (this.tryAcquire()) return Promise.resolve();
    if (this.waiting >= this.#maxWaiting) return Promise.reject(full());
    signal?.throwIfAborted();
    return new Promise<void>((resolve, reject) => {
      const waiter = {
        isDone: false,
        resolve: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
        reject,
      };
      const onAbort = () => {
        if (waiter.isDone) return;
        waiter.isDone = true;
        this.#waiting--;
        reject(signal?.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#waiters.push(waiter);
      this.#waiting++;
    });
  }

  /** Gives a slot back and hands it to the next waiter still waiting. */
  release(): void {
    this.#running--;
    this.#drain();
  }

  /**
   * Changes the cap live (the clustered guard's host cap follows the adaptive scale, see
   * cluster/clustered-guard.ts); raising it hands the new slots to waiters at once, lowering it
   * lets the running ones finish.
   */
  setMax(max: number): void {
    Slots.check(max, this.#maxWaiting);
    this.#max = max;
    this.#drain();
  }

  /** Rejects every waiter with `reason`. */
  rejectAll(reason: unknown): void {
    while (this.#head < this.#waiters.length) {
      const waiter = this.#waiters[this.#head++];
      if (waiter && !waiter.isDone) {
        waiter.isDone = true;
        this.#waiting--;
        waiter.reject(reason);
      }
    }
    this.#compact();
  }

  #drain(): void {
    while (this.#running < this.#max && this.#head < this.#waiters.length) {
      const waiter = this.#waiters[this.#head++];
      if (!waiter || waiter.isDone) continue;
      waiter.isDone = true;
      this.#waiting--;
      this.#running++;
      waiter.resolve();
    }
    this.#compact();
  }

  #compact(): void {
    // Drop the consumed head of the queue now and then, not on every release.
    if (this.#head > 64 && this.#head * 2 > this.#waiters.length) {
      this.#waiters.splice(0, this.#head);
      this.#head = 0;
    }
    if (this.#head === this.#waiters.length) {
      this.#waiters.length = 0;
      this.#head = 0;
    }
  }
}
