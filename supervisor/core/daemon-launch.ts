import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { Pm2Manager } from '../process/pm2-manager.ts';
import { type HomePaths, isStartFileName } from '../shared/home.ts';
import type { Logger } from '../shared/logger.ts';

/**
 * Prepares the home (its folders; the env files and FIFOs a crashed run left) and launches this
 * home's private PM2 daemon, stopping whatever a crashed earlier run left in one. Kept apart from
 * the core, with imports of its own that are few and light, so that the supervisor launches the
 * daemon (a process of its own, ~0.5 s to boot) before it loads the rest of itself: the daemon
 * boots on another core meanwhile.
 *
 * `ready` resolves once the daemon runs and the supervisor is connected to it; it rejects when PM2
 * cannot be launched (a launch in flight is never abandoned: `Pm2Manager.kill` waits for it and
 * kills what it launched). `contact` resolves (never rejects) as soon as the daemon's process runs,
 * or when `ready` settles: the caller waits for it before it loads the rest of itself, which blocks
 * the event loop for ~1 s and would hold back the launch itself.
 */
export function launchDaemon(options: { paths: HomePaths; pm2: Pm2Manager; logger: Logger }): {
  ready: Promise<void>;
  contact: Promise<void>;
} {
  const { paths, pm2, logger } = options;
  let connecting: Promise<string[]>;
  try {
    // Synchronous, so that PM2's launch begins now (see `contact`): a few system calls.
    for (const dir of [paths.root, paths.runDir, paths.logDir, paths.serverLogDir]) {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
    }
    // A crashed run may have left env files (secrets) and FIFOs of servers that never came up.
    for (const name of readdirSync(paths.runDir)) {
      if (isStartFileName(name)) rmSync(path.join(paths.runDir, name), { force: true });
    }
    connecting = pm2.connect({ runDir: paths.runDir });
  } catch (error) {
    connecting = Promise.reject(error);
  }
  const ready = connecting.then((leftovers) => {
    if (leftovers.length > 0) {
      logger.warn(
        { servers: leftovers },
        `removed ${leftovers.length} process(es) an earlier run left behind`,
      );
    }
  });
  return { ready, contact: pm2.daemonContact() };
}
