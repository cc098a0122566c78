import { useEffect, useState } from 'preact/hooks';
import type { ConfigView as ConfigBody, ConfigCheck } from '../api/types.ts';
import { ErrorBanner, ViewHead } from '../components/common.tsx';
import { usePoll } from '../components/hooks.ts';
import { describeDiff } from '../lib/words.ts';
import { getApi, isStale, refreshSoon } from '../state/app-state.ts';

type Outcome =
  | { kind: 'problems'; problems: string[] }
  | { kind: 'valid'; text: string }
  | { kind: 'applied'; text: string }
  | { kind: 'error'; text: string };

/**
 * The running config: the file's text with secrets masked, edited in place, validated with the
 * schema's own messages, applied as a reload that says what it added, changed and removed.
 */
export function ConfigView() {
  const config = usePoll((signal) => getApi().get<ConfigBody>('/api/config', { signal }), []);
  const [text, setText] = useState<string | null>(null);
  const [outcome, setOutcome] = useState<Outcome | null>(null);
  const [busy, setBusy] = useState<'check' | 'apply' | null>(null);
  const loaded = config.data;
  useEffect(() => {
    if (loaded && text === null) setText(loaded.text ?? '');
  }, [loaded]);
  const isDirty = loaded !== null && text !== null && text !== (loaded.text ?? '');

  const send = async (apply: boolean) => {
    if (text === null) return;
    setBusy(apply ? 'apply' : 'check');
    setOutcome(null);
    try {
      const path = apply
        ? `/api/config/apply?revision=${encodeURIComponent(loaded?.revision ?? '')}`
        : '/api/config/check';
      const result = await getApi().post<ConfigCheck>(path, text, {
        acceptStatuses: [422],
        timeoutMs: 120_000,
      });
      if (!result.ok) setOutcome({ kind: 'problems', problems: result.problems });
      else if (apply) {
        setOutcome({ kind: 'applied', text: `Applied: ${describeDiff(result.diff)}.` });
        setText(null);
        config.reload();
        refreshSoon(0);
      } else setOutcome({ kind: 'valid', text: `Valid. Applying it would: ${describeDiff(result.diff)}.` });
    } catch (e) {
      setOutcome({ kind: 'error', text: (e as Error).message });
    } finally {
      setBusy(null);
    }
  };

  return (
    <div>
      <ViewHead title="Config">
        <button
          type="button"
          onClick={() => void send(false)}
          disabled={busy !== null || text === null || isStale.value}
          aria-busy={busy === 'check'}
        >
          {busy === 'check' ? 'Validating…' : 'Validate'}
        </button>
        <button
          type="button"
          class="primary"
          onClick={() => void send(true)}
          disabled={busy !== null || text === null || isStale.value}
          aria-busy={busy === 'apply'}
        >
          {busy === 'apply' ? 'Applying…' : 'Apply (reload)'}
        </button>
        <button
          type="button"
          disabled={busy !== null}
          onClick={() => {
            // Reads the file again: it may have changed on disk meanwhile.
            setText(null);
            setOutcome(null);
            config.reload();
          }}
        >
          Revert
        </button>
      </ViewHead>
      <ErrorBanner message={config.error} />
      {loaded?.problem ? <ErrorBanner message={loaded.problem} /> : null}
      {outcome?.kind === 'problems' ? (
        <div class="banner tone-bad" role="alert">
          <div>
            <p>
              <strong>The config is invalid; nothing was changed.</strong>
            </p>
            <ul class="problems" aria-label="Config problems">
              {outcome.problems.map((problem) => (
                <li key={problem}>{problem}</li>
              ))}
            </ul>
          </div>
        </div>
      ) : null}
      {outcome && outcome.kind !== 'problems' ? (
        <div
          class={`banner tone-${outcome.kind === 'error' ? 'bad' : 'ok'}`}
          role={outcome.kind === 'error' ? 'alert' : 'status'}
        >
          <p>{outcome.text}</p>
        </div>
      ) : null}
      {loaded ? (
        <div class="panel">
          <label for="config-text">
            <strong>{loaded.isDefault ? 'Built-in default config' : 'Config file'}</strong>{' '}
            <code>{loaded.file}</code>
            {isDirty ? <span class="muted"> — unsaved changes</span> : null}
          </label>
          <p class="muted">
            Secrets (env and header values, URL passwords, token arguments) show as ••••••; leave them as they
            are to keep them, or type a new value.
            {loaded.isDefault ? ' Applying writes this file and runs it.' : ''}
            {loaded.form === 'reformatted'
              ? ' The file is JSON5: it is shown, and saved, as plain JSON (comments are not kept).'
              : ''}
          </p>
          <textarea
            id="config-text"
            class="code"
            spellcheck={false}
            value={text ?? ''}
            onInput={(e) => {
              setText((e.target as HTMLTextAreaElement).value);
              setOutcome(null);
            }}
          />
        </div>
      ) : (
        <p class="muted">Loading…</p>
      )}
      {loaded ? (
        <details class="panel">
          <summary>Running config, as validated with its defaults (secrets masked)</summary>
          <pre class="code">{JSON.stringify(loaded.running, null, 2)}</pre>
        </details>
      ) : null}
    </div>
  );
}
