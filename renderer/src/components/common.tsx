import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { formatDateTime, formatRelative } from '../lib/format.ts';
import type { ChartWindow } from '../lib/series.ts';
import { WINDOWS } from '../lib/series.ts';
import type { Tone } from '../lib/state-reason.ts';
import { notify } from '../state/app-state.ts';

export function Badge(props: { tone: Tone; children: ComponentChildren; label?: string }) {
  return (
    <span class={`badge tone-${props.tone}`} {...(props.label ? { 'aria-label': props.label } : {})}>
      {props.children}
    </span>
  );
}

/** A failure in words, announced to screen readers. */
export function ErrorBanner(props: { message: string | null; title?: string }) {
  if (!props.message) return null;
  return (
    <div class="banner tone-bad" role="alert">
      <p>
        {props.title ? <strong>{props.title}: </strong> : null}
        {props.message}
      </p>
    </div>
  );
}

/** A row's own failure (an action on that row that failed), announced to screen readers. */
export function RowError(props: { message: string | null | undefined }) {
  if (!props.message) return null;
  return (
    <p class="reason tone-bad" role="alert">
      {props.message}
    </p>
  );
}

/** A column of a `DataTable`: its heading, and whether it holds numbers (right-aligned). */
export type TableColumn = readonly [label: string, isNumeric?: boolean];

/**
 * A table of live rows that scrolls sideways on its own. With `empty` set, its one row says so
 * (across every column) in place of `children`.
 */
export function DataTable(props: {
  label: string;
  columns: readonly TableColumn[];
  empty?: ComponentChildren;
  children?: ComponentChildren;
}) {
  return (
    <div class="table-wrap live-data">
      <table aria-label={props.label}>
        <thead>
          <tr>
            {props.columns.map(([label, isNumeric]) => (
              <th key={label} scope="col" class={isNumeric ? 'num' : undefined}>
                {label}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {props.empty !== undefined ? (
            <tr>
              <td colSpan={props.columns.length} class="muted">
                {props.empty}
              </td>
            </tr>
          ) : (
            props.children
          )}
        </tbody>
      </table>
    </div>
  );
}

export function ViewHead(props: { title: string; children?: ComponentChildren }) {
  return (
    <div class="view-head">
      <h2>{props.title}</h2>
      {props.children ? <div class="actions">{props.children}</div> : null}
    </div>
  );
}

/** A time with its relative form as tooltip-free text a screen reader reads in full. */
export function When(props: { ts: number | null; now: number }) {
  if (props.ts === null) return <span class="when">—</span>;
  return (
    <time class="when" dateTime={new Date(props.ts).toISOString()} title={formatDateTime(props.ts)}>
      {formatRelative(props.ts, props.now)}
    </time>
  );
}

/**
 * Copies `text` and says so beside the button (a status, so a screen reader hears it). The
 * button's text never changes, and its accessible name (`label`, else its text) starts with
 * that text: a name that differs from what is seen is what voice control cannot click.
 * Falls back to a notice when the clipboard is not allowed.
 */
export function CopyButton(props: { text: string; label?: string; children?: ComponentChildren }) {
  const [isCopied, setCopied] = useState(false);
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  // One button may copy other text (the connect dialog's tabs): "Copied" is about this text only,
  // and an earlier copy's timer must not end a later one's "Copied".
  useEffect(() => {
    setCopied(false);
    return () => clearTimeout(timer.current);
  }, [props.text]);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(props.text);
      clearTimeout(timer.current);
      setCopied(true);
      timer.current = setTimeout(() => setCopied(false), 2_000);
    } catch {
      notify('warn', 'The browser did not allow copying; select the text and copy it by hand.');
    }
  };
  return (
    <>
      <button type="button" aria-label={props.label} onClick={copy}>
        {props.children ?? 'Copy'}
      </button>
      <span role="status" class="copy-status muted">
        {isCopied ? 'Copied' : ''}
      </span>
    </>
  );
}

/** A labelled checkbox bound to a boolean. */
export function Check(props: { label: string; checked: boolean; onChange: (checked: boolean) => void }) {
  return (
    <label class="check">
      <input
        type="checkbox"
        checked={props.checked}
        onChange={(e) => props.onChange((e.target as HTMLInputElement).checked)}
      />
      {props.label}
    </label>
  );
}

/** 15 m / 1 h / 24 h / 7 d, as a group of toggle buttons. */
export function WindowPicker(props: { value: ChartWindow; onChange: (value: ChartWindow) => void }) {
  return (
    <fieldset class="segmented">
      <legend class="visually-hidden">Time window</legend>
      {WINDOWS.map((window) => (
        <button
          key={window}
          type="button"
          aria-pressed={props.value === window}
          onClick={() => props.onChange(window)}
        >
          {window}
        </button>
      ))}
    </fieldset>
  );
}

/** Triggers a download of `text` as a file. */
export function download(name: string, text: string, type: string): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
