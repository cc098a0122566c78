import { setTimeout as delay } from 'node:timers/promises';

/** Longest delay setTimeout honours (~24.8 days); a longer timeout means none at all. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** Whether `error` is an abort: an AbortSignal's default reason, or a fetch or stream it ended. */
export function isAbortError(error: unknown): boolean {
  return error instanceof Error && error.name === 'AbortError';
}

/**
 * Waits `ms` (holding the process open, as a polling loop needs); rejects with the signal's
 * reason when `signal` aborts first.
 */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return delay(ms, undefined, signal ? { signal } : undefined);
}

/**
 * Resolves or rejects with `promise`, or rejects with the signal's reason as soon as it aborts.
 * The abort listener is removed when `promise` settles, so a long-lived signal does not collect
 * one listener per call.
 */
export function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}
