import { useState } from 'preact/hooks';
import type {
  ClientEntry,
  ClientsBody,
  ImportAnswer,
  ImportPreview,
  RemoveAnswer,
  SetupAnswer,
  SetupPreview,
} from '../api/types.ts';
import { Badge, ErrorBanner, ViewHead } from '../components/common.tsx';
import { usePoll } from '../components/hooks.ts';
import {
  describeFileState,
  describeImportResult,
  describeRemoval,
  describeSetup,
  describeSetupResult,
  summarizePlan,
} from '../lib/client-words.ts';
import { getApi, isStale, refreshSoon } from '../state/app-state.ts';
import {
  EntryCode,
  ImportedStates,
  ImportPlanTable,
  SetupForm,
  type SetupOptions,
  SetupPlanView,
} from './client-parts.tsx';

type OnConflict = 'rename' | 'skip' | 'replace';

/** What the panel of one client shows below its summary: a plan, a form, or an outcome. */
type Pane =
  | { kind: 'none' }
  | { kind: 'preview'; plan: ImportPreview; onConflict: OnConflict }
  | { kind: 'imported'; text: string; servers: string[] }
  | { kind: 'setup'; preview?: SetupPreview }
  | { kind: 'done'; text: string; written?: Record<string, unknown> };

const TONE = { found: 'ok', missing: 'idle', malformed: 'bad' } as const;

/**
 * What names this entry's file in a request: a project's folder; the file itself when it exists
 * (it may be a variant, VS Code Insiders); else nothing, so the supervisor picks the documented
 * place and says when the client seems not installed.
 */
function locationOf(entry: ClientEntry, projectDir: string): Record<string, string> {
  if (entry.scope === 'project') return { scope: 'project', projectDir };
  return entry.fileState === 'missing' ? {} : { file: entry.file };
}

function ClientPanel(props: { entry: ClientEntry; projectDir: string; onChanged: () => void }) {
  const { entry } = props;
  const [pane, setPane] = useState<Pane>({ kind: 'none' });
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const id = `client-${entry.client}-${entry.scope}`;
  const path = `/api/clients/${entry.client}`;
  const location = locationOf(entry, props.projectDir);
  const title = `${entry.displayName}${entry.scope === 'project' ? ' (project)' : ''}`;

  const run = async (what: string, work: () => Promise<void>) => {
    setBusy(what);
    setError(null);
    try {
      await work();
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(null);
    }
  };
  const preview = (onConflict: OnConflict) =>
    run('preview', async () => {
      const answer = await getApi().post<ImportAnswer>(`${path}/import`, {
        ...location,
        onConflict,
        dryRun: true,
      });
      setPane({ kind: 'preview', plan: answer.plan, onConflict });
    });
  const apply = (plan: ImportPreview, onConflict: OnConflict) =>
    run('import', async () => {
      const answer = await getApi().post<ImportAnswer>(
        `${path}/import`,
        { ...location, onConflict, planId: plan.planId },
        { timeoutMs: 120_000 },
      );
      if (answer.dryRun) return;
      const servers = answer.plan.items.filter((i) => ['add', 'rename', 'replace'].includes(i.action));
      setPane({
        kind: 'imported',
        text: describeImportResult(answer.result),
        servers: servers.map((i) => i.name),
      });
      refreshSoon(0);
      props.onChanged();
    });
  const setUp = (options: SetupOptions, isDryRun: boolean) =>
    run(isDryRun ? 'setup-preview' : 'setup', async () => {
      const answer = await getApi().post<SetupAnswer>(`${path}/setup`, {
        ...location,
        move: options.move,
        dryRun: isDryRun,
        ...(options.server ? { server: options.server } : {}),
        ...(options.keyName ? { keyName: options.keyName } : {}),
      });
      if (answer.dryRun) {
        setPane({ kind: 'setup', preview: answer.plan });
        return;
      }
      setPane({
        kind: 'done',
        text: describeSetupResult(answer.result, entry.displayName),
        written: answer.plan.entry,
      });
      props.onChanged();
    });
  const remove = () =>
    run('remove', async () => {
      const answer = await getApi().post<RemoveAnswer>(`${path}/remove`, { file: entry.file });
      setPane({ kind: 'done', text: describeRemoval(answer) });
      props.onChanged();
    });

  const isOff = busy !== null || isStale.value;
  return (
    <section class="panel client" aria-labelledby={`${id}-title`}>
      <div class="view-head">
        <h3 id={`${id}-title`}>{title}</h3>
        <Badge tone={TONE[entry.fileState]}>{describeFileState(entry)}</Badge>
      </div>
      <p>
        <code class="url">{entry.file}</code>
      </p>
      {entry.problem ? <p class="reason tone-bad">{entry.problem}</p> : null}
      <p>{describeSetup(entry)}</p>
      {entry.importPreview ? <p class="muted">{summarizePlan(entry.importPreview)}</p> : null}
      {entry.importProblem ? <p class="reason tone-bad">Import: {entry.importProblem}</p> : null}
      <p class="actions">
        <button
          type="button"
          onClick={() => void preview('rename')}
          disabled={isOff || entry.fileState !== 'found'}
          aria-busy={busy === 'preview'}
          aria-label={`Preview import from ${title}`}
        >
          Preview import
        </button>
        {entry.setup ? (
          <button
            type="button"
            class="danger"
            onClick={() => void remove()}
            disabled={isOff}
            aria-busy={busy === 'remove'}
            aria-label={`Remove setup of ${title}`}
          >
            Remove
          </button>
        ) : (
          <button
            type="button"
            onClick={() => setPane({ kind: 'setup' })}
            disabled={isOff || entry.fileState === 'malformed'}
            aria-expanded={pane.kind === 'setup'}
            aria-label={`Set up ${title}`}
          >
            Set up…
          </button>
        )}
      </p>
      <ErrorBanner message={error} />
      {pane.kind === 'preview' ? (
        <div>
          <ImportPlanTable plan={pane.plan} label={`Import plan from ${title}`} />
          <p class="actions">
            <label class="field">
              When a name is taken
              <select
                value={pane.onConflict}
                disabled={isOff}
                onChange={(e) => void preview((e.target as HTMLSelectElement).value as OnConflict)}
              >
                <option value="rename">rename the imported server</option>
                <option value="skip">skip it</option>
                <option value="replace">replace ours</option>
              </select>
            </label>
            <button
              type="button"
              class="primary"
              onClick={() => void apply(pane.plan, pane.onConflict)}
              disabled={isOff || !pane.plan.hasChanges}
              aria-busy={busy === 'import'}
            >
              {pane.plan.hasChanges ? `Import into ${pane.plan.target.file}` : 'Nothing to import'}
            </button>
            <button type="button" onClick={() => setPane({ kind: 'none' })} disabled={busy !== null}>
              Cancel
            </button>
          </p>
        </div>
      ) : null}
      {pane.kind === 'setup' ? (
        <>
          <SetupForm
            title={title}
            busy={busy}
            isDisabled={isOff}
            onSubmit={(options, isDryRun) => void setUp(options, isDryRun)}
            onCancel={() => setPane({ kind: 'none' })}
          />
          {pane.preview ? <SetupPlanView plan={pane.preview} title={title} /> : null}
        </>
      ) : null}
      {pane.kind === 'imported' ? (
        <div class="banner tone-ok" role="status">
          <div>
            <p>{pane.text}</p>
            <ImportedStates names={pane.servers} />
          </div>
        </div>
      ) : null}
      {pane.kind === 'done' ? (
        <div class="banner tone-ok" role="status">
          <div>
            <p>{pane.text}</p>
            {pane.written ? (
              <figure class="evidence-figure">
                <figcaption>Written entry (its key masked)</figcaption>
                <EntryCode entry={pane.written} />
              </figure>
            ) : null}
          </div>
        </div>
      ) : null}
    </section>
  );
}

