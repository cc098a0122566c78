import { createHook } from 'node:async_hooks';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { watchConfig } from '../../../supervisor/boot/reload.ts';
import { sleep } from '../../helpers/paths.ts';

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

/**
 * Timers the watcher (chokidar, supervisor/) created while `fn` runs that are still pending, and
 * would keep the process alive, after it. (The test runner's own are not counted.)
 */
async function timersLeftBy(fn: () => Promise<void>): Promise<string[]> {
  const pending = new Map<number, { timer: NodeJS.Timeout; stack: string }>();
  const hook = createHook({
    init(id, type, _trigger, resource) {
      if (type !== 'Timeout') return;
      const limit = Error.stackTraceLimit;
      Error.stackTraceLimit = 30;
      pending.set(id, { timer: resource as NodeJS.Timeout, stack: new Error().stack ?? '' });
      Error.stackTraceLimit = limit;
    },
    destroy(id) {
      pending.delete(id);
    },
  });
  hook.enable();
  try {
    await fn();
  } finally {
    hook.disable();
  }
  await new Promise((resolve) => setImmediate(resolve));
  return [...pending.values()]
    .filter(({ timer, stack }) => isPending(timer) && /chokidar|\/supervisor\//.test(stack))
    .map(({ stack }) =>
      stack
        .split('\n')
        .filter((frame) => frame.includes('file://') || frame.includes('/node_modules/'))
        .slice(0, 4)
        .join(' | '),
    );
}

/** Set and ref'd: neither fired nor cleared (Node marks both `_destroyed`; async_hooks says so later). */
function isPending(timer: NodeJS.Timeout): boolean {
  return timer.hasRef() && (timer as unknown as { _destroyed?: boolean })._destroyed !== true;
}

describe('the config watcher', () => {
  it('leaves no timer behind once closed: the supervisor exits when its stop is done, not a second later', async () => {
    // Once delayed every stop by ~0.8 s: watching a config file that does not exist (the built-in
    // default) watches its directory, the home, where the stop itself writes; each change there
    // started a 1 s throttle timer of chokidar's that its close() forgot without clearing.
    const dir = await mkdtemp(path.join(os.tmpdir(), 'mcps-watch-'));
    dirs.push(dir);
    const left = await timersLeftBy(async () => {
      const close = watchConfig(path.join(dir, 'config.json'), () => Promise.resolve({}) as never);
      await sleep(300);
      // A change in the directory, and the close at once, as a stop does (its first step).
      await writeFile(path.join(dir, 'supervisor.json'), '{}');
      await close();
    });
    expect(left).toEqual([]);
  });
});
