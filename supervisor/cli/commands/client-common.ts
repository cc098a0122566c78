import path from 'node:path';
import type { Command } from 'commander';
import { CLIENT_IDS, type ClientId, isClientId } from '../../mcp-clients/clients.ts';
import { SupervisorError } from '../../shared/errors.ts';
import { type HomePaths, resolveHome } from '../../shared/home.ts';

/**
 * The import and client-setup code (`mcp-clients/`, with its JSONC editor), loaded by the command
 * that runs it: every other command, and the supervisor process that `start` becomes, never pays
 * for it.
 */
export const mcpClients = () => import('../../mcp-clients/index.ts');

/** What the `import` and `client` commands read from the global options. */
export function globalsOf(command: Command): { paths: HomePaths; json: boolean } {
  const options = command.optsWithGlobals<{ home?: string; json?: boolean }>();
  return {
    paths: resolveHome({ ...(options.home ? { home: options.home } : {}) }),
    json: options.json === true,
  };
}

export function print(value: unknown): void {
  process.stdout.write(typeof value === 'string' ? `${value}\n` : `${JSON.stringify(value, null, 2)}\n`);
}

/** Progress goes to stderr, so `--json` output on stdout stays one document. */
export function progress(message: string): void {
  process.stderr.write(`${message}\n`);
}

export function clientArg(value: string): ClientId {
  if (!isClientId(value)) {
    throw new SupervisorError(
      'BAD_REQUEST',
      `unknown client "${value}"; use one of ${CLIENT_IDS.join(', ')}`,
    );
  }
  return value;
}

/** `--project` alone means the current folder. */
export function projectDirOf(project: string | boolean | undefined): string | undefined {
  if (project === undefined || project === false) return undefined;
  return path.resolve(project === true ? process.cwd() : project);
}

/** `a,b , c` → `['a', 'b', 'c']`. */
export function listArg(value: string | undefined): string[] | undefined {
  return value
    ?.split(',')
    .map((part) => part.trim())
    .filter(Boolean);
}

/** A copy of an entry with its env and header values hidden: they are often tokens. */
export function redactEntry(entry: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  if (!entry) return undefined;
  const hide = (record: unknown) =>
    record && typeof record === 'object'
      ? Object.fromEntries(Object.keys(record).map((key) => [key, '***']))
      : record;
  return {
    ...entry,
    ...(entry.env ? { env: hide(entry.env) } : {}),
    ...(entry.headers ? { headers: hide(entry.headers) } : {}),
  };
}

/** `npx -y pkg (env A, B)` / `https://… (headers Authorization)`: what a server runs, no secrets. */
export function describeEntry(entry: Record<string, unknown> | undefined): string {
  if (!entry) return '';
  const what =
    typeof entry.command === 'string'
      ? [entry.command, ...((entry.args as string[] | undefined) ?? [])].join(' ')
      : String(entry.url ?? '');
  const extra = [
    entry.env && Object.keys(entry.env).length > 0 ? `env ${Object.keys(entry.env).join(', ')}` : '',
    entry.headers && Object.keys(entry.headers).length > 0
      ? `headers ${Object.keys(entry.headers).join(', ')}`
      : '',
    entry.disabled === true ? 'disabled' : '',
  ].filter(Boolean);
  const short = what.length > 70 ? `${what.slice(0, 69)}…` : what;
  return extra.length > 0 ? `${short}  (${extra.join('; ')})` : short;
}
