import { constants, type Stats } from 'node:fs';
import { open } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { isSupervisorError, SupervisorError } from '../shared/errors.ts';
import type { HomePaths } from '../shared/home.ts';
import { portProblem } from './bounds.ts';
import { parseConfig, validateConfig } from './parse.ts';
import type { Config } from './schema.ts';

export interface LoadedConfig {
  config: Config;
  /** The file it came from, or `undefined` for the built-in default. */
  file: string | undefined;
}

/**
 * Reads and validates the config at `file` (default: the home's `config.json`). When no file was
 * asked for and the default one does not exist, the built-in default config is used so a fresh
 * machine runs something real. Environment overrides (`MCP_SUPERVISOR_PORT`, `LOG_LEVEL`,
 * `LOG_FORMAT`) are applied last.
 */
export async function loadConfig(options: {
  paths: HomePaths;
  file?: string;
  env?: NodeJS.ProcessEnv;
  signal?: AbortSignal;
}): Promise<LoadedConfig> {
  const env = options.env ?? process.env;
  const file = options.file ? path.resolve(options.file) : options.paths.configFile;
  let text: string | undefined;
  try {
    text = await readConfigText(file, options.signal);
  } catch (error) {
    if (!isSupervisorError(error, 'CONFIG_NOT_FOUND')) throw error;
    if (options.file) {
      throw new SupervisorError(
        'CONFIG_NOT_FOUND',
        `config file ${file} does not exist; check the path, or omit it to use ${options.paths.configFile}`,
      );
    }
  }
  const config =
    text === undefined
      ? validateConfig(defaultConfig(options.paths), { source: 'built-in default config', env })
      : parseConfig(text, { source: file, env });
  return { config: applyEnvOverrides(config, env), file: text === undefined ? undefined : file };
}

/** A config is a few kilobytes; anything this large is the wrong file (and would be read whole). */
const MAX_CONFIG_BYTES = 10 * 1024 * 1024;

/**
 * The text of a config file, refusing what is not a regular file (FIFO, device, directory,
 * socket) or is over 10 MiB, each with a message that says what to do. Used for the first load
 * and for every reload.
 *
 * @throws SupervisorError CONFIG_NOT_FOUND when `file` does not exist, else CONFIG_INVALID.
 */
export async function readConfigText(file: string, signal?: AbortSignal): Promise<string> {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    // O_NONBLOCK: opening a FIFO for reading otherwise waits for a writer, for ever, in a thread of
    // libuv's pool that no signal can free (the supervisor hung at start, reload and stop). It
    // changes nothing for a regular file; what was opened is checked below, so nothing can be
    // swapped in between a check and the open.
    handle = await open(file, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new SupervisorError('CONFIG_NOT_FOUND', `config file ${file} does not exist; check the path`, {
        cause: error,
      });
    }
    throw new SupervisorError('CONFIG_INVALID', `cannot read ${file}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  try {
    const stats = await handle.stat();
    if (!stats.isFile()) {
      throw new SupervisorError(
        'CONFIG_INVALID',
        `${file} is a ${fileKind(stats)}, not a regular file; point the config at a JSON file`,
      );
    }
    if (stats.size > MAX_CONFIG_BYTES) {
      throw new SupervisorError(
        'CONFIG_INVALID',
        `${file} is larger than 10 MiB (${stats.size} bytes); is it the config? point the config at a JSON file`,
      );
    }
    return await handle.readFile({ encoding: 'utf8', signal });
  } catch (error) {
    if (error instanceof SupervisorError || (error as Error).name === 'AbortError') throw error;
    throw new SupervisorError('CONFIG_INVALID', `cannot read ${file}: ${(error as Error).message}`, {
      cause: error,
    });
  } finally {
    await handle.close();
  }
}

function fileKind(stats: Stats): string {
  if (stats.isDirectory()) return 'directory';
  if (stats.isFIFO()) return 'FIFO';
  if (stats.isCharacterDevice()) return 'character device';
  if (stats.isBlockDevice()) return 'block device';
  if (stats.isSocket()) return 'socket';
  return 'special file';
}

export function applyEnvOverrides(config: Config, env: NodeJS.ProcessEnv): Config {
  const supervisor = { ...config.supervisor, log: { ...config.supervisor.log } };
  const port = env.MCP_SUPERVISOR_PORT;
  if (port !== undefined && port !== '') {
    const parsed = Number(port);
    if (!Number.isInteger(parsed) || parsed < 0 || parsed > 65_535) {
      throw new SupervisorError(
        'CONFIG_INVALID',
        `MCP_SUPERVISOR_PORT must be a port number 0-65535, got "${port}"; fix or unset it`,
      );
    }
    const problem = portProblem(parsed);
    if (problem) throw new SupervisorError('CONFIG_INVALID', `MCP_SUPERVISOR_PORT: ${problem}`);
    supervisor.port = parsed;
  }
  const level = env.LOG_LEVEL?.toLowerCase();
  if (level) {
    const levels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
    const found = levels.find((l) => l === level);
    if (!found) {
      throw new SupervisorError(
        'CONFIG_INVALID',
        `LOG_LEVEL must be one of ${levels.join(', ')}, got "${level}"`,
      );
    }
    supervisor.log.level = found;
  }
  const format = env.LOG_FORMAT?.toLowerCase();
  if (format) {
    if (format !== 'json' && format !== 'pretty') {
      throw new SupervisorError('CONFIG_INVALID', `LOG_FORMAT must be "json" or "pretty", got "${format}"`);
    }
    supervisor.log.format = format;
  }
  return { ...config, supervisor };
}

const require = createRequire(import.meta.url);

/** Absolute path of an installed package's file, so the default config needs no `npx` download. */
function packageFile(pkg: string, file: string): string {
  return path.join(path.dirname(require.resolve(`${pkg}/package.json`)), file);
}

/**
 * The built-in config: two real MCP servers shipped as dependencies, run with the Node that runs
 * the supervisor. Its memory server keeps its knowledge graph in the home.
 */
export function defaultConfig(paths: HomePaths): unknown {
  return {
    mcpServers: {
      everything: {
        command: process.execPath,
        args: [packageFile('@modelcontextprotocol/server-everything', 'dist/index.js'), 'stdio'],
      },
      memory: {
        command: process.execPath,
        args: [packageFile('@modelcontextprotocol/server-memory', 'dist/index.js')],
        env: { MEMORY_FILE_PATH: path.join(paths.root, 'memory.jsonl') },
      },
    },
  };
}
