import type {
  ClientEntry,
  ImportApplied,
  ImportPreview,
  ImportPreviewItem,
  RemoveAnswer,
  SetupApplied,
} from '../api/types.ts';

/**
 * The Clients view's words (pure): what a client's file holds, what an import would do with each
 * server and did, what setup wrote and remove undid — the sentences the CLI prints, for a page.
 */

/** `found, 3 servers` / `no file` / `malformed`: the file's state in a few words. */
export function describeFileState(entry: ClientEntry): string {
  if (entry.fileState === 'missing') return 'no file';
  if (entry.fileState === 'malformed') return 'malformed';
  return `found, ${entry.servers} server${entry.servers === 1 ? '' : 's'}`;
}

/** Whether, and how, the client reaches the supervisor. */
export function describeSetup(entry: ClientEntry): string {
  const { setup } = entry;
  if (setup) {
    const target = setup.server ? `server ${setup.server} only` : 'all servers';
    const key = setup.keyActive
      ? `key “${setup.keyName}”`
      : `key “${setup.keyName}” (revoked: remove and set up again)`;
    return `Set up: entry “${setup.entryName}” reaches ${target} with ${key}.`;
  }
  if (entry.connectEntries.length > 0) {
    return `Reaches the supervisor by an entry written by hand (${entry.connectEntries.join(', ')}).`;
  }
  return 'Not set up to use the supervisor.';
}

/** The action of a plan row in words, with the name it gets here when that differs. */
export function describeAction(item: ImportPreviewItem): string {
  switch (item.action) {
    case 'add':
      return 'add';
    case 'rename':
      return `add as ${item.name}`;
    case 'replace':
      return `replace ${item.name}`;
    case 'unchanged':
      return item.name === item.sourceName ? 'already there' : `already there as ${item.name}`;
    case 'skip':
      return 'skip';
  }
}

/** `An import would add 1, add 1 under another name, skip 2; 1 already there.` */
export function summarizePlan(plan: ImportPreview): string {
  if (plan.items.length === 0) return 'It lists no MCP servers.';
  const count = (action: ImportPreviewItem['action']) => plan.items.filter((i) => i.action === action).length;
  const verbs = [
    ['add', 'add'],
    ['rename', 'add', ' under another name'],
    ['replace', 'replace'],
    ['skip', 'skip'],
  ] as const;
  const parts = verbs
    .map(([action, verb, tail = '']) => [count(action), `${verb} ${count(action)}${tail}`] as const)
    .filter(([n]) => n > 0)
    .map(([, text]) => text);
  const there = count('unchanged') > 0 ? `${count('unchanged')} already there` : '';
  if (!plan.hasChanges) {
    const why = [there, count('skip') > 0 ? `${count('skip')} skipped` : ''].filter(Boolean).join(', ');
    return `Nothing to import${why ? ` (${why})` : ''}.`;
  }
  return `An import would ${parts.join(', ')}${there ? `; ${there}` : ''}.`;
}

/** What an applied import wrote and how the reload went. */
export function describeImportResult(result: ImportApplied): string {
  if (!result.written) return 'Nothing to import: the config already has every server it can take.';
  const wrote = `Wrote ${result.file}${result.backup ? ` (backup: ${result.backup})` : ''}.`;
  const { reload } = result;
  if (reload.status !== 'reloaded') return `${wrote} ${capitalize(reload.message)}.`;
  const states = reload.servers.map((s) => `${s.name} ${s.state}${s.lastError ? ` (${s.lastError})` : ''}`);
  const added = reload.diff.added.length > 0 ? `added ${reload.diff.added.join(', ')}` : 'no server added';
  return `${wrote} Reloaded: ${added}${states.length > 0 ? `; ${states.join(', ')}` : ''}.`;
}

/** What setup wrote, and what the person does next. */
export function describeSetupResult(result: SetupApplied, displayName: string): string {
  const backup = result.backup ? ` (backup: ${result.backup})` : ' (the file is new)';
  const moved = result.moved.length > 0 ? ` Moved out: ${result.moved.join(', ')}.` : '';
  return `Wrote “${result.entryName}” into ${result.file}${backup} with the new key “${result.keyName}”.${moved} Restart ${displayName} to use it.`;
}

/** What remove undid, file by file. */
export function describeRemoval(answer: RemoveAnswer): string {
  return answer.removed
    .map((r) => {
      const how =
        r.how === 'restored'
          ? 'restored as it was before setup'
          : r.how === 'edited'
            ? `“${r.entryName}” removed`
            : `“${r.entryName}” was already gone`;
      const back =
        r.restoredServers.length > 0 ? `; servers back in it: ${r.restoredServers.join(', ')}` : '';
      const kept = r.conflicts.length > 0 ? `; not put back (name taken): ${r.conflicts.join(', ')}` : '';
      const backup = r.backup ? ` (backup: ${r.backup})` : '';
      const key = r.revokedKeys > 0 ? ' Its key is revoked.' : ' Its key was already revoked.';
      return `${r.file}: ${how}${backup}${back}${kept}.${key}`;
    })
    .join(' ');
}

function capitalize(text: string): string {
  return `${text.charAt(0).toUpperCase()}${text.slice(1)}`;
}
