import { stat } from 'node:fs/promises';
import chokidar from 'chokidar';
import { type ConfigDiff, isEmptyDiff } from '../config/diff.ts';
import { readConfigText } from '../config/load.ts';
import { parseConfig } from '../config/parse.ts';
import type { Config } from '../config/schema.ts';
import type { AppliedConfig, SupervisorCore } from '../core/supervisor.ts';
import { errorMessage, SupervisorError } from '../shared/errors.ts';
import type { Logger } from '../shared/logger.ts';

/** What asked for a reload: the file watcher, SIGHUP, or a control API client. */
export const RELOAD_TRIGGERS = ['file', 'signal', 'api', 'cli', 'app', 'console'] as const;
export type ReloadTrigger = (typeof RELOAD_TRIGGERS)[number];

/** A change one reload applied: the diff, by whom and when, and the servers' states then. */
export interface AppliedChange extends ConfigDiff {
  trigger: ReloadTrigger;
  /** When the file was read (epoch ms). */
  readAt: number;
  /** When the change was applied (epoch ms). */
  at: number;
  /** `name → state` of the added and changed servers (now, in an answer that repeats it). */
  states: Record<string, string>;
}

/**
 * What one reload request did. Its own diff is `added`/`removed`/`changed` (empty when nothing
 * changed); when it changed nothing because an earlier reload (another trigger, or the file
 * watcher before a `reload`) had already applied the file as it is on disk, `alreadyApplied` is
 * that change.
 */
export interface ReloadOutcome extends AppliedChange {
  alreadyApplied?: AppliedChange;
}

export interface ReloadPipeline {
  /**
   * Reads and validates the file and applies it, one reload at a time, after the supervisor's start
   * has launched its servers. Resolves once the change is applied (removed servers stopped, new ones
   * starting), never waiting for a server to be online. A file that does not validate changes
   * nothing and rejects with `CONFIG_INVALID`.
   */
  reload(trigger: ReloadTrigger, options?: { isQuiet?: boolean }): Promise<ReloadOutcome>;
  /** The last reload that changed something, if any. */
  readonly lastApplied: AppliedChange | undefined;
}

/**
 * The one reload pipeline: the file watcher, SIGHUP, the API (so `mcp-supervisor reload`, the tray
 * and the console) all go through it, so they queue behind each other and each can say what was
 * applied, by whichever trigger. A file that does not validate changes nothing (logged, and a
 * `config` event says why); an unchanged one is a no-op.
 */
export function createReload(options: {
  core: SupervisorCore;
  file: string;
  env: NodeJS.ProcessEnv;
  logger: Logger;
  publish: (type: 'config', data: unknown) => void;
  /** Resolves once the start has launched the servers; reloads wait for it. */
  started: Promise<unknown>;
}): ReloadPipeline {
  const { core, file, env, logger, publish } = options;
  let lastApplied: AppliedChange | undefined;

  const applyReload = async (trigger: ReloadTrigger, isQuiet: boolean): Promise<ReloadOutcome> => {
    let next: Config;
    const readAt = Date.now();
    try {
      const text = await readConfigText(file);
      next = parseConfig(text, { source: file, env });
    } catch (error) {
      const message = errorMessage(error);
      logger.error({ file, trigger }, `config reload refused, nothing changed: ${message}`);
      publish('config', { ok: false, message, trigger, at: Date.now() });
      if (error instanceof SupervisorError) throw error;
      throw new SupervisorError('CONFIG_INVALID', `cannot read ${file}: ${message}`, { cause: error });
    }
    // The core holds the running config; it diffs once and does nothing when nothing changed.
    const applied: AppliedConfig = await core.applyConfig(next);
    const outcome: ReloadOutcome = { ...applied, trigger, readAt, at: Date.now() };
    if (isEmptyDiff(applied)) {
      const before = await appliedThisFile(lastApplied);
      if (before) outcome.alreadyApplied = { ...before, states: currentStates(core, before) };
      if (!isQuiet) {
        logger.info(
          { trigger, alreadyAppliedBy: before?.trigger },
          before
            ? `config unchanged since the ${before.trigger} reload applied it`
            : 'config unchanged; nothing to do',
        );
      }
      return outcome;
    }
    lastApplied = outcome;
    logger.info(
      {
        trigger,
        added: applied.added,
        removed: applied.removed,
        changed: applied.changed,
        states: applied.states,
      },
      'config reloaded',
    );
    if (applied.supervisorChanged) {
      logger.warn('supervisor settings changed; port, host and log settings apply at the next start');
    }
    publish('config', { ok: true, diff: applied, trigger, at: outcome.at });
    return outcome;
  };

  /** The last change, if it applied the file as it is on disk now (read after its last write). */
  const appliedThisFile = async (change: AppliedChange | undefined): Promise<AppliedChange | undefined> => {
    if (!change) return undefined;
    const modifiedAt = await stat(file).then(
      (info) => info.mtimeMs,
      () => Number.POSITIVE_INFINITY,
    );
    return modifiedAt <= change.readAt ? change : undefined;
  };

  let reloadChain: Promise<unknown> = options.started.catch(() => {});
  return {
    reload(trigger, reloadOptions = {}) {
      const run = () => applyReload(trigger, reloadOptions.isQuiet === true);
      const next = reloadChain.then(run, run);
      reloadChain = next.catch(() => {});
      return next;
    },
    get lastApplied() {
      return lastApplied;
    },
  };
}

function currentStates(core: SupervisorCore, change: ConfigDiff): Record<string, string> {
  const states: Record<string, string> = {};
  for (const name of [...change.added, ...change.changed]) {
    const server = core.servers.get(name);
    if (server) states[name] = server.state;
  }
  return states;
}

/**
 * Reloads when `file` changes (after writes settle, debounced 100 ms), and once as soon as the
 * watcher is ready, quietly: a change made while the supervisor was starting (after it had read
 * the file, before the watcher ran) is applied too. Returns the watcher's stop function; a failed
 * reload is logged and published by `reload` and changes nothing.
 */
export function watchConfig(file: string, reload: ReloadPipeline['reload']): () => Promise<void> {
  const watcher = chokidar.watch(file, {
    ignoreInitial: true,
    awaitWriteFinish: { stabilityThreshold: 200 },
  });
  let reloadTimer: NodeJS.Timeout | undefined;
  let isClosed = false;
  const reloadSoon = (isQuiet: boolean) => {
    clearTimeout(reloadTimer);
    reloadTimer = setTimeout(() => {
      if (isClosed) return;
      reload('file', { isQuiet }).catch(() => {
        // Logged and published by reload(); the running config stays as it was.
      });
    }, 100);
    reloadTimer.unref();
  };
  watcher.on('all', () => reloadSoon(false));
  // Only a file that exists: running on the built-in default, there is nothing to catch up with.
  watcher.once('ready', () => {
    stat(file).then(
      () => reloadSoon(true),
      () => {},
    );
  });
  return async () => {
    isClosed = true;
    clearTimeout(reloadTimer);
    await watcher.close();
  };
}
