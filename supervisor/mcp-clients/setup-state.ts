import path from 'node:path';
import { SupervisorError } from '../shared/errors.ts';
import type { HomePaths } from '../shared/home.ts';
import type { ClientId, ConfigScope } from './clients.ts';
import { readTextIfExists, writeFileAtomic } from './files.ts';

/**
 * What `client setup` did, per client file, so `client remove` can undo exactly that: the entry
 * it wrote, the key it created (by id: the token is never stored), the servers it moved out.
 * Kept in `<home>/client-setup.json`, mode 0600 (moved entries may hold their tokens).
 */
export interface SetupRecord {
  client: ClientId;
  scope: ConfigScope;
  file: string;
  entryName: string;
  keyId: string;
  keyName: string;
  /** The one server the entry and key are scoped to; `null`: all servers. */
  server: string | null;
  /** Entries taken out of the client's file, with their original values. */
  moved: { name: string; value: unknown }[];
  /** The copy of the file from before setup (absent when setup created the file). */
  backup: string | undefined;
  /** sha256 of the file before setup, and of what setup wrote: remove restores the backup verbatim
   * when the file is still exactly what setup wrote. */
  originalSha256: string | undefined;
  writtenSha256: string;
  at: number;
}

export function setupStateFile(paths: HomePaths): string {
  return path.join(paths.root, 'client-setup.json');
}

export async function readSetupRecords(paths: HomePaths): Promise<SetupRecord[]> {
  const file = setupStateFile(paths);
  const text = await readTextIfExists(file);
  if (text === undefined) return [];
  try {
    const parsed = JSON.parse(text) as { records?: SetupRecord[] };
    return Array.isArray(parsed.records) ? parsed.records : [];
  } catch (error) {
    throw new SupervisorError(
      'INTERNAL',
      `${file} is damaged (${(error as Error).message}); move it away to start over`,
      {
        cause: error,
      },
    );
  }
}

export async function writeSetupRecords(paths: HomePaths, records: readonly SetupRecord[]): Promise<void> {
  await writeFileAtomic(setupStateFile(paths), `${JSON.stringify({ records }, null, 2)}\n`, {
    createDir: true,
  });
}

export function sameFile(a: string, b: string): boolean {
  return path.resolve(a) === path.resolve(b);
}
