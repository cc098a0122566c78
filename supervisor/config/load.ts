import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { SupervisorError } from '../shared/errors.ts';
import type { HomePaths } from '../shared/home.ts';
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
    text = await readFile(file, { encoding: 'utf8', signal: options.signal });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new SupervisorError('CONFIG_INVALID', `cannot read ${file}: ${(error as Error).message}`, {
        cause: error,
      });
    }
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
