import { createHash, randomBytes } from 'node:crypto';
import { readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import type { ConfigCheck, ConfigDiff, ConfigView } from '../client/wire-types.ts';
import { diffConfigs } from '../config/diff.ts';
import { applyEnvOverrides, defaultConfig } from '../config/load.ts';
import { parseConfig } from '../config/parse.ts';
import type { Config } from '../config/schema.ts';
import { SupervisorError } from '../shared/errors.ts';
import type { HomePaths } from '../shared/home.ts';
import { maskConfigObject, maskConfigText, unmaskConfigText } from './config-mask.ts';

export interface ConfigEditorDeps {
  paths: HomePaths;
  /** The file the running config came from; undefined when it is the built-in default. */
  configFile: string | undefined;
  env: NodeJS.ProcessEnv;
  /** The running (validated) config. */
  running: () => Config;
  /** The supervisor's one reload (serialised with the file watcher and SIGHUP). */
  reload: () => Promise<unknown>;
}

/**
 * The console's config editor on top of the file: read it masked, check an edited text (the
 * schema's own messages, and the added/changed/removed servers it would mean), apply it (atomic
 * write, then the supervisor's reload). Nothing here decides what a valid config is: parseConfig
 * and diffConfigs do.
 */
export function createConfigEditor(deps: ConfigEditorDeps) {
  const target = deps.configFile ?? deps.paths.configFile;

  async function currentText(signal?: AbortSignal): Promise<string | undefined> {
    try {
      return await readFile(target, { encoding: 'utf8', signal });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new SupervisorError('CONFIG_INVALID', `cannot read ${target}: ${(error as Error).message}`, {
        cause: error,
      });
    }
  }

  /** The validated config of an edited text, with the original secrets put back. */
  async function prepare(edited: string, signal?: AbortSignal): Promise<{ text: string; config: Config }> {
    const original = (await currentText(signal)) ?? JSON.stringify(defaultConfig(deps.paths));
    const text = unmaskConfigText(edited, original);
    // As the reload will see it: with the environment's overrides (MCP_SUPERVISOR_PORT, LOG_LEVEL…).
    return {
      text,
      config: applyEnvOverrides(parseConfig(text, { source: 'config', env: deps.env }), deps.env),
    };
  }

  /** Problems as the schema words them (one per field), or the diff against the running config. */
  function asCheck(run: () => Promise<ConfigDiff>): Promise<ConfigCheck> {
    return run().then(
      (diff) => ({ ok: true, diff }),
      (error: unknown) => {
        if (error instanceof SupervisorError && error.code === 'CONFIG_INVALID') {
          const problems = error.details?.problems;
          return {
            ok: false,
            problems: Array.isArray(problems) ? (problems as string[]) : [error.message],
          };
        }
        throw error;
      },
    );
  }

  return {
    async view(signal?: AbortSignal): Promise<ConfigView> {
      const text = await currentText(signal);
      const revision = revisionOf(text);
      const masked =
        text === undefined
          ? maskConfigText(JSON.stringify(defaultConfig(deps.paths), null, 2))
          : maskConfigText(text);
      return {
        file: target,
        isDefault: text === undefined,
        text: masked.text,
        form: masked.form,
        ...(masked.problem ? { problem: masked.problem } : {}),
        running: maskConfigObject(deps.running()),
        revision,
      };
    },

    check(edited: string, signal?: AbortSignal): Promise<ConfigCheck> {
      return asCheck(async () => diffConfigs(deps.running(), (await prepare(edited, signal)).config));
    },

    /**
     * Validates, writes the file atomically (same mode, 0600 when new), then reloads. With a
     * `revision` (from `view`), refuses (409) when the file changed on disk since: an edit made
     * elsewhere is never overwritten unseen.
     */
    apply(edited: string, options: { revision?: string; signal?: AbortSignal } = {}): Promise<ConfigCheck> {
      const { signal } = options;
      return asCheck(async () => {
        if (options.revision !== undefined && options.revision !== revisionOf(await currentText(signal))) {
          throw new SupervisorError(
            'BAD_REQUEST',
            `${target} changed on disk since it was opened; load it again (Revert) and redo the edit`,
            { details: { httpStatus: 409 } },
          );
        }
        const { text } = await prepare(edited, signal);
        await writeAtomically(target, text);
        return (await deps.reload()) as ConfigDiff;
      });
    },
  };
}

/** A short hash of the file's text (`default` when there is no file). */
function revisionOf(text: string | undefined): string {
  return text === undefined ? 'default' : createHash('sha256').update(text).digest('hex').slice(0, 16);
}

async function writeAtomically(file: string, text: string): Promise<void> {
  const mode = await stat(file).then(
    (s) => s.mode & 0o777,
    () => 0o600,
  );
  const temp = `${file}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    await writeFile(temp, text, { mode });
    await rename(temp, file);
  } catch (error) {
    await rm(temp, { force: true });
    throw new SupervisorError('CONFIG_INVALID', `cannot write ${file}: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

export type ConfigEditor = ReturnType<typeof createConfigEditor>;
