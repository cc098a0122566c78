import { createHash } from 'node:crypto';
import JSON5 from 'json5';
import { validateConfig } from '../config/parse.ts';
import { SERVER_NAME_PATTERN } from '../config/schema.ts';
import { isSupervisorError, SupervisorError } from '../shared/errors.ts';
import { isRecord } from '../shared/is-record.ts';
import { editJsonc, isJsonc, type ServersBlock } from './client-file.ts';
import type { ClientId, ConfigScope } from './clients.ts';
import { isSameServer, type MapContext, mapEntry, sanitizeServerName } from './map-entry.ts';

/** Where the servers come from: one client file, already read and parsed. */
export interface ImportSource {
  client: ClientId | 'file';
  file: string;
  scope: ConfigScope;
  block: ServersBlock;
}

/** What to do with a server whose name is taken by a different server in our config. */
export type OnConflict = 'rename' | 'skip' | 'replace';

export type ImportAction = 'add' | 'replace' | 'unchanged' | 'skip';

export interface ImportItem {
  /** Its name in the client's file. */
  sourceName: string;
  /** Its name in our config: sanitised / renamed for add, the existing one for unchanged. */
  name: string;
  action: ImportAction;
  /** Why it is skipped, renamed or unchanged under another name. */
  reason?: string;
  /** What was mapped, resolved or dropped on the way. */
  notes: string[];
  /** The entry written (add, replace). */
  entry?: Record<string, unknown>;
}

export interface ImportPlan {
  source: { client: ClientId | 'file'; file: string; scope: ConfigScope };
  target: { file: string; exists: boolean; sha256: string | undefined };
  items: ImportItem[];
  /** The target's new text, or `undefined` when nothing changes. */
  text: string | undefined;
  /** About the target file as a whole (created, rewritten). */
  notes: string[];
}

export interface ImportPlanOptions {
  onConflict: OnConflict;
  /** Only these servers of the source (by their name there); default all. */
  only?: readonly string[];
  /** Environment `${VAR}` is checked against (the supervisor's, or this process's). */
  env: NodeJS.ProcessEnv;
  mapping: Omit<MapContext, 'client' | 'scope' | 'inputs'>;
}

export function sha256(text: string | undefined): string | undefined {
  return text === undefined ? undefined : createHash('sha256').update(text).digest('hex');
}

/** The `mcpServers` of our config text (JSON5), without validating the rest. */
function existingServers(text: string | undefined, file: string): Record<string, unknown> {
  if (text === undefined || text.trim() === '') return {};
  let doc: unknown;
  try {
    doc = JSON5.parse(text);
  } catch (error) {
    throw new SupervisorError(
      'CONFIG_INVALID',
      `${file}: not valid JSON/JSON5 (${(error as Error).message}); fix it before importing (nothing was changed)`,
    );
  }
  if (!isRecord(doc))
    throw new SupervisorError('CONFIG_INVALID', `${file}: expected an object at the top; fix it first`);
  const servers = doc.mcpServers ?? {};
  if (!isRecord(servers))
    throw new SupervisorError('CONFIG_INVALID', `${file}: "mcpServers" must be an object; fix it first`);
  return servers;
}

/** Problems our schema (and `env`) finds with one entry, as `field: problem`. */
function entryProblems(name: string, entry: Record<string, unknown>, env: NodeJS.ProcessEnv): string[] {
  try {
    validateConfig({ mcpServers: { [name]: entry } }, { env });
    return [];
  } catch (error) {
    if (!isSupervisorError(error, 'CONFIG_INVALID')) throw error;
    const problems = (error.details?.problems as string[] | undefined) ?? [error.message];
    return problems.map((problem) => problem.replace(`mcpServers.${name}.`, ''));
  }
}

function freeName(base: string, suffix: string, taken: ReadonlySet<string>): string {
  const trim = (name: string) => name.slice(0, 48).replace(/-+$/, '');
  let candidate = trim(`${base}-${suffix}`);
  for (let n = 2; taken.has(candidate) || !SERVER_NAME_PATTERN.test(candidate); n++) {
    candidate = `${trim(`${base}-${suffix}`).slice(0, 44)}-${n}`;
  }
  return candidate;
}

/**
 * Decides, server by server, what importing `source` into the config `targetText` does, and
 * computes the config's new text. Pure. Never overwrites a different server silently: a taken name
 * is renamed (`name-cursor`), skipped or — only with `onConflict: "replace"` — replaced; a server
 * already in the config (under any name) is `unchanged`; entries that cannot be mapped or that our
 * schema refuses are `skip` with the reason. The merged config is validated; throws
 * `CONFIG_INVALID` when it would not load.
 */
