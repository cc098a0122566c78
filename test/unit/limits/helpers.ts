/** A promise with its settle functions outside, for holding tasks open in tests. */
export type Deferred<T> = { promise: Promise<T>; resolve(value: T): void; reject(error: unknown): void };

export function deferred<T = void>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** One turn of the event loop's check phase (where the patched Bottleneck does its work). */
export const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Turns the event loop until `condition` holds; throws after a generous bound (5 s of wall time),
 * which only a broken test ever reaches: it is a hang guard, not a timing assertion.
 */
export async function until(condition: () => boolean, maxWaitMs = 5_000): Promise<void> {
  const deadline = performance.now() + maxWaitMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`condition still false after ${maxWaitMs} ms`);
    await nextTurn();
  }
}

/** Turns the event loop `turns` times, to let anything that would happen happen. */
export async function settle(turns = 100): Promise<void> {
  for (let turn = 0; turn < turns; turn++) await nextTurn();
}

/** Captures a promise's rejection (fails the test if it resolves). */
export async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the promise to reject, but it resolved');
}
