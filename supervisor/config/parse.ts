import JSON5 from 'json5';
import type { z } from 'zod';
import { SupervisorError } from '../errors.ts';
import { type Config, configSchema } from './schema.ts';

/**
 * Turns config text into a validated {@link Config}. Pure: no file or environment access beyond
 * the `env` it is given. Throws `CONFIG_INVALID` with every problem on its own line, each naming
 * the field path (`mcpServers.memory.args[1]: expected string, received number`).
 */
export function parseConfig(text: string, options: { source?: string; env?: NodeJS.ProcessEnv } = {}): Config {
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
export function validateConfig(raw: unknown, options: { source?: string; env?: NodeJS.ProcessEnv } = {}): Config {
  const source = options.source ?? 'config';
  const missing = new Set<string>();
  const expanded = expandEnv(raw, options.env ?? {}, missing);
  const result = configSchema.safeParse(expanded);
  const problems = result.success ? [] : formatIssues(result.error.issues);
  for (const name of missing) problems.push(`\${${name}} is not set in the environment`);
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
    const input = (issue as { input?: unknown }).input;
    const received = input === undefined ? 'nothing' : Array.isArray(input) ? 'array' : typeof input;
    return `expected ${issue.expected}, received ${received}`;
  }
  if (issue.code === 'unrecognized_keys') {
    return `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
  }
  return issue.message;
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

/** Replaces `${VAR}` and `${VAR:-default}` in every string of `value`; unset names go to `missing`. */
export function expandEnv(value: unknown, env: NodeJS.ProcessEnv, missing: Set<string>): unknown {
  if (typeof value === 'string') {
    return value.replace(VAR_PATTERN, (_match, name: string, fallback: string | undefined) => {
      const found = env[name];
      if (found !== undefined) return found;
      if (fallback !== undefined) return fallback;
      missing.add(name);
      return '';
    });
  }
  if (Array.isArray(value)) return value.map((item) => expandEnv(item, env, missing));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, expandEnv(v, env, missing)]));
  }
  return value;
}