export function planImportFrom(
  source: ImportSource,
  target: { file: string; text: string | undefined },
  options: ImportPlanOptions,
): ImportPlan {
  const existing = existingServers(target.text, target.file);
  const taken = new Set(Object.keys(existing));
  const context: MapContext = {
    ...options.mapping,
    client: source.client,
    scope: source.scope,
    inputs: source.block.inputs,
  };
  const suffix = source.client === 'file' ? 'imported' : source.client;
  const wanted = options.only ? new Set(options.only) : undefined;
  const items: ImportItem[] = [];
  for (const { name: sourceName, value } of source.block.servers) {
    if (wanted && !wanted.has(sourceName)) continue;
    const mapped = mapEntry(value, context);
    const sanitized = sanitizeServerName(sourceName);
    if (!mapped.ok) {
      items.push({ sourceName, name: sanitized, action: 'skip', reason: mapped.reason, notes: [] });
      continue;
    }
    const notes = [...mapped.notes];
    const sameAs = Object.entries(existing).find(([, server]) => isSameServer(server, mapped.entry));
    if (sameAs) {
      const reason = sameAs[0] === sourceName ? undefined : `already in the config as "${sameAs[0]}"`;
      items.push({
        sourceName,
        name: sameAs[0],
        action: 'unchanged',
        notes: [],
        ...(reason ? { reason } : {}),
      });
      continue;
    }
    if (sanitized !== sourceName)
      notes.push(`renamed from "${sourceName}": server names are 1-48 of A-Z a-z 0-9 _ - without "__"`);
    let name = sanitized;
    let action: ImportAction = 'add';
    let reason: string | undefined;
    if (taken.has(name)) {
      if (options.onConflict === 'skip') {
        items.push({
          sourceName,
          name,
          action: 'skip',
          reason: `a different server "${name}" is in the config (use --on-conflict rename or replace)`,
          notes,
        });
        continue;
      }
      if (options.onConflict === 'replace' && name in existing) {
        action = 'replace';
        reason = `replaces the different server "${name}" in the config`;
      } else {
        const renamed = freeName(name, suffix, taken);
        reason = `renamed to "${renamed}": a different server "${name}" is in the config`;
        name = renamed;
      }
    }
    const problems = entryProblems(name, mapped.entry, options.env);
    if (problems.length > 0) {
      items.push({
        sourceName,
        name,
        action: 'skip',
        reason: `our config would refuse it: ${problems.join('; ')}`,
        notes,
      });
      continue;
    }
    taken.add(name);
    items.push({ sourceName, name, action, notes, entry: mapped.entry, ...(reason ? { reason } : {}) });
  }
  if (wanted) {
    for (const name of wanted) {
      if (!source.block.servers.some((server) => server.name === name)) {
        items.push({
          sourceName: name,
          name,
          action: 'skip',
          reason: `no server "${name}" in ${source.file}`,
          notes: [],
        });
      }
    }
  }
  const { text, notes } = applyItems(target, items);
  if (text !== undefined) validateMerged(text, target.file, options.env);
  return {
    source: { client: source.client, file: source.file, scope: source.scope },
    target: { file: target.file, exists: target.text !== undefined, sha256: sha256(target.text) },
    items,
    text,
    notes,
  };
}

/** The target's text with every add/replace written, in place where the file allows it. */
function applyItems(
  target: { file: string; text: string | undefined },
  items: readonly ImportItem[],
): { text: string | undefined; notes: string[] } {
  const writes = items.filter((item) => item.entry && (item.action === 'add' || item.action === 'replace'));
  if (writes.length === 0) return { text: undefined, notes: [] };
  const notes: string[] = [];
  if (target.text === undefined) {
    notes.push(
      `${target.file} does not exist yet: it is created with the imported servers (a supervisor on the built-in default config switches to it)`,
    );
  }
  if (target.text === undefined || isJsonc(target.text)) {
    let text = target.text;
    for (const item of writes) text = editJsonc(text, ['mcpServers', item.name], item.entry);
    return { text, notes };
  }
  // JSON5-only syntax (unquoted keys, single quotes) cannot be edited in place by a JSONC editor.
  const doc = JSON5.parse(target.text) as Record<string, unknown>;
  const servers = { ...((doc.mcpServers as Record<string, unknown> | undefined) ?? {}) };
  for (const item of writes) servers[item.name] = item.entry;
  notes.push(
    `${target.file} uses JSON5 syntax that cannot be edited in place: it is rewritten as JSON and its comments are dropped (the backup keeps them)`,
  );
  return { text: `${JSON.stringify({ ...doc, mcpServers: servers }, null, 2)}\n`, notes };
}

function validateMerged(text: string, file: string, env: NodeJS.ProcessEnv): void {
  try {
    validateConfig(JSON5.parse(text), { source: file, env });
  } catch (error) {
    if (isSupervisorError(error)) {
      throw new SupervisorError(
        'CONFIG_INVALID',
        `the config after the import would not load, so nothing was changed: ${error.message}`,
        { cause: error },
      );
    }
    throw error;
  }
}
