import type { StatusRow } from '../api/types.ts';
import { isStale, pendingActions, serverAction } from '../state/app-state.ts';

export type Action = 'start' | 'stop' | 'restart';

const PROGRESS: Record<Action, string> = { start: 'Starting…', stop: 'Stopping…', restart: 'Restarting…' };
const LABEL: Record<Action, string> = { start: 'Start', stop: 'Stop', restart: 'Restart' };

/** Which buttons a state offers: a running server stops or restarts, a stopped one starts. */
export function actionsFor(row: StatusRow): Action[] {
  if (row.state === 'stopped' || row.state === 'errored') return ['start'];
  if (row.state === 'stopping') return [];
  return ['stop', 'restart'];
}

/**
 * Start / Stop / Restart with visible progress: the clicked button says "Restarting…" and is
 * busy until the supervisor answers; all are disabled while one runs or the data is stale.
 */
export function ServerActionButtons(props: { name: string; actions: readonly Action[] }) {
  const pending = pendingActions.value.get(props.name);
  const isDisabled = isStale.value || pending !== undefined;
  const shown =
    pending && !props.actions.includes(pending as Action)
      ? [...props.actions, pending as Action]
      : props.actions;
  return (
    <>
      {shown.map((action) => (
        <button
          key={action}
          type="button"
          class={action === 'stop' ? 'danger' : undefined}
          disabled={isDisabled}
          aria-busy={pending === action}
          aria-label={`${LABEL[action]} ${props.name}`}
          onClick={() => void serverAction(props.name, action)}
        >
          {pending === action ? PROGRESS[action] : LABEL[action]}
        </button>
      ))}
    </>
  );
}
