import { watch } from 'node:fs';
import { open, stat } from 'node:fs/promises';

/** Reads the last `count` lines of a file without reading all of it. Missing file → []. */
export async function readLastLines(file: string, count: number): Promise<string[]> {
  if (count <= 0) return [];
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(file, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  try {
    const { size } = await handle.stat();
    const chunkSize = 64 * 1024;
    const chunks: Buffer[] = [];
    let position = size;
    let newlines = 0;
    while (position > 0 && newlines <= count) {
      const length = Math.min(chunkSize, position);
      position -= length;
      const buffer = Buffer.alloc(length);
      await handle.read(buffer, 0, length, position);
      chunks.unshift(buffer);
      for (const byte of buffer) if (byte === 10) newlines++;
    }
    const lines = Buffer.concat(chunks).toString('utf8').split('\n');
    if (lines.at(-1) === '') lines.pop();
    return lines.slice(-count);
  } finally {
    await handle.close();
  }
}

/** The last `count` lines of one or two PM2 log files, merged by their timestamp prefix. */
export async function mergedTail(
  files: string[],
  errFile: string,
  count: number,
): Promise<{ stream: 'out' | 'err'; line: string }[]> {
  const all: { stream: 'out' | 'err'; line: string }[] = [];
  for (const file of files) {
    const stream = file === errFile ? 'err' : 'out';
    for (const line of await readLastLines(file, count)) all.push({ stream, line });
  }
  if (files.length > 1) all.sort((a, b) => timestampOf(a.line).localeCompare(timestampOf(b.line)));
  return all.slice(-count);
}

function timestampOf(line: string): string {
  return /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)/.exec(line)?.[1] ?? '';
}

/**
 * Calls `onLines` with every complete line appended to `file` from now on, until `signal`
 * aborts. Survives the file being created later or truncated (rotation).
 */
export function followFile(file: string, onLines: (lines: string[]) => void, signal: AbortSignal): void {
  let position = -1;
  let partial = '';
  let isReading = false;
  let isPending = false;
  const readMore = async () => {
    if (isReading) {
      isPending = true;
      return;
    }
    isReading = true;
    try {
      do {
        isPending = false;
        let size: number;
        try {
          size = (await stat(file)).size;
        } catch {
          continue;
        }
        if (position < 0 || size < position) position = position < 0 ? size : 0;
        if (size === position) continue;
        const handle = await open(file, 'r');
        try {
          const buffer = Buffer.alloc(size - position);
          await handle.read(buffer, 0, buffer.length, position);
          position = size;
          const text = partial + buffer.toString('utf8');
          const lines = text.split('\n');
          partial = lines.pop() ?? '';
          if (lines.length > 0 && !signal.aborted) onLines(lines);
        } finally {
          await handle.close();
        }
      } while (isPending && !signal.aborted);
    } finally {
      isReading = false;
    }
  };
  void readMore();
  // fs.watch misses events on some filesystems; a slow poll backs it up.
  const poll = setInterval(() => void readMore(), 500);
  poll.unref();
  let watcher: ReturnType<typeof watch> | undefined;
  try {
    watcher = watch(file, () => void readMore());
    watcher.on('error', () => {});
  } catch {
    // The file does not exist yet: the poll picks it up when it does.
  }
  signal.addEventListener(
    'abort',
    () => {
      clearInterval(poll);
      watcher?.close();
    },
    { once: true },
  );
}
