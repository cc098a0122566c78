import { hostname } from 'node:os';
import { validateConfig } from '../config/parse.ts';
import type { ClusterSettings } from '../config/schema.ts';

/**
 * The cluster's config, as `supervisor.cluster` validated it (`config/schema.ts`'s
 * `clusterConfigSchema`), with the defaults that depend on the machine resolved.
 */
export type ClusterConfig = Omit<ClusterSettings, 'hostLabel'> & { hostLabel: string };

/** A metric label / member name made of the machine's hostname (dots and odd characters kept safe). */
export function defaultHostLabel(name = hostname()): string {
  const cleaned = name.replace(/[^A-Za-z0-9_.-]/g, '-').slice(0, 64);
  return cleaned.length > 0 ? cleaned : 'host';
}

/** Resolves the defaults that depend on the machine (the host label). */
export function resolveClusterConfig(parsed: ClusterSettings): ClusterConfig {
  return { ...parsed, hostLabel: parsed.hostLabel ?? defaultHostLabel() };
}

/**
 * Validates a `supervisor.cluster` value on its own, as the config file would (environment
 * expansion from `env`, the same messages): throws CONFIG_INVALID naming each field, e.g.
 * `supervisor.cluster.timeoutMs: Too small: expected number to be >=10`.
 */
export function parseClusterConfig(value: unknown, env: NodeJS.ProcessEnv = {}): ClusterConfig {
  const config = validateConfig({ supervisor: { cluster: value } }, { source: 'supervisor.cluster', env });
  if (!config.supervisor.cluster) throw new TypeError('supervisor.cluster is required here');
  return resolveClusterConfig(config.supervisor.cluster);
}

/** The Redis URL with any password replaced, for logs and status. */
export function redactRedisUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return 'redis://(invalid url)';
  }
}
