import { randomBytes } from 'node:crypto';
import { copyFile, mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { SupervisorError } from '../shared/errors.ts';

/** The file's text, or `undefined` when it does not exist. Other read errors are `CONFIG_INVALID`. */
export async function readTextIfExists(file: string, signal?: AbortSignal): Promise<string | undefined> {
  try {
    return await readFile(file, { encoding: 'utf8', signal });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    if (code === 'ABORT_ERR') throw error;
    throw new SupervisorError('CONFIG_INVALID', `cannot read ${file}: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

export async function isDirectory(dir: string): Promise<boolean> {
  try {
    return (await stat(dir)).isDirectory();
  } catch {
    return false;
  }
}

/** `20260115T103000Z`: sortable, and legal in file names on every OS. */
export function timestampForFile(at: Date = new Date()): string {
  return at
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
}

/**
 * Copies `file` to `<file>.<timestamp>.bak` beside it (mode 0600: client files hold tokens) and
 * returns the copy's path; `undefined` when there is no file to back up.
 */
export async function backupFile(file: string, at: Date = new Date()): Promise<string | undefined> {
  try {
    await stat(file);
  } catch {
    return undefined;
  }
  let backup = `${file}.${timestampForFile(at)}.bak`;
  for (let n = 2; await exists(backup); n++) backup = `${file}.${timestampForFile(at)}-${n}.bak`;
  await copyFile(file, backup);
  const handle = await open(backup, 'r+');
  try {
    await handle.chmod(0o600);
  } finally {
    await handle.close();
  }
  return backup;
}

async function exists(file: string): Promise<boolean> {
  try {
    await stat(file);
    return true;
  } catch {
    return false;
  }
}

/**
 * Writes `text` to `file` atomically: a temp file beside it (mode 0600), flushed to disk, then
 * renamed over the file, so a reader (the client, the supervisor's watcher) sees the old or the
 * new file, never half of one. `createDir` makes the parent folder (mode 0700) when missing.
 */
export async function writeFileAtomic(
  file: string,
  text: string,
  options: { createDir?: boolean } = {},
): Promise<void> {
  const dir = path.dirname(file);
  if (options.createDir) await mkdir(dir, { recursive: true, mode: 0o700 });
  const temp = path.join(dir, `.${path.basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    const handle = await open(temp, 'wx', 0o600);
    try {
      await handle.writeFile(text, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, file);
  } catch (error) {
    await rm(temp, { force: true });
    throw new SupervisorError('INTERNAL', `cannot write ${file}: ${(error as Error).message}`, {
      cause: error,
    });
  }
}
