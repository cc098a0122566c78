import { createHash } from 'node:crypto';
import type {
  ImportApplied,
  ImportPreview,
  ImportPreviewItem,
  RemovedSetup,
  SetupApplied,
  SetupPreview,
} from '../client/mcp-clients-wire.ts';
import type {
  ClientRemoveResult,
  ClientSetupPlan,
  ClientSetupResult,
  ImportItem,
  ImportPlan,
  ImportResult,
} from '../mcp-clients/index.ts';
import { maskConfigObject } from './config-mask.ts';

/**
 * The plans and results of `supervisor/mcp-clients/` as `/api/clients` answers them (pure). An
 * entry's secrets are masked by the config editor's own rules (env and header values, URL
 * secrets, token arguments), so the page never holds a secret the client's file has.
 */

/** One server entry with its secrets masked. */
export function maskedEntry(entry: Record<string, unknown>): Record<string, unknown> {
  const masked = maskConfigObject({ mcpServers: { entry } }) as {
    mcpServers: { entry: Record<string, unknown> };
  };
  return masked.mcpServers.entry;
}

/** `command args…` or the URL of an entry, secrets masked. */
function runsOf(entry: Record<string, unknown> | undefined): string | null {
  if (!entry) return null;
  const masked = maskedEntry(entry);
  if (typeof masked.command === 'string') {
    const args = Array.isArray(masked.args) ? masked.args.map(String) : [];
    return [masked.command, ...args].join(' ');
  }
  return typeof masked.url === 'string' ? masked.url : null;
}

function itemOf(item: ImportItem): ImportPreviewItem {
  const isRenamed = item.action === 'add' && item.name !== item.sourceName;
  return {
    sourceName: item.sourceName,
    name: item.name,
    action: isRenamed ? 'rename' : item.action,
    reason: item.reason ?? null,
    notes: item.notes,
    runs: item.action === 'skip' ? null : runsOf(item.entry),
  };
}

/**
 * A plan's identity: what it would write and where. Planning again after the client's file or
 * our config changed gives another id, so an apply can refuse a plan the person did not see.
 */
export function planIdOf(plan: ImportPlan): string {
  return createHash('sha256')
    .update(
      JSON.stringify([plan.source.file, plan.target.file, plan.target.sha256 ?? null, plan.text ?? null]),
    )
    .digest('hex')
    .slice(0, 16);
}

export function importPreviewOf(plan: ImportPlan): ImportPreview {
  return {
    source: plan.source,
    target: { file: plan.target.file, exists: plan.target.exists },
    items: plan.items.map(itemOf),
    notes: plan.notes,
    hasChanges: plan.text !== undefined,
    planId: planIdOf(plan),
  };
}

export function importAppliedOf(result: ImportResult): ImportApplied {
  const { reload } = result;
  return {
    written: result.written,
    file: result.file,
    backup: result.backup ?? null,
    reload:
      reload.status === 'reloaded'
        ? {
            status: 'reloaded',
            diff: {
              added: reload.diff.added ?? [],
              changed: reload.diff.changed ?? [],
              removed: reload.diff.removed ?? [],
            },
            servers: reload.servers,
          }
        : reload,
  };
}

export function setupPreviewOf(plan: ClientSetupPlan): SetupPreview {
  return {
    client: plan.client,
    scope: plan.scope,
    file: plan.file,
    exists: plan.exists,
    entryName: plan.entryName,
    entry: maskedEntry(plan.entry),
    keyName: plan.keyName,
    server: plan.server,
    move: plan.move.map(({ name, as }) => ({ name, as })),
    keep: plan.keep,
  };
}

export function setupAppliedOf(result: ClientSetupResult): SetupApplied {
  return { ...result, backup: result.backup ?? null };
}

export function removedOf(result: ClientRemoveResult): RemovedSetup {
  return { ...result, backup: result.backup ?? null };
}
