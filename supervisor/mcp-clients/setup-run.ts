import { realpathSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import JSON5 from 'json5';
import { SupervisorError } from '../shared/errors.ts';
import type { HomePaths } from '../shared/home.ts';
import { CLIENTS, type ClientId, type ConfigScope, type ConfigShape } from './clients.ts';
import { backupFile, readTextIfExists, writeFileAtomic } from './files.ts';
import { sha256 } from './import-plan.ts';
import { targetConfigFile } from './import-run.ts';
import {
  connectEntry,
  defaultEntryName,
  type Launcher,
  movableServers,
  removalText,
  setupText,
} from './setup-plan.ts';
import { readSetupRecords, type SetupRecord, sameFile, writeSetupRecords } from './setup-state.ts';
import { locateClientFile, mappingContext, type PlatformOptions, readClientFile } from './sources.ts';
import { homeKeyIssuer, type KeyIssuer, type SupervisorLink, supervisorLinkOf } from './supervisor-link.ts';

/** Our CLI as a GUI client must start it: this Node, this script, both absolute. */
export function defaultLauncher(): Launcher {
  const script = realpathSync(fileURLToPath(new URL('../bin/mcp-supervisor.js', import.meta.url)));
  return { command: realpathSync(process.execPath), args: [script] };
}

export interface SetupOptions extends PlatformOptions {
  paths: HomePaths;
  scope?: ConfigScope;
  projectDir?: string;
  /** The client's file, when it is not where the client's documentation says. */
  file?: string;
  /** Connect to this one server (`/mcp/<server>`, key scoped to it); default all servers. */
  server?: string | null;
  keyName?: string;
  entryName?: string;
  /** Take the client's servers that the supervisor already runs out of its file. */
  move?: boolean;
  launcher?: Launcher;
  configFile?: string;
  keys?: KeyIssuer;
  /** The running supervisor; default: the one of `paths`, through its control API. */
  supervisor?: SupervisorLink;
  signal?: AbortSignal;
}

export interface ClientSetupPlan {
  client: ClientId;
  scope: ConfigScope;
  file: string;
  shape: ConfigShape;
  exists: boolean;
  sha256: string | undefined;
  entryName: string;
  /** The entry as it will be written, with the token still to be created. */
  entry: Record<string, unknown>;
  keyName: string;
  server: string | null;
  move: { name: string; value: unknown; as: string }[];
  keep: { name: string; reason: string }[];
  home: string;
  launcher: Launcher;
}

const TOKEN_PLACEHOLDER = '<a new client key, created when applied>';

async function ourServers(
  paths: HomePaths,
  configFile: string | undefined,
  supervisor: SupervisorLink | undefined,
): Promise<Record<string, unknown>> {
  const text = await readTextIfExists(await targetConfigFile(paths, configFile, supervisor));
  if (text === undefined) return {};
  try {
    const doc = JSON5.parse(text) as { mcpServers?: Record<string, unknown> };
    return doc.mcpServers ?? {};
  } catch {
    return {};
  }
}

async function knownServerNames(
  paths: HomePaths,
  configFile: string | undefined,
  supervisor: SupervisorLink | undefined,
): Promise<string[]> {
  const link = await supervisorLinkOf(paths, supervisor);
  if (link) return (await link.servers()).map((server) => server.name);
  return Object.keys(await ourServers(paths, configFile, supervisor));
}

async function freeKeyName(keys: KeyIssuer, base: string): Promise<string> {
  const active = new Set((await keys.list()).filter((key) => key.revokedAt === null).map((key) => key.name));
  let name = base;
  for (let n = 2; active.has(name); n++) name = `${base}-${n}`;
  return name;
}

export async function planSetupRun(client: ClientId, options: SetupOptions): Promise<ClientSetupPlan> {
  const info = CLIENTS[client];
  const located = await locateClientFile(
    {
      client,
      ...(options.scope ? { scope: options.scope } : {}),
      ...(options.projectDir ? { projectDir: options.projectDir } : {}),
      ...(options.file ? { file: options.file } : {}),
    },
    { ...options, forWriting: true },
  );
  const read = await readClientFile(located, options.signal);
  const server = options.server ?? null;
  const entryName = options.entryName ?? defaultEntryName(server);
  const records = await readSetupRecords(options.paths);
  if (records.some((r) => sameFile(r.file, located.file) && r.entryName === entryName)) {
    throw new SupervisorError(
      'BAD_REQUEST',
      `${info.displayName} is already set up in ${located.file} (entry "${entryName}"); undo it first with: mcp-supervisor client remove ${client}`,
    );
  }
  if (read.block.servers.some((s) => s.name === entryName)) {
    throw new SupervisorError(
      'BAD_REQUEST',
      `${located.file} already has a server "${entryName}"; choose another name with --entry-name`,
    );
  }
  if (
    server !== null &&
    !(await knownServerNames(options.paths, options.configFile, options.supervisor)).includes(server)
  ) {
    throw new SupervisorError(
      'UNKNOWN_SERVER',
      `the supervisor has no server "${server}"; see: mcp-supervisor status`,
    );
  }
  const keys = options.keys ?? homeKeyIssuer(options.paths);
  const keyName = options.keyName ?? (await freeKeyName(keys, server ? `${client}-${server}` : client));
  let move: ClientSetupPlan['move'] = [];
  let keep: ClientSetupPlan['keep'] = [];
  if (options.move) {
    const context = await mappingContext(located, read.block, options);
    ({ move, keep } = movableServers(
      read.block,
      await ourServers(options.paths, options.configFile, options.supervisor),
      context,
      entryName,
    ));
  }
  const launcher = options.launcher ?? defaultLauncher();
  return {
    client,
    scope: located.scope,
    file: located.file,
    shape: info.shape,
    exists: read.text !== undefined,
    sha256: sha256(read.text),
    entryName,
    entry: connectEntry({
      shape: info.shape,
      launcher,
      home: options.paths.root,
      server,
      token: TOKEN_PLACEHOLDER,
    }),
    keyName,
    server,
    move,
    keep,
    home: options.paths.root,
    launcher,
  };
}

export interface ClientSetupResult {
  file: string;
  backup: string | undefined;
  entryName: string;
  keyId: string;
  keyName: string;
  moved: string[];
}

export async function applySetupRun(
  plan: ClientSetupPlan,
  options: { paths: HomePaths; keys?: KeyIssuer },
): Promise<ClientSetupResult> {
  const current = await readTextIfExists(plan.file);
  if (sha256(current) !== plan.sha256) {
    throw new SupervisorError(
      'CONFIG_INVALID',
      `${plan.file} changed since the setup was planned; run it again (nothing was changed)`,
    );
  }
  const keys = options.keys ?? homeKeyIssuer(options.paths);
  const created = await keys.create(plan.keyName, plan.server ? [plan.server] : null);
  let backup: string | undefined;
  let text: string;
  try {
    const entry = connectEntry({
      shape: plan.shape,
      launcher: plan.launcher,
      home: plan.home,
      server: plan.server,
      token: created.token,
    });
    text = setupText(current, plan.shape, plan.entryName, entry, plan.move);
    backup = await backupFile(plan.file);
    await writeFileAtomic(plan.file, text, { createDir: plan.scope === 'project' });
  } catch (error) {
    // Nothing was written: the key would be an orphan.
    await keys.revoke(created.key.id).catch(() => 0);
    throw error;
  }
  const record: SetupRecord = {
    client: plan.client,
    scope: plan.scope,
    file: plan.file,
    entryName: plan.entryName,
    keyId: created.key.id,
    keyName: plan.keyName,
    server: plan.server,
    moved: plan.move.map(({ name, value }) => ({ name, value })),
    backup,
    originalSha256: plan.sha256,
    writtenSha256: sha256(text) ?? '',
    at: Date.now(),
  };
  await writeSetupRecords(options.paths, [...(await readSetupRecords(options.paths)), record]);
  return {
    file: plan.file,
    backup,
    entryName: plan.entryName,
    keyId: created.key.id,
    keyName: plan.keyName,
    moved: plan.move.map((m) => m.name),
  };
}

export interface RemoveOptions extends PlatformOptions {
  paths: HomePaths;
  /** Only the setup of this file / entry / server (default: every setup of the client). */
  file?: string;
  entryName?: string;
  keys?: KeyIssuer;
}

export interface ClientRemoveResult {
  file: string;
  entryName: string;
  /** `restored`: the file is byte for byte what it was before setup (or deleted, if setup made it). */
  how: 'restored' | 'edited' | 'entry-already-gone';
  backup: string | undefined;
  restoredServers: string[];
  /** Moved servers not put back because their name is taken in the file now. */
  conflicts: string[];
  revokedKeys: number;
}

async function undo(record: SetupRecord, keys: KeyIssuer): Promise<ClientRemoveResult> {
  const current = await readTextIfExists(record.file);
  const base = { file: record.file, entryName: record.entryName, conflicts: [] as string[] };
  let result: Omit<ClientRemoveResult, 'revokedKeys'>;
  const original = record.backup ? await readTextIfExists(record.backup) : undefined;
  const isUntouched = current !== undefined && sha256(current) === record.writtenSha256;
  if (isUntouched && record.originalSha256 === undefined) {
    const backup = await backupFile(record.file);
    await rm(record.file);
    result = { ...base, how: 'restored', backup, restoredServers: record.moved.map((m) => m.name) };
  } else if (isUntouched && original !== undefined && sha256(original) === record.originalSha256) {
    const backup = await backupFile(record.file);
    await writeFileAtomic(record.file, original);
    result = { ...base, how: 'restored', backup, restoredServers: record.moved.map((m) => m.name) };
  } else if (current === undefined) {
    result = { ...base, how: 'entry-already-gone', backup: undefined, restoredServers: [] };
  } else {
    const read = await readClientFile({
      client: record.client,
      scope: record.scope,
      file: record.file,
      shape: CLIENTS[record.client].shape,
      workspaceFolder: undefined,
      candidates: [],
    });
    const edit = removalText(current, read.block, record.entryName, record.moved);
    const backup = await backupFile(record.file);
    await writeFileAtomic(record.file, edit.text);
    result = {
      ...base,
      how: edit.hadEntry ? 'edited' : 'entry-already-gone',
      backup,
      restoredServers: edit.restored,
      conflicts: edit.conflicts,
    };
  }
  const revokedKeys = await keys.revoke(record.keyId);
  return { ...result, revokedKeys };
}

export async function removeSetupRun(
  client: ClientId,
  options: RemoveOptions,
): Promise<ClientRemoveResult[]> {
  const records = await readSetupRecords(options.paths);
  const matches = records.filter(
    (r) =>
      r.client === client &&
      (options.file === undefined || sameFile(r.file, options.file)) &&
      (options.entryName === undefined || r.entryName === options.entryName),
  );
  if (matches.length === 0) {
    throw new SupervisorError(
      'BAD_REQUEST',
      `${CLIENTS[client].displayName} was not set up by mcp-supervisor for home ${options.paths.root}; see: mcp-supervisor client status`,
    );
  }
  const keys = options.keys ?? homeKeyIssuer(options.paths);
  const results: ClientRemoveResult[] = [];
  let left = records;
  for (const record of matches) {
    results.push(await undo(record, keys));
    left = left.filter((r) => r !== record);
    await writeSetupRecords(options.paths, left);
  }
  return results;
}
