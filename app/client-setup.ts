/**
 * "Set up Claude Desktop / Cursor / VS Code / Windsurf…" and its undo, as the tray runs them:
 * plan → show what will be written (and which servers could move out) and ask → apply → say what
 * happened. The writing is `client setup` / `client remove` of the CLI (`client-configs.ts`).
 */
import type { ClientSetup } from './client-configs.ts';
import type { ImportClient } from './importer.ts';

/** A question with buttons; resolves with the index of the button chosen (the last one cancels). */
export type Choose = (text: { message: string; detail: string; buttons: string[] }) => Promise<number>;

export interface ClientSetupDeps {
  setup: ClientSetup;
  choose: Choose;
}

export type ClientSetupOutcome = { kind: 'cancelled' } | { kind: 'done'; message: string };

type SetupPlan = Awaited<ReturnType<ClientSetup['plan']>>;

/** The confirmation of a setup plan: what is written where, and what may move out. */
export function describeSetupPlan(plan: SetupPlan, displayName: string): { message: string; detail: string } {
  const target = plan.server ? `the supervisor's server "${plan.server}"` : "all the supervisor's servers";
  const lines = [
    `Adds the entry "${plan.entryName}" to ${plan.file}${plan.exists ? ' (a backup is kept)' : ' (a new file)'}.`,
    `${displayName} then reaches ${target} through it, with a new client key "${plan.keyName}".`,
  ];
  if (plan.move.length > 0)
    lines.push(
      `The supervisor already runs ${plan.move.map((m) => m.name).join(', ')}: move ${plan.move.length === 1 ? 'it' : 'them'} out of ${displayName}'s file, so ${plan.move.length === 1 ? 'it does' : 'they do'} not run twice?`,
    );
  if (plan.keep.length > 0) lines.push(`Kept in the file: ${plan.keep.map((k) => k.name).join(', ')}.`);
  return { message: `Set up ${displayName} to use mcp-supervisor?`, detail: lines.join('\n') };
}

/** One setup from the tray; rejects with the planning or writing error, which the tray shows. */
export async function runClientSetup(
  client: ImportClient,
  displayName: string,
  deps: ClientSetupDeps,
  signal: AbortSignal,
): Promise<ClientSetupOutcome> {
  const plan = await deps.setup.plan(client, signal);
  const text = describeSetupPlan(plan, displayName);
  const buttons =
    plan.move.length > 0 ? ['Set up and move them', 'Set up, keep them', 'Cancel'] : ['Set up', 'Cancel'];
  const choice = await deps.choose({ ...text, buttons });
  if (choice < 0 || choice >= buttons.length - 1) return { kind: 'cancelled' };
  signal.throwIfAborted();
  const result = await deps.setup.apply(plan, { moveServers: plan.move.length > 0 && choice === 0 });
  return { kind: 'done', message: result.message };
}

/** One undo from the tray, after asking. */
export async function runClientRemove(
  client: ImportClient,
  displayName: string,
  deps: ClientSetupDeps,
): Promise<ClientSetupOutcome> {
  const choice = await deps.choose({
    message: `Stop using mcp-supervisor from ${displayName}?`,
    detail: `Restores ${displayName}'s config as it was before setup (servers moved out go back in; if you edited the file since, only our entry is taken out), and revokes the client key setup created.`,
    buttons: ['Remove', 'Cancel'],
  });
  if (choice !== 0) return { kind: 'cancelled' };
  return { kind: 'done', message: (await deps.setup.remove(client)).message };
}
