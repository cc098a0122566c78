import path from 'node:path';
import { parseEnv } from 'node:util';
import { SupervisorError } from '../shared/errors.ts';
import { parseJsonc, type ServersBlock, serversBlock } from './client-file.ts';
import { CLIENTS, type ClientId, type ConfigScope, type ConfigShape } from './clients.ts';
import { isDirectory, readTextIfExists } from './files.ts';
import { type ConfigLocation, clientConfigLocations, homeDirOf } from './locations.ts';
import { envFileOf, type MapContext } from './map-entry.ts';

/**
 * Finding and reading a client's config file (IO): which of its documented locations exists, its
 * parsed servers block, and the env files its entries name.
 */

/** Which client file: a client's documented one for a scope, or an explicit file. */
export type ClientFileSpec =
  | { client: ClientId; scope?: ConfigScope; projectDir?: string; file?: string }
  | { client?: undefined; file: string };

export interface LocatedFile {
  client: ClientId | 'file';
  scope: ConfigScope;
  file: string;
  shape: ConfigShape | undefined;
  /** The project folder the file belongs to (resolves `${workspaceFolder}`). */
  workspaceFolder: string | undefined;
  /** Every location that was considered, for "looked in …" messages. */
  candidates: readonly ConfigLocation[];
}

export interface PlatformOptions {
  platform?: NodeJS.Platform;
  env?: NodeJS.ProcessEnv;
}

/** `<dir>/.cursor/mcp.json` and `<dir>/.vscode/mcp.json` belong to the project `<dir>`. */
function projectOfFile(file: string): string | undefined {
  const parent = path.basename(path.dirname(file));
  return parent === '.cursor' || parent === '.vscode' ? path.dirname(path.dirname(file)) : undefined;
}

/**
 * Resolves a spec to one file. For a client without `file`: the first existing location of the
 * scope (default `user`), else — when `forWriting` — the scope's primary location. Throws
 * `BAD_REQUEST` for a scope the client does not have, `CONFIG_NOT_FOUND` when reading and no
 * location exists (naming every place looked in).
 */
export async function locateClientFile(
  spec: ClientFileSpec,
  options: PlatformOptions & { forWriting?: boolean },
): Promise<LocatedFile> {
  const platform = options.platform ?? process.platform;
  const env = options.env ?? process.env;
  if (spec.client === undefined) {
    const file = path.resolve(spec.file);
    const project = projectOfFile(file);
    return {
      client: 'file',
      scope: project ? 'project' : 'user',
      file,
      shape: undefined,
      workspaceFolder: project,
      candidates: [],
    };
  }
  const info = CLIENTS[spec.client];
  const scope = spec.scope ?? 'user';
  if (!info.scopes.includes(scope)) {
    throw new SupervisorError(
      'BAD_REQUEST',
      `${info.displayName} has no ${scope} config; it reads ${info.scopes.join(' and ')} files only`,
    );
  }
  const projectDir = scope === 'project' ? path.resolve(spec.projectDir ?? process.cwd()) : undefined;
  const all = clientConfigLocations(spec.client, platform, env, projectDir ? { projectDir } : {});
  const candidates = all.filter((location) => location.scope === scope);
  if (spec.file) {
    const file = path.resolve(spec.file);
    return {
      client: spec.client,
      scope,
      file,
      shape: info.shape,
      workspaceFolder: projectDir ?? projectOfFile(file),
      candidates,
    };
  }
  for (const location of candidates) {
    if ((await readTextIfExists(location.file)) !== undefined) {
      return {
        client: spec.client,
        scope,
        file: location.file,
        shape: info.shape,
        workspaceFolder: projectDir,
        candidates,
      };
    }
  }
  const primary = candidates[0];
  if (!options.forWriting || !primary) {
    throw new SupervisorError(
      'CONFIG_NOT_FOUND',
      `no ${info.displayName} config found (looked in ${candidates.map((c) => c.file).join(', ')}); give the file with --file`,
    );
  }
  if (scope === 'user' && !(await isDirectory(path.dirname(primary.file)))) {
    throw new SupervisorError(
      'CONFIG_NOT_FOUND',
      `${path.dirname(primary.file)} does not exist: is ${info.displayName} installed (and started once)? Or give its config file with --file`,
    );
  }
  return {
    client: spec.client,
    scope,
    file: primary.file,
    shape: info.shape,
    workspaceFolder: projectDir,
    candidates,
  };
}

/** A located file read and parsed; `text` is `undefined` when it does not exist. */
export interface ReadClientFile {
  text: string | undefined;
  block: ServersBlock;
}

/** Reads and parses a client file; a malformed one is `CONFIG_INVALID` naming file, line and column. */
export async function readClientFile(located: LocatedFile, signal?: AbortSignal): Promise<ReadClientFile> {
  const text = await readTextIfExists(located.file, signal);
  const doc = text === undefined || text.trim() === '' ? undefined : parseJsonc(text, located.file);
  return { text, block: serversBlock(doc, located.file, located.shape) };
}

/** The mapping context of a located file, with every `envFile` its entries name read now. */
export async function mappingContext(
  located: LocatedFile,
  block: ServersBlock,
  options: PlatformOptions & { inputs?: Readonly<Record<string, string>>; workspaceFolder?: string },
): Promise<Omit<MapContext, 'inputs'>> {
  const platform = options.platform ?? process.platform;
  const workspaceFolder = options.workspaceFolder ?? located.workspaceFolder;
  const base = {
    client: located.client,
    scope: located.scope,
    homeDir: homeDirOf(platform, options.env ?? process.env),
    platform,
    inputValues: options.inputs ?? {},
    ...(workspaceFolder ? { workspaceFolder } : {}),
  };
  const envFiles = new Map<string, Record<string, string> | Error>();
  for (const { value } of block.servers) {
    const file = envFileOf(value, base);
    if (!file || envFiles.has(file)) continue;
    try {
      const text = await readTextIfExists(file);
      envFiles.set(
        file,
        text === undefined ? new Error('it does not exist') : (parseEnv(text) as Record<string, string>),
      );
    } catch (error) {
      envFiles.set(file, error as Error);
    }
  }
  return { ...base, envFiles };
}
