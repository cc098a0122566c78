/**
 * Import from a client's config, as the tray offers it. The importing itself (finding the client's
 * file, merging, writing atomically with a backup) is the CLI's code in `supervisor/client/`; the
 * app only needs this small interface of it, injected at startup, and runs the dialog around it:
 * plan → show what changes and ask → apply → reload the running supervisor → say what happened.
 */

export type ImportClient = 'claude' | 'cursor' | 'vscode' | 'windsurf';

export const IMPORT_CLIENTS: readonly { id: ImportClient; label: string }[] = [
  { id: 'claude', label: 'Claude Desktop' },
  { id: 'cursor', label: 'Cursor' },
  { id: 'vscode', label: 'VS Code' },
  { id: 'windsurf', label: 'Windsurf' },
];

export type ImportSource = { client: ImportClient } | { file: string };

/** What a plan must tell for the app to show it; an importer's plan may carry more. */
export interface ImportPlanSummary {
  /** The file the servers are read from. */
  readonly sourceFile: string;
  readonly added: readonly string[];
  readonly changed: readonly string[];
  /** Name collisions resolved by renaming the imported server. */
  readonly renamed: readonly { from: string; to: string }[];
  readonly skipped: readonly { name: string; reason: string }[];
}

/**
 * The importer the app calls (the shape of `planImport` / `applyImport` in
 * `supervisor/client/mcp-clients/`). Both reject with a message that says what to do (a missing or
 * malformed client file, an invalid result); `applyImport` writes nothing when it rejects.
 */
export interface ConfigImporter<Plan extends ImportPlanSummary = ImportPlanSummary> {
  planImport(source: ImportSource, options: { signal: AbortSignal }): Promise<Plan>;
  applyImport(
    plan: Plan,
    options: { signal: AbortSignal },
  ): Promise<{ configFile: string; backupFile?: string }>;
}

/** The dialogs and effects around an import; Electron's in the app, fakes in tests. */
export interface ImportDeps<Plan extends ImportPlanSummary> {
  importer: ConfigImporter<Plan>;
  /** The File… dialog; undefined when cancelled. */
  pickFile(): Promise<string | undefined>;
  /** Shows the plan and asks; true to apply. */
  confirm(text: { message: string; detail: string }): Promise<boolean>;
  /** Reloads the running supervisor; undefined when none runs (the file is read at its next start). */
  reload(signal: AbortSignal): Promise<string | undefined>;
}

export type ImportOutcome =
  | { kind: 'cancelled' }
  | { kind: 'nothing'; message: string }
  | { kind: 'imported'; message: string };

/** The confirmation text of a plan, and whether it changes anything. */
export function describeImportPlan(plan: ImportPlanSummary): {
  hasChanges: boolean;
  message: string;
  detail: string;
} {
  const lines: string[] = [];
  if (plan.added.length > 0) lines.push(`Add: ${plan.added.join(', ')}`);
  if (plan.renamed.length > 0)
    lines.push(
      `Add renamed (the name is taken): ${plan.renamed.map((r) => `${r.from} → ${r.to}`).join(', ')}`,
    );
  if (plan.changed.length > 0) lines.push(`Change: ${plan.changed.join(', ')}`);
  if (plan.skipped.length > 0)
    lines.push(`Skip: ${plan.skipped.map((s) => `${s.name} (${s.reason})`).join(', ')}`);
  const count = plan.added.length + plan.renamed.length + plan.changed.length;
  const hasChanges = count > 0;
  return {
    hasChanges,
    message: hasChanges
      ? `Import ${count} server${count === 1 ? '' : 's'} from ${plan.sourceFile}?`
      : `Nothing to import from ${plan.sourceFile}`,
    detail: lines.length > 0 ? lines.join('\n') : 'It lists no MCP servers.',
  };
}

/**
 * One import from the tray. Resolves with what happened; rejects with the importer's (or the
 * reload's) error, which the tray shows.
 */
export async function runImport<Plan extends ImportPlanSummary>(
  from: ImportClient | 'file',
  deps: ImportDeps<Plan>,
  signal: AbortSignal,
): Promise<ImportOutcome> {
  let source: ImportSource;
  if (from === 'file') {
    const file = await deps.pickFile();
    if (file === undefined) return { kind: 'cancelled' };
    source = { file };
  } else {
    source = { client: from };
  }
  const plan = await deps.importer.planImport(source, { signal });
  const text = describeImportPlan(plan);
  if (!text.hasChanges) return { kind: 'nothing', message: `${text.message}. ${text.detail}` };
  if (!(await deps.confirm(text))) return { kind: 'cancelled' };
  const written = await deps.importer.applyImport(plan, { signal });
  const reloaded = await deps.reload(signal);
  const backup = written.backupFile ? ` (backup: ${written.backupFile})` : '';
  return {
    kind: 'imported',
    message: `Wrote ${written.configFile}${backup}. ${reloaded ?? 'The supervisor is not running; it reads the file when it starts.'}`,
  };
}
