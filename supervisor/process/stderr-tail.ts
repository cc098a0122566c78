/**
 * The last lines a server wrote to stderr in its current run: the reason a failed start gives
 * (`npm error 404 Not Found …`, a Python traceback's last line). PM2 appends each server's stderr
 * to one log file across runs, so a run's lines are those after the size the file had at launch.
 */
import { open, stat } from 'node:fs/promises';
import { setTimeout as delay } from 'node:timers/promises';

/** At most this much of the end of a run's stderr is read. */
const MAX_READ_BYTES = 16 * 1024;
/** PM2 writes a process's last output asynchronously: give it this long after the exit. */
const FLUSH_WAIT_MS = 150;

/** The size of `file` now (0 when it does not exist yet): where the next run's output starts. */
export async function logSize(file: string): Promise<number> {
  try {
    return (await stat(file)).size;
  } catch {
    return 0;
  }
}

/**
 * The last `maxLines` non-empty lines written to `file` after byte `fromOffset`, without PM2's
 * timestamps, joined by " | " and cut to `maxChars`; "" when there are none. Never rejects.
 */
export async function stderrTail(
  file: string,
  fromOffset: number,
  options: { maxLines?: number; maxChars?: number } = {},
): Promise<string> {
  const { maxLines = 5, maxChars = 600 } = options;
  await delay(FLUSH_WAIT_MS, undefined, { ref: false });
  let text: string;
  try {
    const handle = await open(file, 'r');
    try {
      const { size } = await handle.stat();
      // A rotated (smaller) file starts over.
      const from = size < fromOffset ? 0 : Math.max(fromOffset, size - MAX_READ_BYTES);
      const buffer = Buffer.alloc(size - from);
      await handle.read(buffer, 0, buffer.length, from);
      text = buffer.toString('utf8');
    } finally {
      await handle.close();
    }
  } catch {
    return '';
  }
  return lastLines(text, maxLines, maxChars);
}

/** PM2 prefixes each line with its time (`time: true`): `2026-01-02T03:04:05: `. */
const PM2_TIMESTAMP = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:?\d\d)?:\s?/;

/** The last `maxLines` non-empty lines of `text`, timestamps removed, joined and cut. Pure. */
export function lastLines(text: string, maxLines: number, maxChars: number): string {
  const lines = text
    .split('\n')
    .map((line) => line.replace(PM2_TIMESTAMP, '').trimEnd())
    .filter((line) => line.trim() !== '');
  const joined = lines.slice(-maxLines).join(' | ');
  return joined.length <= maxChars ? joined : `…${joined.slice(-(maxChars - 1))}`;
}
