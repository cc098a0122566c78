import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { SERVER_NAME_PATTERN, serverSchema } from '../config/schema.ts';
import { isRecord } from '../shared/is-record.ts';
import type { ClientId, ConfigScope } from './clients.ts';

/**
 * One client entry → one entry of our `mcpServers`, or the reason it cannot be. Pure.
 *
 * What each client's entries may hold, from its documentation:
 * - Claude Desktop: `command`, `args`, `env` — no variables (modelcontextprotocol.io/quickstart/user).
 * - Cursor: also `url`, `headers`, `envFile`, `type`, `auth` (OAuth); `${env:NAME}`, `${userHome}`,
 *   `${workspaceFolder}`, `${workspaceFolderBasename}`, `${pathSeparator}`/`${/}` in strings
 *   (cursor.com/docs/context/mcp).
 * - VS Code: a `servers` block with a required `type` (`stdio` | `http` | `sse`), `envFile`,
 *   `cwd`, `dev`, `sandbox…`; `inputs` prompted at start and referenced as `${input:id}`; the
 *   predefined variables and `${env:NAME}` (code.visualstudio.com/docs/copilot/reference/mcp-configuration).
 * - Windsurf: `serverUrl` (or `url`) for remote servers, `disabled`, `disabledTools`; `${env:NAME}`
 *   and `${file:path}` (docs.windsurf.com/windsurf/cascade/mcp).
 *
 * What we do with what has no equivalent here:
 * - `${env:NAME}` becomes our `${NAME}`: expanded from the *supervisor's* environment when the
 *   config is loaded, so NAME must be set where the supervisor starts (validated before writing).
 * - `${userHome}`, `${pathSeparator}` are resolved now; `${workspaceFolder}` only for a project's
 *   file (or with a workspace folder given), else the server is skipped.
 * - `${input:id}`: VS Code asks the user when it starts the server; the supervisor runs headless, so
 *   the value must be given at import (`--input id=VALUE`, written into our config, mode 0600), else
 *   the server is skipped with the input's description.
 * - `envFile` is read at import and its variables copied into `env` (the entry's own `env` wins);
 *   later edits of that file are not seen.
 * - `type: "sse"` (deprecated transport), `${file:…}`, `${command:…}`, `${config:…}` → skipped.
 * - `auth` (OAuth), `dev`, `sandbox…`, `gallery`, … → dropped, each named in the notes.
 */

export interface MapContext {
  client: ClientId | 'file';
  scope: ConfigScope;
  /** Absolute folder a project's file belongs to (resolves `${workspaceFolder}`, relative `cwd`). */
  workspaceFolder?: string;
  homeDir: string;
  platform: NodeJS.Platform;
  /** VS Code `inputs` declared in the file, for the message when a value is missing. */
  inputs: readonly { id: string; description?: string }[];
  /** Values for `${input:id}` given by the user. */
  inputValues: Readonly<Record<string, string>>;
  /** Contents of the `envFile`s the entries name, read beforehand (see {@link envFileOf}). */
  envFiles: ReadonlyMap<string, Record<string, string> | Error>;
}

export type MappedEntry =
  | { ok: true; entry: Record<string, unknown>; notes: string[] }
  | { ok: false; reason: string };

/** Fields of our schema that a FILE written for mcp-supervisor may carry; copied as they are. */
const OUR_FIELDS = ['limits', 'tools', 'startTimeoutMs', 'inheritEnv'] as const;
const DROPPED: Record<string, string> = {
  auth: 'OAuth ("auth") is not supported: the supervisor sends only static headers',
  oauth: 'OAuth is not supported: the supervisor sends only static headers',
  dev: '"dev" (VS Code watch/debug mode) has no equivalent',
  sandbox: 'the VS Code sandbox has no equivalent',
  sandboxEnabled: 'the VS Code sandbox has no equivalent',
  gallery: '"gallery" (VS Code marketplace metadata) is not needed',
  version: '"version" (marketplace metadata) is not needed',
  description: '"description" is not kept',
  alwaysAllow: '"alwaysAllow" (a client-side approval list) has no equivalent',
  autoApprove: '"autoApprove" (a client-side approval list) has no equivalent',
};
const HANDLED = new Set([
  'type',
  'command',
  'args',
  'env',
  'envFile',
  'cwd',
  'url',
  'serverUrl',
  'headers',
  'disabled',
  'disabledTools',
  ...OUR_FIELDS,
]);

