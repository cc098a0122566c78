import type { Command } from 'commander';
import { CLIENT_IDS, CLIENTS } from '../../mcp-clients/clients.ts';
import type { ClientSetupPlan } from '../../mcp-clients/index.ts';
import { clientConfigLocations } from '../../mcp-clients/locations.ts';
import { formatTable } from '../format.ts';
import { clientArg, globalsOf, mcpClients, print, projectDirOf, redactEntry } from './client-common.ts';

interface SetupFlags {
  server?: string;
  keyName?: string;
  entryName?: string;
  move?: boolean;
  project?: string | boolean;
  file?: string;
  config?: string;
  dryRun?: boolean;
}

function formatSetupPlan(plan: ClientSetupPlan): string {
  const entry = plan.entry as { command: string; args: string[] };
  const lines = [
    `set up ${CLIENTS[plan.client].displayName} in ${plan.file}${plan.exists ? '' : ' (created)'}`,
    `  add entry  ${plan.entryName}: ${[entry.command, ...entry.args].join(' ')}`,
    `  key        "${plan.keyName}" for ${plan.server ? `server ${plan.server} only` : 'all servers'} (in the entry's env MCP_SUPERVISOR_KEY)`,
  ];
  for (const moved of plan.move)
    lines.push(`  move out   ${moved.name} (the supervisor runs it as "${moved.as}")`);
  for (const kept of plan.keep) lines.push(`  keep       ${kept.name}: ${kept.reason}`);
  return lines.join('\n');
}

/** `mcp-supervisor client setup|remove|status|locations`. */
export function registerClientCommand(program: Command): void {
  const client = program
    .command('client')
    .description('write (or remove) the mcp-supervisor connect entry in an MCP client’s config');

  client
    .command('setup <client>')
    .description(`add a connect entry with its own client key to ${CLIENT_IDS.join(', ')}`)
    .option('--server <name>', 'connect this one server only (key scoped to it); default all servers')
    .option('--key-name <name>', 'name of the client key created for it (default: the client’s name)')
    .option('--entry-name <name>', 'name of the entry in the client’s file (default: mcp-supervisor)')
    .option('--move', 'take the servers the supervisor already runs out of the client’s file')
    .option(
      '--project [dir]',
      'the project’s file (.cursor/mcp.json, .vscode/mcp.json) of DIR (default: this folder)',
    )
    .option('--file <file>', 'the client’s config file, when it is not in the documented place')
    .option('-c, --config <file>', 'our config, to know which servers can move (default: the running one’s)')
    .option('--dry-run', 'show what would change and write nothing')
    .action(async (name: string, flags: SetupFlags, command: Command) => {
      const { paths, json } = globalsOf(command);
      const projectDir = projectDirOf(flags.project);
      const plan = await (await mcpClients()).planClientSetup(clientArg(name), {
        paths,
        move: flags.move === true,
        ...(flags.server ? { server: flags.server } : {}),
        ...(flags.keyName ? { keyName: flags.keyName } : {}),
        ...(flags.entryName ? { entryName: flags.entryName } : {}),
        ...(projectDir ? { scope: 'project' as const, projectDir } : {}),
        ...(flags.file ? { file: flags.file } : {}),
        ...(flags.config ? { configFile: flags.config } : {}),
      });
      const planJson = {
        ...plan,
        move: plan.move.map(({ name, as }) => ({ name, as })),
        entry: redactEntry(plan.entry),
      };
      if (flags.dryRun) {
        if (json) return print({ dryRun: true, plan: planJson });
        print(formatSetupPlan(plan));
        return print('dry run: nothing written, no key created');
      }
      const result = await (await mcpClients()).applyClientSetup(plan, { paths });
      if (json) return print({ dryRun: false, plan: planJson, result });
      print(formatSetupPlan(plan));
      print(
        `wrote ${result.file}${result.backup ? ` (backup: ${result.backup})` : ''}; restart ${CLIENTS[plan.client].displayName} to use it`,
      );
    });

  client
    .command('remove <client>')
    .description('undo client setup: remove our entry, put moved servers back, revoke the key')
    .option('--file <file>', 'only the setup of this file')
    .option('--entry-name <name>', 'only the setup of this entry')
    .action(async (name: string, flags: { file?: string; entryName?: string }, command: Command) => {
      const { paths, json } = globalsOf(command);
      const results = await (await mcpClients()).removeClientSetup(clientArg(name), {
        paths,
        ...(flags.file ? { file: flags.file } : {}),
        ...(flags.entryName ? { entryName: flags.entryName } : {}),
      });
      if (json) return print({ removed: results });
      for (const r of results) {
        const how =
          r.how === 'restored'
            ? 'restored as it was before setup'
            : r.how === 'edited'
              ? `removed "${r.entryName}"`
              : `"${r.entryName}" was already gone`;
        print(`${r.file}: ${how}${r.backup ? ` (backup: ${r.backup})` : ''}`);
        if (r.restoredServers.length > 0) print(`  servers back in it: ${r.restoredServers.join(', ')}`);
        if (r.conflicts.length > 0)
          print(`  not put back (the name is taken now): ${r.conflicts.join(', ')}`);
        print(`  key revoked: ${r.revokedKeys > 0 ? 'yes' : 'it was already'}`);
      }
    });

  client
    .command('status')
    .description('which clients have a config file, and which are set up to use the supervisor')
    .option('--project [dir]', 'also look at the project files of DIR (default: this folder)')
    .action(async (flags: { project?: string | boolean }, command: Command) => {
      const { paths, json } = globalsOf(command);
      const projectDir = projectDirOf(flags.project);
      const rows = await (await mcpClients()).clientStatus({ paths, ...(projectDir ? { projectDir } : {}) });
      if (json) return print({ clients: rows });
      if (rows.length === 0) return print('no MCP client config found; see: mcp-supervisor client locations');
      print(
        formatTable(
          ['CLIENT', 'SCOPE', 'SET UP', 'KEY', 'SERVERS', 'FILE'],
          rows.map((row) => [
            row.client,
            row.scope,
            row.setup
              ? `yes (${row.setup.entryName})`
              : row.connectEntries.length > 0
                ? `by hand (${row.connectEntries.join(',')})`
                : 'no',
            row.setup ? `${row.setup.keyName}${row.setup.keyActive ? '' : ' (revoked!)'}` : '-',
            row.problem ? 'unreadable' : String(row.servers),
            row.file,
          ]),
        ),
      );
      for (const row of rows) if (row.problem) print(`${row.file}: ${row.problem}`);
    });

  client
    .command('locations [client]')
    .description('where each client keeps its MCP config on this OS (documented paths)')
    .option('--project [dir]', 'also the project files of DIR (default: this folder)')
    .action(async (name: string | undefined, flags: { project?: string | boolean }, command: Command) => {
      const { json } = globalsOf(command);
      const projectDir = projectDirOf(flags.project);
      const ids = name ? [clientArg(name)] : [...CLIENT_IDS];
      const locations = ids.flatMap((id) =>
        clientConfigLocations(id, process.platform, process.env, projectDir ? { projectDir } : {}),
      );
      if (json) return print({ locations });
      print(
        formatTable(
          ['CLIENT', 'SCOPE', 'VARIANT', 'FILE'],
          locations.map((l) => [l.client, l.scope, l.variant, l.file]),
        ),
      );
    });
}
