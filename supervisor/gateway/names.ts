/**
 * Aggregated names: `<server>__<name>`. Server names may not contain `__` (the config schema
 * refuses it), so splitting at the first `__` always finds the owner: collisions are impossible.
 */
export const NAME_SEPARATOR = '__';

export function qualify(server: string, name: string): string {
  return `${server}${NAME_SEPARATOR}${name}`;
}

/** `{ server, name }` of an aggregated name, or undefined when it has no server prefix. */
export function unqualify(qualified: string): { server: string; name: string } | undefined {
  const index = qualified.indexOf(NAME_SEPARATOR);
  if (index <= 0) return undefined;
  return { server: qualified.slice(0, index), name: qualified.slice(index + NAME_SEPARATOR.length) };
}

/**
 * Clients reject tool names outside `[A-Za-z0-9_-]` (and longer than 128). A tool whose own name
 * has other characters is exposed with each of them replaced by `-`; the caller keeps a map back.
 */
export function sanitizeName(name: string): string {
  return name.replace(/[^A-Za-z0-9_-]/g, '-');
}

export interface ToolFilter {
  allow?: string[];
  deny?: string[];
}

/** Whether a server has an allow or a deny list at all (most have neither). */
export function hasToolFilter(filter: ToolFilter): boolean {
  return (filter.allow?.length ?? 0) > 0 || (filter.deny?.length ?? 0) > 0;
}

/**
 * Whether a tool passes a server's allow/deny lists. Entries are exact names or globs with `*`.
 * An allow list, when given, admits only what it matches; deny always wins.
 */
export function isToolAllowed(name: string, filter: ToolFilter): boolean {
  // Most servers have neither list: no closure, no walk (this runs on every tools/call of /mcp).
  if (!hasToolFilter(filter)) return true;
  const matches = (patterns: string[] | undefined) =>
    patterns?.some((pattern) => globMatch(pattern, name)) ?? false;
  if (filter.allow && filter.allow.length > 0 && !matches(filter.allow)) return false;
  return !matches(filter.deny);
}

function globMatch(pattern: string, name: string): boolean {
  if (!pattern.includes('*')) return pattern === name;
  const source = pattern
    .split('*')
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${source}$`).test(name);
}
