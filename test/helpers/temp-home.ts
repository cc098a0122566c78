import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { type HomePaths, resolveHome } from '../../supervisor/shared/home.ts';
import { describeProcesses, killProcessesUnder, type ProcessInfo } from './process-table.ts';

export interface TempHome {
  /** The home folder (short, under the temp dir: Unix socket paths are limited to ~104 bytes). */
  readonly path: string;
  readonly paths: HomePaths;
  /**
   * SIGKILLs whatever still runs under the home, removes it, and returns what had to be killed
   * (a clean test leaves that list empty).
   */
  cleanup(): Promise<ProcessInfo[]>;
}

const live = new Set<TempHome>();

/** A fresh supervisor home `mcps-XXXXXX` under the OS temp dir. */
export async function tempHome(prefix = 'mcps-'): Promise<TempHome> {
  const root = await mkdtemp(path.join(os.tmpdir(), prefix));
  const paths = resolveHome({ home: root, env: {} });
  const home: TempHome = {
    path: root,
    paths,
    cleanup: async () => {
      live.delete(home);
      const extraRoots = paths.runDir.startsWith(root) ? [] : [paths.runDir];
      const killed = await killProcessesUnder(root, { extraRoots });
      await rm(root, { recursive: true, force: true, maxRetries: 3 });
      if (extraRoots.length > 0) await rm(paths.runDir, { recursive: true, force: true });
      return killed;
    },
  };
  live.add(home);
  return home;
}

/**
 * The safety net for a test file: cleans up every temp home still registered, SIGKILLing what runs
 * under it, and fails (throws) when it had to kill anything — a leak the test itself missed.
 * Register it with `afterEach` or `afterAll`: `afterAll(cleanupTempHomes)`.
 */
export async function cleanupTempHomes(): Promise<void> {
  const leaks: string[] = [];
  for (const home of [...live]) {
    const killed = await home.cleanup();
    if (killed.length > 0) leaks.push(`${home.path}:\n${describeProcesses(killed)}`);
  }
  if (leaks.length > 0) {
    throw new Error(`processes were left running and had to be killed:\n${leaks.join('\n')}`);
  }
}
