import path from 'node:path';
import { SupervisorError } from '../shared/errors.ts';
import type { HomePaths } from '../shared/home.ts';
import { backupFile, readTextIfExists, writeFileAtomic } from './files.ts';
import { type ImportPlan, type OnConflict, planImportFrom, sha256 } from './import-plan.ts';
import { sameFile } from './setup-state.ts';
import {
  type ClientFileSpec,
  locateClientFile,
  mappingContext,
  type PlatformOptions,
  readClientFile,
} from './sources.ts';
import {
  type ReloadDiff,
  type ServerOutcome,
  type SupervisorLink,
  supervisorLinkOf,
  waitForServers,
} from './supervisor-link.ts';

export interface PlanImportOptions extends PlatformOptions {
  paths: HomePaths;
  /** Our config file to import into; default: the running supervisor's, else the home's. */
  configFile?: string;
  onConflict?: OnConflict;
  only?: readonly string[];
  /** Values for VS Code `${input:id}` variables. */
  inputs?: Readonly<Record<string, string>>;
  workspaceFolder?: string;
  /** The running supervisor; default: the one of `paths`, through its control API. */
  supervisor?: SupervisorLink;
  signal?: AbortSignal;
}

/** The config file an import writes: the one asked for, else the one the running supervisor reads. */
export async function targetConfigFile(
  paths: HomePaths,
  configFile: string | undefined,
  supervisor?: SupervisorLink,
): Promise<string> {
  if (configFile) return path.resolve(configFile);
  const link = await supervisorLinkOf(paths, supervisor);
  return (link ? await link.configFile().catch(() => null) : null) ?? paths.configFile;
}

export async function planImportRun(source: ClientFileSpec, options: PlanImportOptions): Promise<ImportPlan> {
  const located = await locateClientFile(source, options);
  const read = await readClientFile(located, options.signal);
  if (read.text === undefined) {
    throw new SupervisorError(
      'CONFIG_NOT_FOUND',
      `${located.file} does not exist; check the path (nothing was changed)`,
    );
  }
  const mapping = await mappingContext(located, read.block, options);
  const targetFile = await targetConfigFile(options.paths, options.configFile, options.supervisor);
  const targetText = await readTextIfExists(targetFile, options.signal);
  return planImportFrom(
    { client: located.client, file: located.file, scope: located.scope, block: read.block },
    { file: targetFile, text: targetText },
    {
      onConflict: options.onConflict ?? 'rename',
      env: options.env ?? process.env,
      mapping,
      ...(options.only ? { only: options.only } : {}),
    },
  );
}

export interface ApplyImportOptions {
  paths: HomePaths;
  /** Reload a running supervisor that reads the target file (default true). */
  reload?: boolean;
  /** How long to wait for the imported servers to leave `starting` (default 120 s: npx downloads). */
  waitMs?: number;
  onProgress?: (message: string) => void;
  /** The running supervisor; default: the one of `paths`, through its control API. */
  supervisor?: SupervisorLink;
  signal?: AbortSignal;
}

export interface ImportResult {
  written: boolean;
  file: string;
  backup: string | undefined;
  reload:
    | { status: 'reloaded'; diff: ReloadDiff; servers: ServerOutcome[] }
    | { status: 'not-running' | 'other-config' | 'skipped' | 'nothing-to-do'; message: string };
}

export async function applyImportRun(plan: ImportPlan, options: ApplyImportOptions): Promise<ImportResult> {
  const file = plan.target.file;
  if (plan.text === undefined) {
    return {
      written: false,
      file,
      backup: undefined,
      reload: { status: 'nothing-to-do', message: 'nothing to import' },
    };
  }
  const current = await readTextIfExists(file, options.signal);
  if (sha256(current) !== plan.target.sha256) {
    throw new SupervisorError(
      'CONFIG_INVALID',
      `${file} changed since the import was planned; run the import again (nothing was changed)`,
    );
  }
  const client = await supervisorLinkOf(options.paths, options.supervisor);
  const configFile = client
    ? ((await client.configFile(options.signal)) ?? options.paths.configFile)
    : undefined;
  const isItsConfig = configFile !== undefined && sameFile(configFile, file);
  // The running supervisor expands ${VAR} from its own environment: ask it, not only ourselves.
  if (client && isItsConfig) await client.validate(plan.text, options.signal);
  const backup = await backupFile(file);
  await writeFileAtomic(file, plan.text, { createDir: true });
  const result: ImportResult = {
    written: true,
    file,
    backup,
    reload: { status: 'skipped', message: 'not reloaded (asked not to)' },
  };
  if (options.reload === false) return result;
  if (!client) {
    result.reload = {
      status: 'not-running',
      message: `no supervisor is running for ${options.paths.root}; the servers start with: mcp-supervisor start`,
    };
    return result;
  }
  if (!isItsConfig) {
    result.reload = {
      status: 'other-config',
      message: `the running supervisor reads ${configFile}, not ${file}; not reloaded`,
    };
    return result;
  }
  const names = plan.items
    .filter((item) => item.action === 'add' || item.action === 'replace')
    .map((item) => item.name);
  options.onProgress?.(`reloading the supervisor: starting ${names.join(', ')}`);
  const diff = await client.reload(options.signal);
  const servers = await waitForServers(client, names, {
    timeoutMs: options.waitMs ?? 120_000,
    ...(options.signal ? { signal: options.signal } : {}),
    onProgress: (pending) =>
      options.onProgress?.(`waiting for ${pending.map((p) => `${p.name} (${p.state})`).join(', ')}`),
  });
  result.reload = { status: 'reloaded', diff, servers };
  return result;
}
