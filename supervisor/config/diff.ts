import { isDeepStrictEqual } from 'node:util';
import type { ConfigDiff } from '../client/wire-types.ts';
import type { Config } from './schema.ts';

export type { ConfigDiff };

/**
 * Compares two configs server by server. A disabled server counts as absent, so disabling one
 * stops it and enabling it starts it. Pure; the order of each list is sorted for stable output.
 */
export function diffConfigs(before: Config, after: Config): ConfigDiff {
  const enabled = (config: Config) =>
    new Map(Object.entries(config.mcpServers).filter(([, server]) => !server.disabled));
  const old = enabled(before);
  const next = enabled(after);
  const diff: ConfigDiff = { added: [], removed: [], changed: [], unchanged: [], supervisorChanged: false };
  for (const [name, server] of next) {
    const previous = old.get(name);
    if (!previous) diff.added.push(name);
    else if (isDeepStrictEqual(previous, server)) diff.unchanged.push(name);
    else diff.changed.push(name);
  }
  for (const name of old.keys()) if (!next.has(name)) diff.removed.push(name);
  for (const list of [diff.added, diff.removed, diff.changed, diff.unchanged]) list.sort();
  diff.supervisorChanged = !isDeepStrictEqual(before.supervisor, after.supervisor);
  return diff;
}

export function isEmptyDiff(diff: ConfigDiff): boolean {
  return diff.added.length + diff.removed.length + diff.changed.length === 0 && !diff.supervisorChanged;
}
