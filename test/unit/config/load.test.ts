import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig, readConfigText } from '../../../supervisor/config/load.ts';
import { isSupervisorError } from '../../../supervisor/shared/errors.ts';
import { resolveHome } from '../../../supervisor/shared/home.ts';

const dirs: string[] = [];
const fifos: string[] = [];

afterEach(() => {
  // A reader that did block in open() on a FIFO (the bug) is released by a writer, so the test
  // process can exit: opening for writing without blocking succeeds only when a reader waits.
  for (const fifo of fifos.splice(0)) {
    try {
      fs.closeSync(fs.openSync(fifo, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK));
    } catch {
      // No reader was waiting.
    }
  }
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mcps-load-'));
  dirs.push(dir);
  return dir;
}

function mkfifo(file: string): string {
  execFileSync('mkfifo', [file]);
  fifos.push(file);
  return file;
}

/** The error `promise` rejects with, or "hung" when it has not settled after 2 s. */
async function outcome(promise: Promise<unknown>): Promise<unknown> {
  let timer: NodeJS.Timeout | undefined;
  const hung = new Promise((resolve) => {
    timer = setTimeout(() => resolve('hung'), 2_000);
  });
  try {
    return await Promise.race([
      promise.then(
        () => 'loaded',
        (error: unknown) => error,
      ),
      hung,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

function expectRefused(error: unknown, pattern: RegExp): void {
  expect(error, 'the load hung or succeeded').toBeInstanceOf(Error);
  expect(isSupervisorError(error, 'CONFIG_INVALID')).toBe(true);
  expect((error as Error).message).toMatch(pattern);
}

describe('loadConfig on files that are not regular files', () => {
  it('refuses a FIFO given with --config at once instead of blocking in open()', async () => {
    const dir = tempDir();
    const fifo = mkfifo(path.join(dir, 'config.json'));
    const paths = resolveHome({ home: dir, env: {} });
    expectRefused(await outcome(loadConfig({ paths, file: fifo, env: {} })), /is a FIFO, not a regular file/);
  });

  it('refuses a FIFO as the home config.json, and when read for a reload', async () => {
    const dir = tempDir();
    const paths = resolveHome({ home: dir, env: {} });
    mkfifo(paths.configFile);
    expectRefused(await outcome(loadConfig({ paths, env: {} })), new RegExp(`${paths.configFile} is a FIFO`));
    expectRefused(await outcome(readConfigText(paths.configFile)), /is a FIFO/);
  });

  it('refuses a directory, a character device and an oversized file with what to do', async () => {
    const dir = tempDir();
    const paths = resolveHome({ home: dir, env: {} });
    expectRefused(
      await outcome(loadConfig({ paths, file: dir, env: {} })),
      /is a directory, not a regular file/,
    );
    expectRefused(
      await outcome(loadConfig({ paths, file: '/dev/zero', env: {} })),
      /is a character device, not a regular file/,
    );
    const big = path.join(dir, 'big.json');
    fs.writeFileSync(big, Buffer.alloc(11 * 1024 * 1024, 0x20));
    expectRefused(await outcome(loadConfig({ paths, file: big, env: {} })), /larger than 10 MiB/);
  });

  it('reads a regular file, and one behind a symlink', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'real.json');
    fs.writeFileSync(file, '{ mcpServers: { a: { command: "x" } } }');
    const link = path.join(dir, 'link.json');
    fs.symlinkSync(file, link);
    const paths = resolveHome({ home: dir, env: {} });
    const loaded = await loadConfig({ paths, file: link, env: {} });
    expect(Object.keys(loaded.config.mcpServers)).toEqual(['a']);
    expect(loaded.file).toBe(link);
    expect(await readConfigText(file)).toContain('mcpServers');
  });
});
