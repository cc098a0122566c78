import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../../supervisor/shared/logger.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

/** A log folder that does not exist yet, as on a fresh home. */
function freshLogDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mcps-log-'));
  dirs.push(dir);
  return path.join(dir, 'home', 'logs');
}

describe('createLogger', () => {
  it('creates the log folder before its writer starts', async () => {
    const logDir = freshLogDir();
    const { close } = createLogger({ level: 'info', format: 'json', logDir, toStdout: false });
    // pino-roll links current.log right after sonic-boom starts creating the folder: the folder
    // must exist before, or the link races the mkdir and the writer's thread dies.
    expect(fs.statSync(logDir).mode & 0o777).toBe(0o700);
    await close();
  });

  it('writes every line to current.log on a fresh home and closes fast', async () => {
    // The race lost about one start in three; five fresh homes in a row all keep their lines.
    for (let i = 0; i < 5; i++) {
      const logDir = freshLogDir();
      const { logger, close } = createLogger({ level: 'info', format: 'json', logDir, toStdout: false });
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
});
