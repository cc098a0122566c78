/**
 * The MCP clients whose config files the supervisor imports from and writes its `connect` entry
 * into, and how each one's file is shaped. Facts about each client are taken from its own
 * documentation, cited where they are used (locations.ts, map-entry.ts).
 */

export const CLIENT_IDS = ['claude', 'cursor', 'vscode', 'windsurf'] as const;
export type ClientId = (typeof CLIENT_IDS)[number];

/** Where a client's file applies: the user's own, or one project's (a folder's `.cursor/`). */
export type ConfigScope = 'user' | 'project';

/**
 * The two shapes of MCP client config files: `mcpServers` (Claude Desktop, Cursor, Windsurf, and
 * our own config) and VS Code's `servers` (with `inputs` beside it, and a `type` in each entry).
 */
export type ConfigShape = 'mcpServers' | 'servers';

export interface ClientInfo {
  readonly id: ClientId;
  readonly displayName: string;
  readonly shape: ConfigShape;
  /** Scopes the client reads a file from. */
  readonly scopes: readonly ConfigScope[];
}

export const CLIENTS: Readonly<Record<ClientId, ClientInfo>> = {
  claude: { id: 'claude', displayName: 'Claude Desktop', shape: 'mcpServers', scopes: ['user'] },
  cursor: { id: 'cursor', displayName: 'Cursor', shape: 'mcpServers', scopes: ['user', 'project'] },
  vscode: { id: 'vscode', displayName: 'VS Code', shape: 'servers', scopes: ['user', 'project'] },
  windsurf: { id: 'windsurf', displayName: 'Windsurf', shape: 'mcpServers', scopes: ['user'] },
};

export function isClientId(value: string): value is ClientId {
  return (CLIENT_IDS as readonly string[]).includes(value);
}