/**
 * MCP clients on this machine (Claude Desktop, Cursor, VS Code, Windsurf): each one's config file
 * and whether it is set up; import its servers (preview, then apply and reload) and set it up to
 * reach the supervisor (or undo that) — the CLI's `import` and `client setup|remove`.
 */
export function ClientsView() {
  const [projectDir, setProjectDir] = useState('');
  const [shownProject, setShownProject] = useState('');
  const clients = usePoll(
    (signal) =>
      getApi().get<ClientsBody>(
        `/api/clients${shownProject ? `?projectDir=${encodeURIComponent(shownProject)}` : ''}`,
        { signal },
      ),
    [shownProject],
  );
  const body = clients.data;
  return (
    <div>
      <ViewHead title="Clients">
        <button
          type="button"
          onClick={clients.reload}
          disabled={clients.isLoading}
          aria-busy={clients.isLoading}
        >
          Refresh
        </button>
      </ViewHead>
      <p class="muted">
        Import the servers an MCP client runs into the supervisor’s config
        {body ? (
          <>
            {' '}
            (<code>{body.configFile}</code>)
          </>
        ) : null}
        , then set the client up to reach them all through the supervisor. Every write keeps a backup.
      </p>
      <form
        class="panel filters"
        aria-label="Project files"
        onSubmit={(e) => {
          e.preventDefault();
          setShownProject(projectDir.trim());
        }}
      >
        <label class="field">
          Project folder (absolute path), for Cursor’s and VS Code’s project files
          <input
            value={projectDir}
            placeholder="/home/me/project"
            onInput={(e) => setProjectDir((e.target as HTMLInputElement).value)}
          />
        </label>
        <button type="submit">{projectDir.trim() ? 'Show project files' : 'Your files only'}</button>
      </form>
      <ErrorBanner message={clients.error} />
      {body ? (
        <div class="client-list live-data">
          {body.clients.map((entry) => (
            <ClientPanel
              key={`${entry.client}:${entry.file}`}
              entry={entry}
              projectDir={shownProject}
              onChanged={clients.reload}
            />
          ))}
        </div>
      ) : (
        <p class="muted">Loading…</p>
      )}
    </div>
  );
}
