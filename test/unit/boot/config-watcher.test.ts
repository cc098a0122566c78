import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { watchConfig } from '../../../supervisor/boot/reload.ts';
import { sleep } from '../../helpers/paths.ts';
import { timersLeftBy } from '../../helpers/pending-timers.ts';

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

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
    }, /chokidar|\/supervisor\//);
    expect(left).toEqual([]);
  });
});
