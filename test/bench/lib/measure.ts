/** One timed run: `requests` calls spread over `concurrency` workers that each await their calls. */
export type RunStats = {
  concurrency: number;
  requests: number;
  elapsedMs: number;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** Calls that did not come back as a result (each is a bench failure, counted not thrown). */
  failures: number;
};

/** The value at quantile `q` (0..1) of an ascending array, nearest-rank. */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[index] as number;
}

export function median(values: readonly number[]): number {
  return quantile(
    [...values].sort((a, b) => a - b),
    0.5,
  );
}

export function round(value: number, digits = 3): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}

/**
 * Runs `call` `requests` times with `concurrency` workers, each issuing its next call when the
 * previous one settles, and times every call. `call` resolves true for a good answer.
 */
export async function runFixed(
  concurrency: number,
  requests: number,
  call: (worker: number) => Promise<boolean>,
): Promise<RunStats> {
  const latencies = new Float64Array(requests);
  let issued = 0;
  let failures = 0;
  const startedAt = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async (_, worker) => {
      while (issued < requests) {
        const index = issued++;
        const callStartedAt = performance.now();
        let isOk = false;
        try {
          isOk = await call(worker);
        } catch {
          isOk = false;
        }
        latencies[index] = performance.now() - callStartedAt;
        if (!isOk) failures++;
      }
    }),
  );
  const elapsedMs = performance.now() - startedAt;
  const sorted = Array.from(latencies).sort((a, b) => a - b);
  return {
    concurrency,
    requests,
    elapsedMs: round(elapsedMs, 1),
    requestsPerSecond: Math.round((requests / elapsedMs) * 1000),
    p50Ms: round(quantile(sorted, 0.5)),
    p99Ms: round(quantile(sorted, 0.99)),
    failures,
  };
}
