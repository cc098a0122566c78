import JSON5 from 'json5';
import type { z } from 'zod';
import { SupervisorError } from '../shared/errors.ts';
import { type Config, configSchema } from './schema.ts';

/**
 * Turns config text into a validated {@link Config}. Pure: no file or environment access beyond
 * the `env` it is given. Throws `CONFIG_INVALID` with every problem on its own line, each naming
 * the field path (`mcpServers.memory.args[1]: expected string, received number`).
 */
export function parseConfig(
  text: string,
  options: { source?: string; env?: NodeJS.ProcessEnv } = {},
): Config {
  const source = options.source ?? 'config';
  let raw: unknown;
  try {
    raw = JSON5.parse(text);
  } catch (error) {
    throw new SupervisorError(
      'CONFIG_INVALID',
      `${source}: not valid JSON/JSON5 (${(error as Error).message}); fix the syntax and try again`,
      { cause: error },
    );
  }
  return validateConfig(raw, { source, env: options.env ?? {} });
}

/** Validates an already-parsed value, expanding `${VAR}` in strings from `env` first. */
export function validateConfig(
  raw: unknown,
  options: { source?: string; env?: NodeJS.ProcessEnv } = {},
): Config {
  const source = options.source ?? 'config';
  const missing = new Map<string, string>();
  const expanded = expandEnv(raw, options.env ?? {}, missing);
  // zod 4 leaves the offending value out of its issues unless asked; "received …" needs it.
  const result = configSchema.safeParse(expanded, { reportInput: true });
  const problems = result.success ? [] : formatIssues(result.error.issues);
  for (const [name, where] of missing) {
    const prefix = where ? `${where}: ` : '';
    problems.push(`${prefix}\${${name}} is not set in the environment; set it or write \${${name}:-default}`);
  }
  if (!result.success || problems.length > 0) {
    throw new SupervisorError('CONFIG_INVALID', `${source} is invalid:\n  ${problems.join('\n  ')}`, {
      details: { problems },
    });
  }
  return result.data;
}

/** `a.b[2].c: message` for each issue, in a stable order. */
export function formatIssues(issues: readonly z.core.$ZodIssue[]): string[] {
  return issues.map((issue) => {
    const path = formatPath(issue.path);
    return path ? `${path}: ${describeIssue(issue)}` : describeIssue(issue);
  });
}

function describeIssue(issue: z.core.$ZodIssue): string {
  if (issue.code === 'invalid_type') {
    // Without the input (parsed without `reportInput`) only what was expected is known.
    if (!('input' in issue)) return `expected ${issue.expected}`;
    return `expected ${issue.expected}, received ${describeValue(issue.input)}`;
  }
  if ((issue.code === 'too_big' || issue.code === 'too_small') && 'input' in issue) {
    return `${issue.message} (got ${String(issue.input)})`;
  }
  if (issue.code === 'unrecognized_keys') {
    return `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
  }
  return issue.message;
}

function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out ? `.${String(part)}` : String(part);
  }
  return out;
}

const VAR_PATTERN = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

/**
 * Replaces `${VAR}` and `${VAR:-default}` in every string of `value`. Each unset name goes to
 * `missing` with the field path of its first use (`mcpServers.remote.headers.Authorization`).
 */
export function expandEnv(
  value: unknown,
  env: NodeJS.ProcessEnv,
  missing: Map<string, string>,
  path: readonly PropertyKey[] = [],
): unknown {
  if (typeof value === 'string') {
    return value.replace(VAR_PATTERN, (_match, name: string, fallback: string | undefined) => {
      const found = env[name];
      if (found !== undefined) return found;
      if (fallback !== undefined) return fallback;
      if (!missing.has(name)) missing.set(name, formatPath(path));
      return '';
    });
  }
  if (Array.isArray(value))
    return value.map((item, index) => expandEnv(item, env, missing, [...path, index]));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, expandEnv(v, env, missing, [...path, k])]),
    );
  }
  return value;
}
