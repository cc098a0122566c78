import { ExponentialBackoff, fullJitterGenerator, handleWhen, retry } from 'cockatiel';
import { untilAborted } from '../shared/timers.ts';
import { isTransportFailure } from './breaker.ts';

const IDEMPOTENT_METHODS: ReadonlySet<string> = new Set([
  'ping',
  'tools/list',
  'prompts/list',
  'resources/list',
  'resources/templates/list',
]);

/** Whether repeating `method` cannot change anything on the server (safe to retry). */
export function isIdempotentMethod(method: string): boolean {
  return IDEMPOTENT_METHODS.has(method);
}

export type RetryOptions = {
  /** Aborting stops both the attempt in flight (through its signal) and any backoff wait. */
  signal?: AbortSignal;
  /** Retries after the first attempt. Default 2. */
  maxRetries?: number;
  /** First backoff ceiling; each retry doubles it (full jitter: the wait is uniform in [0, ceiling]). Default 100. */
  initialDelayMs?: number;
  /** Largest backoff ceiling. Default 2000. */
  maxDelayMs?: number;
  /** Which errors are worth another attempt. Default: transport failures and timeouts ({@link isTransportFailure}). */
  isRetryable?: (error: unknown) => boolean;
};

/**
 * Calls `attempt` and, when `method` is idempotent and the attempt failed with a retryable error,
 * calls it again after an exponential backoff with full jitter. Non-idempotent methods run exactly
 * once. Refusals (queue full, rate limited, circuit open) and JSON-RPC error answers are not retried
 * by default: retrying them adds load where the server or our limits just said no.
 *
 * `attempt` receives the signal to honour and the attempt number (0 for the first call). Rejects
 * with the last attempt's error, or the signal's reason when aborted.
 */
export function retryIdempotent<T>(
  method: string,
  attempt: (signal: AbortSignal, attemptNumber: number) => Promise<T>,
  options: RetryOptions = {},
): Promise<T> {
  const signal = options.signal ?? new AbortController().signal;
  if (signal.aborted) return Promise.reject(signal.reason);
  // Not an async function: a call that is never retried gets the attempt's own promise.
  if (!isIdempotentMethod(method)) {
    try {
      return attempt(signal, 0);
    } catch (error) {
      return Promise.reject(error);
    }
  }
  return retryWithBackoff(attempt, signal, options);
}

async function retryWithBackoff<T>(
  attempt: (signal: AbortSignal, attemptNumber: number) => Promise<T>,
  signal: AbortSignal,
  options: RetryOptions,
): Promise<T> {
  const maxRetries = options.maxRetries ?? 2;
  const initialDelayMs = options.initialDelayMs ?? 100;
  const maxDelayMs = options.maxDelayMs ?? 2_000;
  if (!Number.isInteger(maxRetries) || maxRetries < 0) {
    throw new TypeError(`retry maxRetries must be a non-negative integer, got ${maxRetries}`);
  }
  if (!(initialDelayMs > 0) || !(maxDelayMs >= initialDelayMs)) {
    throw new TypeError(
      `retry delays must satisfy 0 < initialDelayMs <= maxDelayMs, got ${initialDelayMs} and ${maxDelayMs}`,
    );
  }
  const isRetryable = options.isRetryable ?? isTransportFailure;
  // Never retry once the caller has gone: the error then is the abort, whatever it looks like.
  const policy = retry(
    handleWhen((error) => !signal.aborted && isRetryable(error)),
    {
      maxAttempts: maxRetries,
      backoff: new ExponentialBackoff({
        initialDelay: initialDelayMs,
        maxDelay: maxDelayMs,
        generator: fullJitterGenerator,
      }),
    },
  );
  const attempts = policy.execute(({ signal: attemptSignal, attempt: attemptNumber }) => {
    // cockatiel's backoff wait ignores the signal and then calls again; stop that call here.
    attemptSignal.throwIfAborted();
    return attempt(attemptSignal, attemptNumber);
  }, signal);
  if (signal.aborted) return attempts;
  // Answer an abort at once, also during a backoff wait; the abandoned run ends on its own.
  attempts.catch(() => undefined);
  return untilAborted(attempts, signal);
}
