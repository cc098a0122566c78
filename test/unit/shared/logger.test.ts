import { execFile } from 'node:child_process';
import fs from 'node:fs';
import { mkdtemp, readFile, readlink, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../../supervisor/shared/logger.ts';

const run = promisify(execFile);
const FIXTURE = path.join(import.meta.dirname, 'fixtures/log-and-exit.ts');
/** Threads every Node process has: the main one, libuv's pool, V8's platform workers. */
const NODE_THREADS = /^(MainThread|node|libuv-worker|V8Worker|DelayedTaskSche|SignalInspector)$/;

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'mcps-log-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function lines(file: string): Promise<Record<string, unknown>[]> {
  const text = await readFile(file, 'utf8');
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

/** A log folder that does not exist yet, as on a fresh home. */
function freshLogDir(): string {
  return path.join(fs.mkdtempSync(path.join(dir, 'fresh-')), 'home', 'logs');
}

describe('createLogger', () => {
  it('creates the log folder (mode 0700) before its writer starts, on a fresh home', async () => {
    const logDir = freshLogDir();
    const { close } = await createLogger({ level: 'info', format: 'json', logDir, toStdout: false });
    // pino-roll links current.log right after sonic-boom starts creating the folder: the folder
    // must exist before, or the link races the mkdir.
    expect(fs.statSync(logDir).mode & 0o777).toBe(0o700);
    await close();
  });

  it('writes every line to current.log on a fresh home and closes fast', async () => {
    // The race lost about one start in three; five fresh homes in a row all keep their lines.
    for (let i = 0; i < 5; i++) {
      const logDir = freshLogDir();
      const { logger, close } = await createLogger({
        level: 'info',
        format: 'json',
        logDir,
        toStdout: false,
      });
      logger.error({ attempt: i }, 'start failed');
      const startedAt = performance.now();
      await close();
      expect(performance.now() - startedAt).toBeLessThan(2_000);
      const lines = fs.readFileSync(path.join(logDir, 'current.log'), 'utf8').trim().split('\n');
      expect(lines.map((line) => JSON.parse(line) as { msg: string; attempt: number })).toMatchObject([
        { msg: 'start failed', attempt: i },
      ]);
    }
  });

  it('writes redacted JSON lines to supervisor.1.log, linked as current.log, all of them by close()', async () => {
    const logDir = path.join(dir, 'logs');
    const { logger, close } = await createLogger({ level: 'info', format: 'json', logDir, toStdout: false });
    logger.info({ token: 'secret-token', spec: { env: { KEY: 'v' } }, n: 1 }, 'first');
    for (let i = 0; i < 2_000; i++) logger.info({ i }, 'more');
    logger.debug('below the level');
    await close();
    const written = await lines(path.join(logDir, 'supervisor.1.log'));
    expect(written).toHaveLength(2_001);
    expect(written[0]).toMatchObject({
      msg: 'first',
      token: '[redacted]',
      spec: { env: '[redacted]' },
      n: 1,
    });
    expect(written[0]?.pid).toBe(process.pid);
    expect(await readlink(path.join(logDir, 'current.log'))).toBe('supervisor.1.log');
  });

  it('continues the numbering of an existing folder', async () => {
    const logDir = path.join(dir, 'logs');
    for (const text of ['one', 'two']) {
      const { logger, close } = await createLogger({
        level: 'info',
        format: 'json',
        logDir,
        toStdout: false,
      });
      logger.info(text);
      await close();
    }
    expect((await lines(path.join(logDir, 'supervisor.1.log'))).map((line) => line.msg)).toEqual([
      'one',
      'two',
    ]);
  });

  it('loses nothing when the process exits at once, and runs no thread of its own', async () => {
    const logDir = path.join(dir, 'logs');
    const { stdout } = await run(process.execPath, [FIXTURE, logDir, '20000'], { timeout: 30_000 });
    const { threads } = JSON.parse(stdout) as { threads: string[] };
    expect(threads.filter((name) => !NODE_THREADS.test(name))).toEqual([]);
    const written = await lines(path.join(logDir, 'supervisor.1.log'));
    expect(written).toHaveLength(20_000);
    expect(written.at(-1)).toMatchObject({ i: 19_999 });
  });

  it('is silent, and needs no folder, at level silent or with no output', async () => {
    const silent = await createLogger({ level: 'silent', format: 'json', logDir: dir, toStdout: true });
    silent.logger.info('nothing');
    await silent.close();
    const none = await createLogger({ level: 'info', format: 'json', toStdout: false });
    none.logger.info('nothing');
    await none.close();
  });
});
