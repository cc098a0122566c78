import type { ClientSetupState } from '../client/mcp-clients-wire.ts';
import type { HomePaths } from '../shared/home.ts';
import { CLIENTS, type ClientId, type ConfigScope } from './clients.ts';
import { type ConfigLocation, clientConfigLocations } from './locations.ts';
import { isConnectEntry } from './map-entry.ts';
import { readSetupRecords, sameFile } from './setup-state.ts';
import { type PlatformOptions, readClientFile } from './sources.ts';
import { homeKeyIssuer, type KeyIssuer } from './supervisor-link.ts';

/** Which clients' files exist, which hold `connect` entries, and which were set up by us (IO). */
export interface ClientStatusRow {
  client: ClientId;
  scope: ConfigScope;
  file: string;
  exists: boolean;
  /** Servers in the file (ours included). */
  servers: number;
  /** Names of `mcp-supervisor connect` entries in the file. */
  connectEntries: string[];
  /** What setup recorded for this file (the control API's wire type: the console shows it). */
  setup: ClientSetupState | undefined;
  problem?: string;
}

export async function clientStatusRun(
  options: PlatformOptions & { paths: HomePaths; projectDir?: string; keys?: KeyIssuer },
): Promise<ClientStatusRow[]> {
  const platform = options.platform ?? process.platform;
  const records = await readSetupRecords(options.paths);
  const keys = options.keys ?? homeKeyIssuer(options.paths);
  const activeKeys = new Set(
    (await keys.list().catch(() => [])).filter((k) => k.revokedAt === null).map((k) => k.id),
  );
  const rows: ClientStatusRow[] = [];
  const describe = async (
    location: Pick<ConfigLocation, 'client' | 'scope' | 'file'>,
  ): Promise<ClientStatusRow> => {
    const { client, scope, file } = location;
    const record = records.find((r) => sameFile(r.file, file));
    const row: ClientStatusRow = {
      client,
      scope,
      file,
      exists: false,
      servers: 0,
      connectEntries: [],
      setup: undefined,
    };
    try {
      const read = await readClientFile({
        client,
        scope,
        file,
        shape: CLIENTS[client].shape,
        workspaceFolder: undefined,
        candidates: [],
      });
      row.exists = read.text !== undefined;
      row.servers = read.block.servers.length;
      row.connectEntries = read.block.servers.filter((s) => isConnectEntry(s.value)).map((s) => s.name);
    } catch (error) {
      row.exists = true;
      row.problem = (error as Error).message;
    }
    if (record) {
      row.setup = {
        entryName: record.entryName,
        keyName: record.keyName,
        keyId: record.keyId,
        keyActive: activeKeys.has(record.keyId),
        server: record.server,
        moved: record.moved.map((m) => m.name),
      };
    }
    return row;
  };
  const seen = new Set<string>();
  for (const client of Object.keys(CLIENTS) as ClientId[]) {
    const env = options.env ?? process.env;
    for (const location of clientConfigLocations(
      client,
      platform,
      env,
      options.projectDir ? { projectDir: options.projectDir } : {},
    )) {
      seen.add(location.file);
      const row = await describe(location);
      if (row.exists || row.setup) rows.push(row);
    }
  }
  // Setups of files outside the documented places (--file, another project) are listed too.
  for (const record of records)
    if (![...seen].some((file) => sameFile(file, record.file))) rows.push(await describe(record));
  return rows;
}
