import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { PROBE_KILL_STEP_MS, probeToolNames } from '../../../supervisor/upstream/tool-probe.ts';
import { waitFor } from '../../helpers/paths.ts';

const LINGERING_SERVER = path.join(
  path.dirname(fileURLToPath(import.meta.url)),
  'fixtures/lingering-server.mjs',
);

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('probeToolNames', () => {
  it('ends a probe process that outlives its input at once when aborted while it closes', async () => {
    // Once a second of a stop: the abort ended the probe process only until its list was done;
    // aborted during the close after it (server-memory, in the seconds after a start), the stop
    // waited out the probe's grace after its input's end, then its SIGTERM.
    const dir = mkdtempSync(path.join(os.tmpdir(), 'mcps-probe-'));
    dirs.push(dir);
    const listedFile = path.join(dir, 'listed');
    const abort = new AbortController();
    const probe = probeToolNames(
      { kind: 'stdio', command: process.execPath, args: [LINGERING_SERVER, listedFile], env: {}, cwd: dir },
      {},
      { timeoutMs: 15_000, signal: abort.signal },
    ).then(
      (names) => ({ names }),
      (error: unknown) => ({ error }),
    );
    // Its input ended: the probe has its list and is closing (the server lives on).
    await waitFor(() => (existsSync(listedFile) ? true : undefined), {
      what: 'the probe to list the tools',
      timeoutMs: 10_000,
      intervalMs: 5,
    });
    const abortedAt = Date.now();
    abort.abort(new Error('the supervisor is stopping'));
    const outcome = await probe;
    expect(Date.now() - abortedAt).toBeLessThan(PROBE_KILL_STEP_MS / 2);
    expect(outcome).toEqual({ names: ['noop'] });
  });
});
