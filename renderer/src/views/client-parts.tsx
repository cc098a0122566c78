import { useState } from 'preact/hooks';
import type { ImportPreview, SetupPreview } from '../api/types.ts';
import { Badge, Check } from '../components/common.tsx';
import { describeAction } from '../lib/client-words.ts';
import { describeState } from '../lib/state-reason.ts';
import { status } from '../state/app-state.ts';

/** An import plan as a table: each server of the client's file, what happens to it, and why. */
export function ImportPlanTable(props: { plan: ImportPreview; label: string }) {
  const { plan } = props;
  return (
    <section
      class="table-wrap"
      // biome-ignore lint/a11y/noNoninteractiveTabindex: at a phone's width the table scrolls sideways, which a keyboard must reach too.
      tabIndex={0}
      aria-label={`${props.label}, scrollable`}
    >
      <table aria-label={props.label}>
        <thead>
          <tr>
            <th scope="col">Server in the client</th>
            <th scope="col">Import</th>
            <th scope="col">Runs, or why not</th>
          </tr>
        </thead>
        <tbody>
          {plan.items.length === 0 ? (
            <tr>
              <td colSpan={3} class="muted">
                The file lists no MCP servers.
              </td>
            </tr>
          ) : (
            plan.items.map((item) => (
              <tr key={item.sourceName} data-action={item.action}>
                <th scope="row">{item.sourceName}</th>
                <td>
                  <Badge tone={item.action === 'skip' ? 'warn' : item.action === 'unchanged' ? 'idle' : 'ok'}>
                    {describeAction(item)}
                  </Badge>
                </td>
                <td>
                  {item.runs ? <code class="url">{item.runs}</code> : null}
                  {item.reason ? <p class="reason">{item.reason}</p> : null}
                  {item.notes.map((note) => (
                    <p key={note} class="muted">
                      {note}
                    </p>
                  ))}
                </td>
              </tr>
            ))
          )}
        </tbody>
      </table>
      {plan.notes.map((note) => (
        <p key={note} class="muted">
          {note}
        </p>
      ))}
    </section>
  );
}

/** The imported servers' states, live from the status poll: they come up after the reload. */
export function ImportedStates(props: { names: readonly string[] }) {
  const rows = status.value?.servers ?? [];
  if (props.names.length === 0) return null;
  return (
    <ul class="tool-list" aria-label="Imported servers">
      {props.names.map((name) => {
        const row = rows.find((r) => r.name === name);
        const state = row ? describeState(row) : null;
        return (
          <li key={name}>
            <a href={`#/servers/${encodeURIComponent(name)}`}>{name}</a>{' '}
            {state ? (
              <Badge tone={state.tone}>{state.label}</Badge>
            ) : (
              <span class="muted">not in the status yet</span>
            )}
          </li>
        );
      })}
    </ul>
  );
}

export interface SetupOptions {
  server: string | null;
  keyName: string;
  move: boolean;
}

/** What setup would write (a dry run): the file, the entry, the servers that move out or stay. */
export function SetupPlanView(props: { plan: SetupPreview; title: string }) {
  const { plan } = props;
  return (
    <section class="setup-plan" aria-label={`Setup plan for ${props.title}`}>
      <p>
        Would write “{plan.entryName}” into <code class="url">{plan.file}</code>
        {plan.exists ? ' (a backup is kept)' : ' (creating it)'} with a new key “{plan.keyName}” for{' '}
        {plan.server ? `server ${plan.server} only` : 'all servers'}.
      </p>
      <ul>
        {plan.move.map((m) => (
          <li key={m.name}>
            move out {m.name} (the supervisor runs it as {m.as})
          </li>
        ))}
        {plan.keep.map((k) => (
          <li key={k.name}>
            keep {k.name}: {k.reason}
          </li>
        ))}
      </ul>
      <EntryCode entry={plan.entry} />
    </section>
  );
}

/** A client entry as JSON (its key masked by the supervisor), in a box a keyboard can scroll. */
export function EntryCode(props: { entry: Record<string, unknown> }) {
  return (
    <pre
      class="code"
      // biome-ignore lint/a11y/noNoninteractiveTabindex: a long entry scrolls, which a keyboard must reach too.
      tabIndex={0}
    >
      {JSON.stringify(props.entry, null, 2)}
    </pre>
  );
}

/** Setup's options, as the CLI has them: one server or all, the key's name, moving servers out. */
export function SetupForm(props: {
  title: string;
  /** What runs now: `setup-preview`, `setup`, or another action of the panel. */
  busy: string | null;
  isDisabled: boolean;
  onSubmit: (options: SetupOptions, isDryRun: boolean) => void;
  onCancel: () => void;
}) {
  const [server, setServer] = useState('');
  const [keyName, setKeyName] = useState('');
  const [move, setMove] = useState(true);
  const servers = status.value?.servers.map((s) => s.name) ?? [];
  return (
    <form
      class="filters"
      aria-label={`Set up ${props.title}`}
      onSubmit={(e) => {
        e.preventDefault();
        props.onSubmit({ server: server || null, keyName: keyName.trim(), move }, false);
      }}
    >
      <label class="field">
        Reaches
        <select value={server} onChange={(e) => setServer((e.target as HTMLSelectElement).value)}>
          <option value="">all servers</option>
          {servers.map((name) => (
            <option key={name} value={name}>
              only {name}
            </option>
          ))}
        </select>
      </label>
      <label class="field">
        Key name (optional)
        <input
          value={keyName}
          pattern="[A-Za-z0-9_.@\-]{1,64}"
          title="1-64 characters of A-Z a-z 0-9 _ . @ -"
          onInput={(e) => setKeyName((e.target as HTMLInputElement).value)}
        />
      </label>
      <Check
        label="Move the servers the supervisor runs out of the client’s file"
        checked={move}
        onChange={setMove}
      />
      <button
        type="button"
        disabled={props.isDisabled}
        aria-busy={props.busy === 'setup-preview'}
        onClick={() => props.onSubmit({ server: server || null, keyName: keyName.trim(), move }, true)}
      >
        Preview
      </button>
      <button type="submit" class="primary" disabled={props.isDisabled} aria-busy={props.busy === 'setup'}>
        Write the entry
      </button>
      <button type="button" onClick={props.onCancel} disabled={props.busy !== null}>
        Cancel
      </button>
    </form>
  );
}
