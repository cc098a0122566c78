import { createHook } from 'node:async_hooks';

/** Set and ref'd: neither fired nor cleared (Node marks both `_destroyed`; async_hooks says so later). */
function isPending(timer: NodeJS.Timeout): boolean {
  return timer.hasRef() && (timer as unknown as { _destroyed?: boolean })._destroyed !== true;
}

/**
 * Timers created while `fn` runs, by code whose stack matches `source`, that are still pending
 * after it (and a turn of the loop): what would keep the process alive after `fn` is done. One
 * line each, the frames of files (not Node's internals). The test runner's own are not counted
 * unless `source` matches them.
 */
export async function timersLeftBy(fn: () => Promise<void>, source: RegExp): Promise<string[]> {
  const created = new Map<number, { timer: NodeJS.Timeout; stack: string }>();
  const hook = createHook({
    init(id, type, _trigger, resource) {
      if (type !== 'Timeout') return;
      const limit = Error.stackTraceLimit;
      Error.stackTraceLimit = 30;
      created.set(id, { timer: resource as NodeJS.Timeout, stack: new Error().stack ?? '' });
      Error.stackTraceLimit = limit;
    },
    destroy(id) {
      created.delete(id);
    },
  });
  hook.enable();
  try {
    await fn();
  } finally {
    hook.disable();
  }
  await new Promise((resolve) => setImmediate(resolve));
  return [...created.values()]
    .filter(({ timer, stack }) => isPending(timer) && source.test(stack))
    .map(({ stack }) =>
      stack
        .split('\n')
        .filter((frame) => frame.includes('file://') || frame.includes('/node_modules/'))
        .slice(0, 4)
        .join(' | '),
    );
}
