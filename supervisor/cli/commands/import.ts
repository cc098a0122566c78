import { existsSync } from 'node:fs';
import { type Command, Option } from 'commander';
import { CLIENTS, isClientId } from '../../mcp-clients/clients.ts';
import type { ClientFileSpec, ImportPlan, ImportResult, OnConflict } from '../../mcp-clients/index.ts';
import { SupervisorError } from '../../shared/errors.ts';
import {
  describeEntry,
  globalsOf,
  listArg,
  mcpClients,
  print,
  progress,
  projectDirOf,
  redactEntry,
} from './client-common.ts';

interface ImportOptions {
  file?: string;
  project?: string | boolean;
  config?: string;
  onConflict: OnConflict;
  only?: string;
  input: string[];
  dryRun?: boolean;
  reload: boolean;
  wait: string;
}

function inputsOf(pairs: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new SupervisorError('BAD_REQUEST', `--input takes ID=VALUE, got "${pair}"`);
    out[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return out;
}

function sourceOf(source: string, options: ImportOptions): ClientFileSpec {
  if (isClientId(source)) {
    const projectDir = projectDirOf(options.project);
    return {
      client: source,
      ...(projectDir ? { scope: 'project' as const, projectDir } : {}),
      ...(options.file ? { file: options.file } : {}),
    };
  }
  if (options.file || options.project) {
    throw new SupervisorError(
      'BAD_REQUEST',
      '--file and --project go with a client name (claude, cursor, vscode, windsurf)',
    );
  }
  if (!existsSync(source)) {
    throw new SupervisorError(
      'BAD_REQUEST',
      `"${source}" is neither a client (claude, cursor, vscode, windsurf) nor an existing file`,
    );
  }
  return { file: source };
}

function sourceLabel(plan: ImportPlan): string {
  const name = plan.source.client === 'file' ? 'file' : CLIENTS[plan.source.client].displayName;
  return `${name} (${plan.source.file})`;
}

/** The plan as lines: one per server, its action, its name here, what it runs or why not. */
export function formatImportPlan(plan: ImportPlan): string {
  const lines = [`import from ${sourceLabel(plan)} into ${plan.target.file}`];
  if (plan.items.length === 0) lines.push('  (no servers in the file)');
  for (const item of plan.items) {
    const detail =
      item.action === 'skip' || item.action === 'unchanged' ? (item.reason ?? '') : describeEntry(item.entry);
    lines.push(`  ${item.action.padEnd(9)}  ${item.name.padEnd(20)}  ${detail}`.trimEnd());
    if (item.reason && item.action !== 'skip' && item.action !== 'unchanged')
      lines.push(`             ${item.reason}`);
    for (const note of item.notes) lines.push(`             note: ${note}`);
  }
  for (const note of plan.notes) lines.push(`  note: ${note}`);
  return lines.join('\n');
}

function formatResult(result: ImportResult): string {
  if (!result.written) return 'nothing to import: the config already has every server it can take';
  const lines = [`wrote ${result.file}${result.backup ? ` (backup: ${result.backup})` : ''}`];
  if (result.reload.status === 'reloaded') {
    for (const server of result.reload.servers) {
      lines.push(`  ${server.name}: ${server.state}${server.lastError ? ` — ${server.lastError}` : ''}`);
    }
  } else {
    lines.push(result.reload.message);
  }
  return lines.join('\n');
}

/** A progress printer that says each distinct message once, and a repeat at most every 5 s. */
function throttled(): (message: string) => void {
  let last = '';
  let at = 0;
  return (message) => {
    if (message === last && Date.now() - at < 5_000) return;
    last = message;
    at = Date.now();
    progress(message);
  };
}

/** `mcp-supervisor import claude|cursor|vscode|windsurf|FILE`. */
export function registerImportCommand(program: Command): void {
  program
    .command('import <source>')
    .description(
      "merge an MCP client's servers into the supervisor's config: claude, cursor, vscode, windsurf, or a FILE",
    )
    .option('--file <file>', "the client's config file, when it is not in the documented place")
    .option(
      '--project [dir]',
      "the project's file (.cursor/mcp.json, .vscode/mcp.json) of DIR (default: this folder)",
    )
    .option(
      '-c, --config <file>',
      "our config to import into (default: the running supervisor's, else the home's)",
    )
    .addOption(
      new Option(
        '--on-conflict <how>',
        'a taken name with a different server: rename it, skip it, or replace ours',
      )
        .choices(['rename', 'skip', 'replace'])
        .default('rename'),
    )
    .option('--only <names>', 'import only these servers (comma-separated, names as in the client)')
    .option(
      '--input <id=value>',
      'the value of a VS Code input variable (input:ID), repeatable',
      (v: string, all: string[]) => [...all, v],
      [],
    )
    .option('--dry-run', 'show what would change and write nothing')
    .option('--no-reload', 'do not reload the running supervisor')
    .option('--wait <ms>', 'how long to wait for imported servers to come up', '120000')
    .action(async (source: string, options: ImportOptions, command: Command) => {
      const { paths, json } = globalsOf(command);
      const waitMs = Number(options.wait);
      if (!Number.isInteger(waitMs) || waitMs < 0)
        throw new SupervisorError('BAD_REQUEST', `--wait must be milliseconds, got "${options.wait}"`);
      const only = listArg(options.only);
      const plan = await (await mcpClients()).planImport(sourceOf(source, options), {
        paths,
        onConflict: options.onConflict,
        inputs: inputsOf(options.input),
        ...(options.config ? { configFile: options.config } : {}),
        ...(only ? { only } : {}),
      });
      const planJson = {
        ...plan,
        text: undefined,
        items: plan.items.map((item) => ({ ...item, entry: redactEntry(item.entry) })),
      };
      if (options.dryRun) {
        if (json) return print({ dryRun: true, plan: planJson });
        print(formatImportPlan(plan));
        return print('dry run: nothing written');
      }
      if (!json) print(formatImportPlan(plan));
      const result = await (await mcpClients()).applyImport(plan, {
        paths,
        reload: options.reload,
        waitMs,
        onProgress: throttled(),
      });
      if (json) return print({ dryRun: false, plan: planJson, result });
      print(formatResult(result));
    });
}
