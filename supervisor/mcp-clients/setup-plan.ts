import { editJsonc, type ServersBlock } from './client-file.ts';
import type { ConfigShape } from './clients.ts';
import { isConnectEntry, isSameServer, type MapContext, mapEntry } from './map-entry.ts';

/**
 * The pure half of `client setup` / `client remove`: which entry goes into a client's file, which
 * of its servers move out (those the supervisor already runs), and the file's new text. The
 * IO half (keys, backups, writes, the state of what was done) is in index.ts.
 */

/** How our CLI is started: absolute Node and script, because GUI clients lack the shell's PATH. */
export interface Launcher {
  command: string;
  args: string[];
}

/** The `connect` entry for a client file of `shape`. `token` goes in env, never on the command line. */
export function connectEntry(options: {
  shape: ConfigShape;
  launcher: Launcher;
  home: string;
  server: string | null;
  token: string;
}): Record<string, unknown> {
  return {
    // VS Code requires a type; the other clients infer stdio from "command".
    ...(options.shape === 'servers' ? { type: 'stdio' } : {}),
    command: options.launcher.command,
    args: [
      ...options.launcher.args,
      '--home',
      options.home,
      'connect',
      ...(options.server ? [options.server] : []),
    ],
    env: { MCP_SUPERVISOR_KEY: options.token },
  };
}

export function defaultEntryName(server: string | null): string {
  return server ? `mcp-supervisor-${server}` : 'mcp-supervisor';
}

/**
 * Splits a client's servers into those the supervisor's config already has (safe to move out:
 * it runs them and serves them through our entry) and those it does not (kept, with why).
 */
export function movableServers(
  block: ServersBlock,
  ourServers: Readonly<Record<string, unknown>>,
  context: Omit<MapContext, 'inputs'>,
  entryName: string,
): { move: { name: string; value: unknown; as: string }[]; keep: { name: string; reason: string }[] } {
  const move: { name: string; value: unknown; as: string }[] = [];
  const keep: { name: string; reason: string }[] = [];
  for (const { name, value } of block.servers) {
    if (name === entryName || isConnectEntry(value)) continue;
    const mapped = mapEntry(value, { ...context, inputs: block.inputs });
    const same = mapped.ok
      ? Object.entries(ourServers).find(([, server]) => isSameServer(server, mapped.entry))
      : undefined;
    if (same) move.push({ name, value, as: same[0] });
    else keep.push({ name, reason: 'not in the supervisor’s config (import it first to move it)' });
  }
  return { move, keep };
}

/** The client file's text with our entry added and the moved servers taken out. */
export function setupText(
  text: string | undefined,
  shape: ConfigShape,
  entryName: string,
  entry: Record<string, unknown>,
  moved: readonly { name: string }[],
): string {
  let out = text;
  for (const { name } of moved) out = editJsonc(out, [shape, name], undefined);
  return editJsonc(out, [shape, entryName], entry);
}

/**
 * The client file's text with our entry removed and the moved servers put back; a moved server
 * whose name has been taken meanwhile is left out and reported.
 */
export function removalText(
  text: string,
  block: ServersBlock,
  entryName: string,
  moved: readonly { name: string; value: unknown }[],
): { text: string; hadEntry: boolean; restored: string[]; conflicts: string[] } {
  const names = new Set(block.servers.map((server) => server.name));
  const hadEntry = names.has(entryName);
  let out = hadEntry ? editJsonc(text, [block.shape, entryName], undefined) : text;
  const restored: string[] = [];
  const conflicts: string[] = [];
  for (const { name, value } of moved) {
    if (names.has(name) && name !== entryName) {
      conflicts.push(name);
      continue;
    }
    out = editJsonc(out, [block.shape, name], value);
    restored.push(name);
  }
  return { text: out, hadEntry, restored, conflicts };
}
