/**
 * Wire types of the control API's `/api/clients` routes (`control/client-routes.ts`): import from
 * an MCP client's config and set clients up to use the supervisor, as the console calls them.
 * The plans and results are those of `supervisor/mcp-clients/` (the CLI's and the tray's code),
 * with every env and header value, URL secret and token argument masked.
 */

/** The MCP clients whose files are read and written (`supervisor/mcp-clients/clients.ts`). */
export type McpClientId = 'claude' | 'cursor' | 'vscode' | 'windsurf';

/** A client's own file, or one project's (`<dir>/.cursor/mcp.json`, `<dir>/.vscode/mcp.json`). */
export type McpClientScope = 'user' | 'project';

/** `found`: read and parsed; `missing`: not there (yet); `malformed`: there, but not parseable. */
export type ClientFileState = 'found' | 'missing' | 'malformed';

/**
 * What importing does with one server of the client's file: `add` (under its own name), `rename`
 * (added under another name: the name was taken by a different server, or was unsafe), `replace`
 * (only when asked), `unchanged` (already in the config), `skip` (with the reason).
 */
export type ImportPreviewAction = 'add' | 'rename' | 'replace' | 'unchanged' | 'skip';

export interface ImportPreviewItem {
  /** Its name in the client's file. */
  sourceName: string;
  /** Its name in the supervisor's config. */
  name: string;
  action: ImportPreviewAction;
  /** Why it is renamed, skipped or unchanged. */
  reason: string | null;
  /** What was mapped, resolved or dropped on the way. */
  notes: string[];
  /** What it runs (`command args…` or its URL), secrets masked; null when skipped. */
  runs: string | null;
}

/** An import plan: the same plan `mcp-supervisor import --dry-run` shows. */
export interface ImportPreview {
  source: { client: McpClientId | 'file'; file: string; scope: McpClientScope };
  /** The supervisor's config file it writes. */
  target: { file: string; exists: boolean };
  items: ImportPreviewItem[];
  /** About the config file as a whole (created, rewritten as JSON). */
  notes: string[];
  /** Whether applying it writes anything. */
  hasChanges: boolean;
  /** Names this plan: an apply that sends it is refused (409) when planning again gives another. */
  planId: string;
}

/** What an applied import did: the write, and the reload of the running supervisor. */
export interface ImportApplied {
  written: boolean;
  file: string;
  /** The config file's copy from before the write (none when it did not exist). */
  backup: string | null;
  reload:
    | {
        status: 'reloaded';
        /** What the reload applied: servers added, changed, removed. */
        diff: { added: string[]; changed: string[]; removed: string[] };
        /** Each imported server's state right after the reload (the status shows it come up). */
        servers: { name: string; state: string; lastError?: string }[];
      }
    | { status: 'not-running' | 'other-config' | 'skipped' | 'nothing-to-do'; message: string };
}

/** `POST /api/clients/:client/import`. */
export type ImportAnswer =
  | { dryRun: true; plan: ImportPreview }
  | { dryRun: false; plan: ImportPreview; result: ImportApplied };

/** What setup recorded for one client file: our entry, its key, the servers moved out. */
export interface ClientSetupState {
  entryName: string;
  keyName: string;
  keyId: string;
  /** False when the key was revoked since (the client's entry then fails to connect). */
  keyActive: boolean;
  /** The one server it connects to, or null for all of them. */
  server: string | null;
  moved: string[];
}

/** One client (and scope) of `GET /api/clients`. */
export interface ClientEntry {
  client: McpClientId;
  displayName: string;
  /** Scopes the client reads a file from. */
  scopes: McpClientScope[];
  scope: McpClientScope;
  /** Its config file: the first of its documented places that exists, else the first one. */
  file: string;
  fileState: ClientFileState;
  /** Why a malformed file cannot be read (with line and column). */
  problem: string | null;
  /** Servers in the file, ours included. */
  servers: number;
  /** Names of the `mcp-supervisor connect` entries in it (set up here or by hand). */
  connectEntries: string[];
  /** What `client setup` did to this file for this supervisor's home, if it did. */
  setup: ClientSetupState | null;
  /** What an import would do now (a found file only). */
  importPreview: ImportPreview | null;
  /** Why an import could not be planned (e.g. the merged config would not validate). */
  importProblem: string | null;
}

/** `GET /api/clients`. */
export interface ClientsBody {
  /** The supervisor's config file an import writes. */
  configFile: string;
  /** The supervisor's home, which a set-up client's entry names. */
  home: string;
  clients: ClientEntry[];
}

/** What `client setup` writes (or would write) into a client's file. */
export interface SetupPreview {
  client: McpClientId;
  scope: McpClientScope;
  file: string;
  /** False: setup creates the file. */
  exists: boolean;
  entryName: string;
  /** The entry as written, its key masked. */
  entry: Record<string, unknown>;
  keyName: string;
  server: string | null;
  /** The client's servers that leave its file (the supervisor runs them, as `as`). */
  move: { name: string; as: string }[];
  /** The client's servers that stay, and why. */
  keep: { name: string; reason: string }[];
}

/** What an applied setup did. */
export interface SetupApplied {
  file: string;
  /** The client file's copy from before the write (none when setup created it). */
  backup: string | null;
  entryName: string;
  keyId: string;
  keyName: string;
  moved: string[];
}

/** `POST /api/clients/:client/setup`. */
export type SetupAnswer =
  | { dryRun: true; plan: SetupPreview }
  | { dryRun: false; plan: SetupPreview; result: SetupApplied };

/** One undone setup of `POST /api/clients/:client/remove`. */
export interface RemovedSetup {
  file: string;
  entryName: string;
  /** `restored`: byte for byte as before setup (or deleted, if setup created it). */
  how: 'restored' | 'edited' | 'entry-already-gone';
  backup: string | null;
  restoredServers: string[];
  /** Moved servers not put back: their name is taken in the file now. */
  conflicts: string[];
  revokedKeys: number;
}

/** `POST /api/clients/:client/remove`. */
export interface RemoveAnswer {
  removed: RemovedSetup[];
}
