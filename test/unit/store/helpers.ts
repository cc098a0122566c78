import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach } from 'vitest';
import { openStore, type Store } from '../../../supervisor/store/db.ts';

/** A fresh temp dir per call, removed (with the stores opened in it) after each test. */
export function useTempStores(): { dir(): string; open(name?: string, toVersion?: number): Store } {
  const dirs: string[] = [];
  const stores: Store[] = [];
  afterEach(() => {
    for (const store of stores.splice(0)) store.close();
    for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
  });
  const dir = () => {
    const created = fs.mkdtempSync(path.join(os.tmpdir(), 'mcp-store-'));
    dirs.push(created);
    return created;
  };
  return {
    dir,
    open(name = 'metrics.db', toVersion?: number) {
      const store = openStore(path.join(dir(), name), toVersion === undefined ? {} : { toVersion });
      stores.push(store);
      return store;
    },
  };
}