/** The absolute path of an entry's `envFile`, for the caller to read before {@link mapEntry}. */
export function envFileOf(
  value: unknown,
  context: Pick<MapContext, 'workspaceFolder' | 'homeDir' | 'platform'>,
): string | undefined {
  if (!isRecord(value) || typeof value.envFile !== 'string') return undefined;
  const p = context.platform === 'win32' ? path.win32 : path.posix;
  const folder = context.workspaceFolder;
  const file = value.envFile
    .replace(/\$\{userHome\}/g, context.homeDir)
    .replace(/\$\{workspaceFolder\}/g, (match) => folder ?? match);
  if (/\$\{/.test(file)) return undefined;
  if (p.isAbsolute(file)) return file;
  return context.workspaceFolder ? p.join(context.workspaceFolder, file) : undefined;
}

/** Whether an entry is a `mcp-supervisor connect` entry (ours): importing it would loop. */
export function isConnectEntry(value: unknown): boolean {
  if (!isRecord(value)) return false;
  const words = [value.command, ...(Array.isArray(value.args) ? value.args : [])].filter(
    (w): w is string => typeof w === 'string',
  );
  const isOurs = words.some((w) => /(^|[/\\])mcp-supervisor(\.js|\.cmd)?$/.test(w));
  return isOurs && words.includes('connect');
}

const SIMPLE_VAR = /^[A-Za-z_][A-Za-z0-9_]*(:-.*)?$/;

/** Resolves the client's variables in one string into our syntax, or says why it cannot. */
function substitute(
  text: string,
  where: string,
  context: MapContext,
  notes: Set<string>,
): { value: string } | { reason: string } {
  let reason: string | undefined;
  const p = context.platform === 'win32' ? path.win32 : path.posix;
  const value = text.replace(/\$\{([^}]*)\}/g, (match, inner: string) => {
    if (inner.startsWith('input:')) {
      const id = inner.slice('input:'.length);
      const given = context.inputValues[id];
      if (given !== undefined) {
        notes.add(`${where}: VS Code input "${id}" taken from --input`);
        return given;
      }
      const declared = context.inputs.find((input) => input.id === id);
      reason ??= `needs VS Code input "${id}"${declared?.description ? ` (${declared.description})` : ''}, which VS Code prompts for and the supervisor cannot; give it with --input ${id}=VALUE`;
      return match;
    }
    if (inner.startsWith('env:')) {
      const name = inner.slice('env:'.length);
      notes.add(
        `${where}: \${${name}} is read from the supervisor's environment; set it where the supervisor starts`,
      );
      return `\${${name}}`;
    }
    if (inner === 'userHome') return context.homeDir;
    if (inner === 'pathSeparator' || inner === '/') return p.sep;
    if (inner === 'workspaceFolder' || inner === 'workspaceFolderBasename') {
      if (!context.workspaceFolder) {
        reason ??= `uses \${${inner}}, which only an open project defines; import the project's file (--project DIR)`;
        return match;
      }
      return inner === 'workspaceFolder' ? context.workspaceFolder : p.basename(context.workspaceFolder);
    }
    if (SIMPLE_VAR.test(inner)) {
      notes.add(`${where}: \${${inner}} is read from the supervisor's environment`);
      return match;
    }
    reason ??= `uses \${${inner}}, which only ${context.client === 'file' ? 'its client' : context.client} can resolve`;
    return match;
  });
  return reason ? { reason } : { value };
}

function stringRecord(
  value: unknown,
  where: string,
  context: MapContext,
  notes: Set<string>,
): { value: Record<string, string> } | { reason: string } {
  if (!isRecord(value)) return { reason: `${where} must be an object of strings` };
  const out: Record<string, string> = {};
  for (const [key, raw] of Object.entries(value)) {
    if (raw === null || raw === undefined) {
      notes.add(`${where}.${key} is empty and was left out`);
      continue;
    }
    if (typeof raw !== 'string' && typeof raw !== 'number' && typeof raw !== 'boolean') {
      return { reason: `${where}.${key} must be a string` };
    }
    if (typeof raw !== 'string')
      notes.add(`${where}.${key} was the ${typeof raw} ${raw}, written as a string`);
    const resolved = substitute(String(raw), `${where}.${key}`, context, notes);
    if ('reason' in resolved) return resolved;
    out[key] = resolved.value;
  }
  return { value: out };
}

