/**
 * A config path that is a FIFO (or another non-regular file) is refused at once — by `start`,
 * `config validate`, `reload` and the file watcher — instead of blocking the supervisor in open().
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import {
  cleanupTempHomes,
  runCli,
  startSupervisorProcess,
  tempHome,
  waitFor,
  waitForNoProcessesUnder,
} from '../../helpers/index.ts';

const fifos: string[] = [];

function mkfifo(file: string): string {
  execFileSync('mkfifo', [file]);
  fifos.push(file);
  return file;
}

afterEach(() => {
  // Frees a reader blocked in open() (the bug), so a failing run still ends.
  for (const fifo of fifos.splice(0)) {
    try {
      fs.closeSync(fs.openSync(fifo, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK));
    } catch {
      // Nobody was waiting on it.
    }
  }
});

afterAll(cleanupTempHomes);

describe('a config path that is a FIFO', () => {
  it('is refused by start and config validate at once, with the path and what to do', async () => {
    const home = await tempHome();
    const fifo = mkfifo(path.join(home.path, 'pipe.json'));
    const validate = await runCli(['config', 'validate', fifo], { home: home.path, timeoutMs: 10_000 });
    expect(validate.code).toBe(3);
    expect(validate.stderr).toContain(`${fifo} is a FIFO, not a regular file`);
    const start = await runCli(['start', '--config', fifo], { home: home.path, timeoutMs: 15_000 });
    expect(start.code).toBe(3);
    expect(start.stderr.trim().split('\n')).toEqual([
      `mcp-supervisor: ${fifo} is a FIFO, not a regular file; point the config at a JSON file`,
    ]);
    expect(await waitForNoProcessesUnder(home.path)).toEqual([]);
  });

  it('swapped in for a running supervisor is refused by reload and the watcher; it keeps running', async () => {
    const home = await tempHome();
    const supervisor = await startSupervisorProcess({ home: home.path, config: { mcpServers: {} } });
    const log = path.join(supervisor.paths.logDir, 'current.log');
    const logText = () => readFile(log, 'utf8').catch(() => '');
    try {
      // The watcher is set up once the servers have started: rewrite the config until it reacts.
      await waitFor(
        async () => {
          await writeFile(supervisor.paths.configFile, JSON.stringify({ mcpServers: {} }));
          return (await logText()).includes('config unchanged') ? true : undefined;
        },
        { what: 'the config watcher to react', timeoutMs: 15_000, intervalMs: 500 },
      );
      await rm(supervisor.paths.configFile);
      mkfifo(supervisor.paths.configFile);
      // The watcher sees the swap and reloads: refused, logged, nothing changed.
      await waitFor(
        async () => ((await logText()).includes('is a FIFO, not a regular file') ? true : undefined),
        { what: 'the watcher reload refused in the log', timeoutMs: 10_000 },
      );
      const reload = await runCli(['reload'], { home: home.path, timeoutMs: 10_000 });
      expect(reload.code).toBe(3);
      expect(reload.stderr).toContain('is a FIFO, not a regular file');
      expect((await supervisor.status()).supervisor.pid).toBe(supervisor.pid);
    } finally {
      const stopped = await supervisor.stop();
      expect(stopped.code).toBe(0);
    }
    expect(await waitForNoProcessesUnder(home.path)).toEqual([]);
  });
});
