/**
 * Import from MCP clients and set clients up to use the supervisor — the one implementation the
 * CLI (`import`, `client setup|remove|status`), the tray app and the console call.
 *
 * Every function takes the supervisor home (`paths`) and, where file locations matter, `platform`
 * and `env` (default: this process's), so callers and tests can point it anywhere. Plans are
 * computed without writing anything; applying one re-checks that the files did not change since,
 * backs them up (`<file>.<timestamp>.bak`, mode 0600) and writes atomically (temp + rename, 0600),
 * keeping the user's comments and formatting. Errors are `SupervisorError`s whose message says what
 * to do: `CONFIG_NOT_FOUND` (no such client file), `CONFIG_INVALID` (a malformed file, with line
 * and column; a merged config that would not load; a file changed since the plan),
 * `BAD_REQUEST`, `UNKNOWN_SERVER`.
 */
import type { HomePaths } from '../shared/home.ts';
import { type ClientStatusRow, clientStatusRun } from './client-status.ts';
import type { ClientId } from './clients.ts';
import type { ImportPlan } from './import-plan.ts';
import {
  type ApplyImportOptions,
  applyImportRun,
  type ImportResult,
  type PlanImportOptions,
  planImportRun,
} from './import-run.ts';
import {
  applySetupRun,
  type ClientRemoveResult,
  type ClientSetupPlan,
  type ClientSetupResult,
  planSetupRun,
  type RemoveOptions,
  removeSetupRun,
  type SetupOptions,
} from './setup-run.ts';
import type { ClientFileSpec, PlatformOptions } from './sources.ts';
import type { KeyIssuer } from './supervisor-link.ts';

export type { ClientStatusRow } from './client-status.ts';
export {
  CLIENT_IDS,
  CLIENTS,
  type ClientId,
  type ConfigScope,
  type ConfigShape,
  isClientId,
} from './clients.ts';
export type { ImportAction, ImportItem, ImportPlan, OnConflict } from './import-plan.ts';
export type { ApplyImportOptions, ImportResult, PlanImportOptions } from './import-run.ts';
export { type ConfigLocation, clientConfigLocations } from './locations.ts';
export type { Launcher } from './setup-plan.ts';
export type {
  ClientRemoveResult,
  ClientSetupPlan,
  ClientSetupResult,
  RemoveOptions,
  SetupOptions,
} from './setup-run.ts';
export { defaultLauncher } from './setup-run.ts';
export type { ClientFileSpec, PlatformOptions } from './sources.ts';
export type { KeyIssuer, ReloadDiff, ServerOutcome, SupervisorLink } from './supervisor-link.ts';
export { homeKeyIssuer } from './supervisor-link.ts';

/**
 * What importing `source` into the supervisor's config would do, server by server (`add`,
 * `replace`, `unchanged`, `skip` with the reason), with the config's new text. Writes nothing.
 *
 * `source` is a client (its documented file for `scope`, default `user`; `file` overrides the
 * location) or a bare file (VS Code's `servers` shape is recognised). The target is
 * `options.configFile`, else the running supervisor's config file, else the home's `config.json`.
 * Name collisions follow `options.onConflict` (default `rename` → `name-<client>`); nothing is
 * overwritten unless it is `replace`. Throws `CONFIG_NOT_FOUND` / `CONFIG_INVALID` (malformed
 * source, with file:line:column; a merged config that would not validate).
 */
export function planImport(source: ClientFileSpec, options: PlanImportOptions): Promise<ImportPlan> {
  return planImportRun(source, options);
}

/**
 * Writes a plan from {@link planImport}: refuses (`CONFIG_INVALID`) if the config changed since,
 * validates the new text with the running supervisor (its environment expands `${VAR}`), keeps a
 * backup, writes atomically, then reloads the running supervisor when it reads that file and waits
 * (up to `waitMs`, default 120 s) until each imported server has left `starting`. Resolves with what
 * was written and what the reload did; a plan with nothing to add writes nothing.
 */
export function applyImport(plan: ImportPlan, options: ApplyImportOptions): Promise<ImportResult> {
  return applyImportRun(plan, options);
}

/**
 * What `client setup` would write into `client`'s config file: an entry that runs
 * `<node> <mcp-supervisor.js> --home HOME connect [SERVER]` by absolute paths (a GUI client has no
 * shell PATH) with a new client key in its env (scoped to `server` when given), and — with
 * `move` — which of the client's servers the supervisor already runs and so leave the file. Writes
 * nothing and creates no key. Throws `BAD_REQUEST` when the client is already set up there or the
 * entry name is taken, `UNKNOWN_SERVER`, `CONFIG_NOT_FOUND` when the client seems not installed.
 */
export function planClientSetup(client: ClientId, options: SetupOptions): Promise<ClientSetupPlan> {
  return planSetupRun(client, options);
}

/**
 * Applies a setup plan: creates the key (through the running supervisor, else the database),
 * backs the client file up, writes it atomically, and records what it did in
 * `<home>/client-setup.json` for {@link removeClientSetup}. If writing fails the key is revoked.
 */
export function applyClientSetup(
  plan: ClientSetupPlan,
  options: { paths: HomePaths; keys?: KeyIssuer },
): Promise<ClientSetupResult> {
  return applySetupRun(plan, options);
}

/**
 * Undoes every setup of `client` recorded for this home (or only `options.file` / `entryName`):
 * when the client's file is still exactly what setup wrote it is restored byte for byte from the
 * backup (or deleted, if setup created it); otherwise our entry is taken out and the moved servers
 * are put back (a name taken meanwhile is reported, not overwritten). Revokes the key setup
 * created. Throws `BAD_REQUEST` when nothing was set up.
 */
export function removeClientSetup(client: ClientId, options: RemoveOptions): Promise<ClientRemoveResult[]> {
  return removeSetupRun(client, options);
}

/** One row per existing client file (and per recorded setup): its servers, our entries, our key. */
export function clientStatus(
  options: PlatformOptions & { paths: HomePaths; projectDir?: string; keys?: KeyIssuer },
): Promise<ClientStatusRow[]> {
  return clientStatusRun(options);
}
