import { errorMessage } from '../shared/errors.ts';
import { type Logger, silentLogger } from '../shared/logger.ts';

export interface WebhookOptions {
  url: string;
  headers?: Record<string, string>;
  logger?: Logger;
  /** Per attempt. Default 5000 ms. */
  timeoutMs?: number;
  /** Total attempts per event. Default 3. */
  attempts?: number;
  /** Delay before the 2nd attempt, doubled for each next one. Default 500 ms. */
  backoffMs?: number;
  /** Events waiting to be sent; beyond it the oldest is dropped (and counted). Default 100. */
  maxQueue?: number;
  fetch?: typeof fetch;
}

export interface WebhookStats {
  sent: number;
  failed: number;
  dropped: number;
  queued: number;
}

export interface WebhookNotifier {
  /** Queues `event` for a JSON POST; never blocks nor throws. */
  send(event: unknown): void;
  /** Waits until the queue is empty (or `signal` aborts). */
  onIdle(signal?: AbortSignal): Promise<void>;
  /** Stops: aborts the request in flight, drops what is queued. */
  stop(): Promise<void>;
  stats(): WebhookStats;
}

class HttpStatusError extends Error {
  readonly status: number;
  constructor(status: number) {
    super(`HTTP ${status}`);
    this.status = status;
  }
}

/** 4xx other than 408/429 means the receiver rejects the payload: trying again will not help. */
const isRetryable = (error: unknown): boolean =>
  !(error instanceof HttpStatusError) || error.status >= 500 || error.status === 408 || error.status === 429;

/**
 * Posts each event as JSON to a webhook, one at a time in order, with a timeout per attempt and
 * exponential backoff between attempts. Failures are logged, never thrown: an unreachable webhook
 * must not disturb alerting.
 */
export function createWebhookNotifier(options: WebhookOptions): WebhookNotifier {
  const url = new URL(options.url).toString();
  const logger = options.logger ?? silentLogger;
  const timeoutMs = options.timeoutMs ?? 5_000;
  const attempts = options.attempts ?? 3;
  const backoffMs = options.backoffMs ?? 500;
  const maxQueue = options.maxQueue ?? 100;
  const doFetch = options.fetch ?? fetch;
  if (!Number.isInteger(attempts) || attempts < 1)
    throw new RangeError(`attempts must be ≥ 1, got ${attempts}`);
  if (!Number.isInteger(maxQueue) || maxQueue < 1)
    throw new RangeError(`maxQueue must be ≥ 1, got ${maxQueue}`);

  const queue: unknown[] = [];
  const stats = { sent: 0, failed: 0, dropped: 0 };
  const stopController = new AbortController();
  let draining: Promise<void> | undefined;

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      timer.unref();
      stopController.signal.addEventListener(
        'abort',
        () => {
          clearTimeout(timer);
          resolve();
        },
        { once: true },
      );
    });

  async function post(body: string): Promise<void> {
    const response = await doFetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...options.headers },
      body,
      signal: AbortSignal.any([stopController.signal, AbortSignal.timeout(timeoutMs)]),
    });
    // Drain the body so the connection can be reused.
    await response.arrayBuffer().catch(() => undefined);
    if (!response.ok) throw new HttpStatusError(response.status);
  }

  async function deliver(event: unknown): Promise<void> {
    const body = JSON.stringify(event);
    for (let attempt = 1; attempt <= attempts; attempt++) {
      if (stopController.signal.aborted) return;
      try {
        await post(body);
        stats.sent++;
        return;
      } catch (error) {
        const isLast = attempt === attempts || !isRetryable(error);
        logger.warn(
          { err: errorMessage(error), url, attempt },
          isLast ? 'webhook failed' : 'webhook failed, retrying',
        );
        if (isLast) {
          stats.failed++;
          return;
        }
        await sleep(backoffMs * 2 ** (attempt - 1));
      }
    }
  }

  async function drain(): Promise<void> {
    while (queue.length > 0 && !stopController.signal.aborted) {
      await deliver(queue.shift());
    }
  }

  function kick(): void {
    if (draining) return;
    draining = (async () => {
      try {
        await drain();
      } finally {
        draining = undefined;
        // An event queued after the loop saw an empty queue but before this point.
        if (queue.length > 0 && !stopController.signal.aborted) kick();
      }
    })();
  }

  return {
    send(event) {
      if (stopController.signal.aborted) return;
      if (queue.length >= maxQueue) {
        queue.shift();
        stats.dropped++;
        logger.warn({ url, maxQueue }, 'webhook queue full, oldest event dropped');
      }
      queue.push(event);
      kick();
    },
    async onIdle(signal) {
      while (draining) {
        if (signal?.aborted) return;
        await draining;
      }
    },
    async stop() {
      stopController.abort();
      stats.dropped += queue.length;
      queue.length = 0;
      await draining;
    },
    stats: () => ({ ...stats, queued: queue.length }),
  };
}
