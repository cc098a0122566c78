import { lstatSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeFifos } from '../../../supervisor/process/server-launch.ts';
import { isSupervisorError } from '../../../supervisor/shared/errors.ts';

describe('makeFifos', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'mcps-fifos-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('makes the FIFOs of calls made together (mode 0600), each call resolving for its own', async () => {
    const pairs = Array.from({ length: 5 }, (_, i) => [
      path.join(dir, `${i}.in`),
      path.join(dir, `${i}.out`),
    ]);
    await Promise.all(pairs.map((pair) => makeFifos(pair)));
    for (const file of pairs.flat()) {
      const stat = lstatSync(file);
      expect(stat.isFIFO()).toBe(true);
      expect(stat.mode & 0o777).toBe(0o600);
    }
  });

  it("fails only the call whose FIFO could not be made, naming it; another call's succeed", async () => {
    const taken = path.join(dir, 'taken');
    await writeFile(taken, 'a file, not a FIFO');
    const good = [path.join(dir, 'a.in'), path.join(dir, 'a.out')];
    const [bad, ok] = await Promise.allSettled([
      makeFifos([taken, path.join(dir, 'b.out')]),
      makeFifos(good),
    ]);
    expect(ok.status).toBe('fulfilled');
    for (const file of good) expect(lstatSync(file).isFIFO()).toBe(true);
    expect(bad.status).toBe('rejected');
    const error = (bad as PromiseRejectedResult).reason;
    expect(isSupervisorError(error, 'PROCESS_MANAGER')).toBe(true);
    expect(error.message).toContain(taken);
  });

  it("rejects with the signal's reason when it aborted", async () => {
    const abort = new AbortController();
    abort.abort(new Error('stopped'));
    await expect(makeFifos([path.join(dir, 'x')], { signal: abort.signal })).rejects.toThrow('stopped');
  });
});
