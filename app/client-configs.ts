/**
 * The tray's adapter onto `supervisor/mcp-clients/`: the CLI's own import and client setup code
 * (`mcp-supervisor import`, `client setup|remove`), run in the app's main process. It is file logic
 * plus the control client — no supervisor state — so the app calls it directly rather than through
 * a control API route: it must also work while the supervisor is down (an import is read at the
 * next start; setup keys go to the home's database), exactly as the CLI does.
 */
import { realpathSync } from 'node:fs';
import {
  applyClientSetup,
  applyImport,
  CLIENTS,
  type ClientId,
  type ClientSetupPlan,
  clientStatus,
  type ImportPlan,
  type ImportResult,
  type Launcher,
  planClientSetup,
  planImport,
  removeClientSetup,
} from '../supervisor/mcp-clients/index.ts';
import { SupervisorError } from '../supervisor/shared/errors.ts';
import type { HomePaths } from '../supervisor/shared/home.ts';
import type { ConfigImporter, ImportPlanSummary } from './importer.ts';

/** An import plan as the tray's dialog shows it, with the full plan to apply. */
export interface TrayImportPlan extends ImportPlanSummary {
  readonly plan: ImportPlan;
}

/** How long the tray's import waits for the imported servers to come up (npx downloads). */
const IMPORT_WAIT_MS = 120_000;

/** The summary the dialog shows: added, renamed (taken or unsafe names), changed, skipped. */
export function summarizeImportPlan(plan: ImportPlan): TrayImportPlan {
  const added: string[] = [];
  const renamed: { from: string; to: string }[] = [];
  const changed: string[] = [];
  const skipped: { name: string; reason: string }[] = [];
  for (const item of plan.items) {
    if (item.action === 'add' && item.name === item.sourceName) added.push(item.name);
    else if (item.action === 'add') renamed.push({ from: item.sourceName, to: item.name });
    else if (item.action === 'replace') changed.push(item.name);
    else
      skipped.push({
        name: item.sourceName,
        reason: item.reason ?? (item.action === 'unchanged' ? 'already in the config' : 'skipped'),
      });
  }
  return { sourceFile: plan.source.file, added, renamed, changed, skipped, plan };
}

/** What the reload after an import did, as one sentence per outcome. */
export function describeImportResult(result: ImportResult): string {
  const reload = result.reload;
  if (reload.status !== 'reloaded') return `${reload.message[0]?.toUpperCase()}${reload.message.slice(1)}.`;
  const states = reload.servers.map(
    (server) => `${server.name} ${server.state}${server.lastError ? ` (${server.lastError})` : ''}`,
  );
  return states.length > 0 ? `Reloaded: ${states.join(', ')}.` : 'Reloaded.';
}

/** The importer the tray's "Import from…" calls, for the supervisor home `paths`. */
export function createConfigImporter(
  paths: HomePaths,
  options: { platform?: NodeJS.Platform; env?: NodeJS.ProcessEnv } = {},
): ConfigImporter<TrayImportPlan> {
  return {
    async planImport(source, { signal }) {
      const spec = 'client' in source ? { client: source.client } : { file: source.file };
      return summarizeImportPlan(await planImport(spec, { paths, ...options, signal }));
    },
    async applyImport({ plan }, { signal }) {
      const result = await applyImport(plan, { paths, waitMs: IMPORT_WAIT_MS, signal });
      return {
        configFile: result.file,
        ...(result.backup ? { backupFile: result.backup } : {}),
        outcome: describeImportResult(result),
      };
    },
  };
}

/**
 * How a GUI client starts our CLI from the desktop app: the app's own executable (Electron's
 * binary) as Node — `ELECTRON_RUN_AS_NODE=1` in the entry's env, as `supervisor-entry.ts` does for
 * the supervisor — running the CLI script the app ships. Both paths absolute and real: a GUI
 * client has no shell PATH. An AppImage runs from a mount point that changes at every launch, so
 * an entry written there would break when the app quits: refused with what to do instead.
 */
export function appLauncher(options: {
  execPath: string;
  cliScript: string;
  env?: NodeJS.ProcessEnv;
  realpath?: (file: string) => string;
}): Launcher {
  if (options.env?.APPIMAGE) {
    throw new SupervisorError(
      'BAD_REQUEST',
      'the AppImage runs from a temporary mount, so a client could not start it later; install the .deb, or install the CLI (npm install -g mcp-supervisor) and run: mcp-supervisor client setup <client>',
    );
  }
  const real = options.realpath ?? realpathSync;
  return {
    command: real(options.execPath),
    args: [real(options.cliScript)],
    env: { ELECTRON_RUN_AS_NODE: '1' },
  };
}

/** Client setup as the tray offers it, for the supervisor home `paths`. */
export interface ClientSetup {
  /** What setup would write (with the servers it could move out); writes nothing. */
  plan(client: ClientId, signal: AbortSignal): Promise<ClientSetupPlan>;
  /** Writes a plan (`moveServers` false: the client keeps its servers). */
  apply(plan: ClientSetupPlan, options: { moveServers: boolean }): Promise<{ message: string }>;
  /** Undoes every setup of `client` for this home. */
  remove(client: ClientId): Promise<{ message: string }>;
  /** The clients set up for this home now (read from the record and their files). */
  setUpClients(signal: AbortSignal): Promise<ClientId[]>;
}

export function createClientSetup(
  paths: HomePaths,
  options: { launcher: () => Launcher; platform?: NodeJS.Platform; env?: NodeJS.ProcessEnv },
): ClientSetup {
  const where = {
    ...(options.platform ? { platform: options.platform } : {}),
    ...(options.env ? { env: options.env } : {}),
  };
  return {
    plan: (client, signal) =>
      planClientSetup(client, { paths, ...where, move: true, launcher: options.launcher(), signal }),
    async apply(plan, { moveServers }) {
      const result = await applyClientSetup(moveServers ? plan : { ...plan, move: [] }, { paths });
      const backup = result.backup ? ` (backup: ${result.backup})` : '';
      const moved = result.moved.length > 0 ? ` Moved out: ${result.moved.join(', ')}.` : '';
      return {
        message: `Wrote "${result.entryName}" into ${result.file}${backup} with the key "${result.keyName}".${moved} Restart ${CLIENTS[plan.client].displayName} to use it.`,
      };
    },
    async remove(client) {
      const results = await removeClientSetup(client, { paths, ...where });
      const lines = results.map((r) => {
        const how =
          r.how === 'restored'
            ? 'restored as it was before setup'
            : r.how === 'edited'
              ? `"${r.entryName}" removed`
              : `"${r.entryName}" was already gone`;
        const back =
          r.restoredServers.length > 0 ? `; servers back in it: ${r.restoredServers.join(', ')}` : '';
        const kept = r.conflicts.length > 0 ? `; not put back (name taken): ${r.conflicts.join(', ')}` : '';
        return `${r.file}: ${how}${back}${kept}.`;
      });
      return { message: `${lines.join(' ')} Its key is revoked.` };
    },
    async setUpClients(signal) {
      signal.throwIfAborted();
      const rows = await clientStatus({ paths, ...where });
      return [...new Set(rows.filter((row) => row.setup).map((row) => row.client))];
    },
  };
}
