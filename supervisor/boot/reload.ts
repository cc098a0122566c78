import chokidar from 'chokidar';
import { type ConfigDiff, isEmptyDiff } from '../config/diff.ts';
import { readConfigText } from '../config/load.ts';
import { parseConfig } from '../config/parse.ts';
import type { Config } from '../config/schema.ts';
import type { SupervisorCore } from '../core/supervisor.ts';
import { errorMessage, SupervisorError } from '../shared/errors.ts';
import type { Logger } from '../shared/logger.ts';

/**
 * The reload pipeline: read and validate the file, then let the core diff and apply it. A file
 * that does not validate changes nothing (logged, and a `config` event says why); an unchanged
 * one is a no-op. One reload at a time: the file watcher, SIGHUP and the API may ask at once.
 */
export function createReload(options: {
  core: SupervisorCore;
  file: string;
  env: NodeJS.ProcessEnv;
  logger: Logger;
  publish: (type: 'config', data: unknown) => void;
}): () => Promise<ConfigDiff> {
  const { core, file, env, logger, publish } = options;
  const applyReload = async (): Promise<ConfigDiff> => {
    let next: Config;
    try {
      const text = await readConfigText(file);
      next = parseConfig(text, { source: file, env });
    } catch (error) {
      const message = errorMessage(error);
      logger.error({ file }, `config reload refused, nothing changed: ${message}`);
      publish('config', { ok: false, message, at: Date.now() });
      if (error instanceof SupervisorError) throw error;
      throw new SupervisorError('CONFIG_INVALID', `cannot read ${file}: ${message}`, { cause: error });
    }
    // The core holds the running config; it diffs once and does nothing when nothing changed.
    const applied = await core.applyConfig(next);
    if (isEmptyDiff(applied)) {
      logger.info('config unchanged; nothing to do');
      return applied;
    }
    logger.info(
      { added: applied.added, removed: applied.removed, changed: applied.changed },
      'config reloaded',
    );
    if (applied.supervisorChanged) {
      logger.warn('supervisor settings changed; port, host and log settings apply at the next start');
    }
    publish('config', { ok: true, diff: applied, at: Date.now() });
    return applied;
  };
  let reloadChain: Promise<unknown> = Promise.resolve();
  return () => {
    const next = reloadChain.then(applyReload, applyReload);
    reloadChain = next.catch(() => {});
    return next;
  };
}

/**
 * Reloads when `file` changes (after writes settle, debounced 100 ms). Returns the watcher's
 * stop function; a failed reload is logged and published by `reload` and changes nothing.
 */
export function watchConfig(file: string, reload: () => Promise<unknown>): () => Promise<void> {
  const watcher = chokidar.watch(file, {
    ignoreInitial: true,
    awaitWriteFinish: { stabilityThreshold: 200 },
  });
  let reloadTimer: NodeJS.Timeout | undefined;
  watcher.on('all', () => {
    clearTimeout(reloadTimer);
    reloadTimer = setTimeout(() => {
      reload().catch(() => {
        // Logged and published by reload(); the running config stays as it was.
      });
    }, 100);
    reloadTimer.unref();
  });
  return async () => {
    clearTimeout(reloadTimer);
    await watcher.close();
  };
}