/** Maps one entry; the result is not yet validated against our schema (see import-plan.ts). */
export function mapEntry(value: unknown, context: MapContext): MappedEntry {
  if (!isRecord(value)) return { ok: false, reason: 'is not an object' };
  if (isConnectEntry(value)) return { ok: false, reason: "is mcp-supervisor's own connect entry" };
  const notes = new Set<string>();
  const entry: Record<string, unknown> = {};
  const type = value.type;
  if (type === 'sse') {
    return {
      ok: false,
      reason:
        'uses the deprecated SSE transport, which the supervisor does not proxy; use the server’s Streamable HTTP url',
    };
  }
  if (type !== undefined && !['stdio', 'http', 'streamable-http', 'streamableHttp'].includes(String(type))) {
    return { ok: false, reason: `has type "${String(type)}", which the supervisor does not know` };
  }
  const text = (field: string, raw: unknown) => {
    if (typeof raw !== 'string') return { reason: `${field} must be a string` };
    return substitute(raw, field, context, notes);
  };
  for (const field of ['command', 'cwd'] as const) {
    if (value[field] === undefined) continue;
    const resolved = text(field, value[field]);
    if ('reason' in resolved) return { ok: false, reason: resolved.reason };
    entry[field] = resolved.value;
  }
  const url = value.url ?? value.serverUrl;
  if (url !== undefined) {
    const resolved = text(value.url !== undefined ? 'url' : 'serverUrl', url);
    if ('reason' in resolved) return { ok: false, reason: resolved.reason };
    entry.url = resolved.value;
  }
  if (value.args !== undefined) {
    if (!Array.isArray(value.args)) return { ok: false, reason: 'args must be an array of strings' };
    const args: string[] = [];
    for (const [i, arg] of value.args.entries()) {
      if (typeof arg !== 'string' && typeof arg !== 'number')
        return { ok: false, reason: `args[${i}] must be a string` };
      const resolved = substitute(String(arg), `args[${i}]`, context, notes);
      if ('reason' in resolved) return { ok: false, reason: resolved.reason };
      args.push(resolved.value);
    }
    entry.args = args;
  }
  const env: Record<string, string> = {};
  if (value.envFile !== undefined) {
    const file = envFileOf(value, context);
    const read = file ? context.envFiles.get(file) : undefined;
    if (!file || read === undefined) {
      return {
        ok: false,
        reason: `envFile "${String(value.envFile)}" cannot be located; give an absolute path`,
      };
    }
    if (read instanceof Error)
      return { ok: false, reason: `envFile ${file} cannot be read: ${read.message}` };
    Object.assign(env, read);
    notes.add(
      `envFile ${file} read now: ${Object.keys(read).join(', ') || 'no variables'} copied into env (later edits of it are not seen)`,
    );
  }
  if (value.env !== undefined) {
    const resolved = stringRecord(value.env, 'env', context, notes);
    if ('reason' in resolved) return { ok: false, reason: resolved.reason };
    Object.assign(env, resolved.value);
  }
  if (Object.keys(env).length > 0) entry.env = env;
  if (value.headers !== undefined) {
    const resolved = stringRecord(value.headers, 'headers', context, notes);
    if ('reason' in resolved) return { ok: false, reason: resolved.reason };
    entry.headers = resolved.value;
  }
  if (typeof entry.cwd === 'string') {
    const p = context.platform === 'win32' ? path.win32 : path.posix;
    if (!p.isAbsolute(entry.cwd)) {
      if (!context.workspaceFolder)
        return {
          ok: false,
          reason: `cwd "${entry.cwd}" is relative and there is no project folder to resolve it against`,
        };
      entry.cwd = p.join(context.workspaceFolder, entry.cwd);
    }
  }
  if (value.disabled !== undefined) entry.disabled = value.disabled === true;
  if (Array.isArray(value.disabledTools) && value.disabledTools.length > 0) {
    entry.tools = { deny: value.disabledTools.filter((t): t is string => typeof t === 'string') };
    notes.add('disabledTools became tools.deny');
  }
  for (const field of OUR_FIELDS) if (value[field] !== undefined) entry[field] = value[field];
  for (const key of Object.keys(value)) {
    if (HANDLED.has(key)) continue;
    notes.add(`ignored: ${DROPPED[key] ?? `"${key}" has no equivalent`}`);
  }
  if (entry.command === undefined && entry.url === undefined) {
    return { ok: false, reason: 'has neither a "command" nor a "url"' };
  }
  return { ok: true, entry, notes: [...notes] };
}

/**
 * A valid server name for `name`: characters outside `A-Z a-z 0-9 _ -` become `-`, `__` becomes
 * `_`, at most 48 characters; never empty.
 */
export function sanitizeServerName(name: string): string {
  if (SERVER_NAME_PATTERN.test(name)) return name;
  let out = name
    .normalize('NFKD')
    .replace(/[^A-Za-z0-9_-]+/g, '-')
    .replace(/_{2,}/g, '_')
    .replace(/^-+|-+$/g, '');
  out = out.slice(0, 48).replace(/-+$/, '');
  return out === '' ? 'server' : out;
}

/**
 * Whether two entries of our `mcpServers` run the same server: compared after our schema's
 * defaults are applied, ignoring `type` (implied by command/url). Strings are compared unexpanded.
 */
export function isSameServer(a: unknown, b: unknown): boolean {
  return isDeepStrictEqual(normalize(a), normalize(b));
}

function normalize(value: unknown): unknown {
  const parsed = serverSchema.safeParse(value);
  const out: Record<string, unknown> = { ...(parsed.success ? parsed.data : isRecord(value) ? value : {}) };
  delete out.type;
  return out;
}
