import { useEffect, useState } from 'preact/hooks';
import type { ServerDetail, TimelineEntry } from '../api/types.ts';
import { Badge, CopyButton, ErrorBanner, When, WindowPicker } from '../components/common.tsx';
import { ConnectDialog } from '../components/connect-dialog.tsx';
import { useNow, usePoll } from '../components/hooks.ts';
import { LogViewer } from '../components/log-viewer.tsx';
import { endpointUrl } from '../lib/client-config.ts';
import { formatBytes, formatDuration, formatMs, formatPercent, NONE } from '../lib/format.ts';
import type { ChartWindow } from '../lib/series.ts';
import { describeState } from '../lib/state-reason.ts';
import { describeTimelineEntry } from '../lib/words.ts';
import {
  actionErrors,
  getApi,
  overview,
  recentServerEvents,
  status,
  stderrTails,
} from '../state/app-state.ts';
import { type LogFeed, serverLogFeed } from '../state/log-feed.ts';
import { ServerCharts } from './charts.tsx';
import { actionsFor, ServerActionButtons } from './server-actions.tsx';

function Catalog(props: { detail: ServerDetail }) {
  const { detail } = props;
  const catalog = detail.catalog;
  const hidden = detail.tools.filter((tool) => !tool.isAllowed).length;
  return (
    <section aria-labelledby="catalog-title">
      <h3 id="catalog-title">
        What it offers: {detail.tools.length} tool{detail.tools.length === 1 ? '' : 's'}
        {catalog
          ? `, ${catalog.prompts.length} prompt${catalog.prompts.length === 1 ? '' : 's'}, ${catalog.resources.length} resource${catalog.resources.length === 1 ? '' : 's'}`
          : ''}
      </h3>
      {hidden > 0 ? (
        <p class="muted">{hidden} tool(s) hidden from clients by this server's tools allow/deny list.</p>
      ) : null}
      {catalog?.problems.map((problem) => (
        <p key={problem} class="reason tone-warn">
          Could not list {problem}
        </p>
      ))}
      {detail.tools.length > 0 ? (
        <>
          <h4>Tools</h4>
          <ul class="list tool-list" aria-label="Tools">
            {detail.tools.map((tool) => (
              <li key={tool.name}>
                <code>{tool.name}</code> {tool.isAllowed ? null : <span class="tag">hidden by filter</span>}
                {tool.description ? <div class="muted">{tool.description}</div> : null}
              </li>
            ))}
          </ul>
        </>
      ) : null}
      {catalog && catalog.prompts.length > 0 ? (
        <>
          <h4>Prompts</h4>
          <ul class="list tool-list" aria-label="Prompts">
            {catalog.prompts.map((prompt) => (
              <li key={prompt.name}>
                <code>{prompt.name}</code>
                {prompt.arguments?.length ? (
                  <span class="muted"> ({prompt.arguments.map((a) => a.name).join(', ')})</span>
                ) : null}
                {prompt.description ? <div class="muted">{prompt.description}</div> : null}
              </li>
            ))}
          </ul>
        </>
      ) : null}
      {catalog && catalog.resources.length + catalog.resourceTemplates.length > 0 ? (
        <>
          <h4>Resources</h4>
          <ul class="list tool-list" aria-label="Resources">
            {catalog.resources.map((resource) => (
              <li key={resource.uri}>
                <code>{resource.uri}</code>{' '}
                {resource.mimeType ? <span class="tag">{resource.mimeType}</span> : null}
                {resource.description ? <div class="muted">{resource.description}</div> : null}
              </li>
            ))}
            {catalog.resourceTemplates.map((template) => (
              <li key={template.uriTemplate}>
                <code>{template.uriTemplate}</code> <span class="tag">template</span>
                {template.description ? <div class="muted">{template.description}</div> : null}
              </li>
            ))}
          </ul>
        </>
      ) : null}
      {!catalog && detail.state !== 'online' ? (
        <p class="muted">Prompts and resources are listed while the server is online.</p>
      ) : null}
    </section>
  );
}

function Lifecycle(props: { server: string }) {
  const now = useNow(5_000);
  const live = recentServerEvents.value.filter((e) => e.server === props.server).length;
  const history = usePoll(
    (signal) =>
      getApi().get<{ entries: TimelineEntry[] }>(
        `/api/timeline?server=${encodeURIComponent(props.server)}&category=server,alert&since=7d&limit=50`,
        { signal },
      ),
    [props.server, live],
  );
  const entries = history.data?.entries ?? [];
  return (
    <section aria-labelledby="lifecycle-title">
      <h3 id="lifecycle-title">Lifecycle and alerts (7 days)</h3>
      <ErrorBanner message={history.error} />
      {entries.length === 0 ? (
        <p class="muted">Nothing recorded yet.</p>
      ) : (
        <ul class="list" aria-label="Lifecycle events">
          {entries.slice(0, 50).map((entry, i) => {
            const text = describeTimelineEntry(entry);
            return (
              <li key={`${entry.ts}-${i}`} class={`sev-${entry.severity}`}>
                <When ts={entry.ts} now={now} />
                <span class="grow">
                  {text.title}
                  {text.detail ? <span class="muted"> — {text.detail}</span> : null}
                </span>
              </li>
            );
          })}
        </ul>
      )}
      <p>
        <a href={`#/timeline?server=${encodeURIComponent(props.server)}`}>Whole timeline of {props.server}</a>
      </p>
    </section>
  );
}

/** One server: why it is in its state, its numbers over time, what it offers, its history and log. */
export function ServerDetailView(props: { name: string }) {
  const { name } = props;
  const [window, setWindow] = useState<ChartWindow>('1h');
  const [isConnectOpen, setConnectOpen] = useState(false);
  const [feed, setFeed] = useState<LogFeed | null>(null);
  const row = status.value?.servers.find((s) => s.name === name);
  const detail = usePoll(
    (signal) => getApi().get<ServerDetail>(`/api/server?name=${encodeURIComponent(name)}`, { signal }),
    [name, row?.state, row?.restarts],
  );
  useEffect(() => {
    const created = serverLogFeed(name);
    setFeed(created);
    return () => created.stop();
  }, [name]);
  const live = overview.value?.servers.find((s) => s.name === name);
  const error = actionErrors.value.get(name);
  if (status.value && !row) {
    return (
      <div>
        <h2>{name}</h2>
        <ErrorBanner message={`There is no server named "${name}" in the running config.`} />
        <a href="#/servers">All servers</a>
      </div>
    );
  }
  const state = row ? describeState(row, stderrTails.value.get(name) ?? []) : null;
  const origin = getApi().connection.baseUrl;
  const url = endpointUrl(origin, name);
  const info = detail.data;
  return (
    <div>
      <p>
        <a href="#/servers">Servers</a> /
      </p>
      <div class="view-head">
        <h2>
          {name} {state ? <Badge tone={state.tone}>{state.label}</Badge> : null}
        </h2>
        <div class="actions">
          {row ? <ServerActionButtons name={name} actions={actionsFor(row)} /> : null}
          <a class="button" href={`#/servers/${encodeURIComponent(name)}/logs`}>
            Full log
          </a>
          <a class="button" href={`#/requests?server=${encodeURIComponent(name)}`}>
            Requests
          </a>
          <button type="button" onClick={() => setConnectOpen(true)}>
            Connect a client
          </button>
        </div>
      </div>
      {state?.reason ? <p class={`reason tone-${state.tone}`}>{state.reason}</p> : null}
      {state && state.evidence.length > 0 ? (
        <figure class="evidence-figure">
          <figcaption class="visually-hidden">Last stderr lines of {name}</figcaption>
          <pre class="evidence">{state.evidence.join('\n')}</pre>
        </figure>
      ) : null}
      <ErrorBanner message={error ?? null} />
      <ErrorBanner message={detail.error} />
      <div class="stat-grid live-data">
        <div class="stat">
          <div class="label">PID</div>
          <div class="value">{row && row.pid > 0 ? row.pid : NONE}</div>
        </div>
        <div class="stat">
          <div class="label">Uptime</div>
          <div class="value">{row?.state === 'online' ? formatDuration(row.uptimeMs) : NONE}</div>
        </div>
        <div class="stat">
          <div class="label">Restarts</div>
          <div class="value">{row?.restarts ?? NONE}</div>
        </div>
        <div class="stat">
          <div class="label">CPU (tree)</div>
          <div class="value">{row && row.pid > 0 ? formatPercent(row.cpuPercent) : NONE}</div>
        </div>
        <div class="stat">
          <div class="label">Memory (tree)</div>
          <div class="value">{row && row.pid > 0 ? formatBytes(row.rssBytes) : NONE}</div>
        </div>
        <div class="stat">
          <div class="label">p95, last minute</div>
          <div class="value">{formatMs(live?.lastMinute.p95Ms ?? null)}</div>
        </div>
        <div class="stat">
          <div class="label">Queue / running</div>
          <div class="value">{live?.limiter ? `${live.limiter.queued} / ${live.limiter.running}` : NONE}</div>
        </div>
        <div class="stat">
          <div class="label">Breaker</div>
          <div class="value">{row?.breaker ?? live?.limiter?.breaker ?? 'closed'}</div>
        </div>
      </div>
      <div class="panel">
        <dl class="kv">
          <dt>Endpoint</dt>
          <dd>
            <code class="url">{url}</code>{' '}
            <CopyButton text={url} label={`Copy the endpoint URL of ${name}`} />
          </dd>
          <dt>Kind</dt>
          <dd>{row?.kind ?? NONE}</dd>
          <dt>Server</dt>
          <dd>
            {info?.upstream.serverInfo
              ? `${info.upstream.serverInfo.name} ${info.upstream.serverInfo.version}`
              : NONE}
          </dd>
          <dt>Limits</dt>
          <dd>
            {info
              ? `${info.limits.maxConcurrent} concurrent, queue ${info.limits.queueSize}, timeout ${formatMs(info.limits.requestTimeoutMs)}${info.limits.requestsPerMinute ? `, ${info.limits.requestsPerMinute}/min (burst ${info.limits.burst ?? NONE})` : ''}`
              : NONE}
          </dd>
          {info?.upstream.instructions ? (
            <>
              <dt>Instructions</dt>
              <dd>{info.upstream.instructions}</dd>
            </>
          ) : null}
        </dl>
      </div>
      <div class="view-head">
        <h3>Over time</h3>
        <WindowPicker value={window} onChange={setWindow} />
      </div>
      <ServerCharts server={name} window={window} thresholds={overview.value?.thresholds ?? null} />
      {info ? <Catalog detail={info} /> : null}
      <Lifecycle server={name} />
      <h3>Log</h3>
      {feed ? (
        <LogViewer feed={feed} kind="server" fileStem={`${name}-log`} label={`Log of ${name}`} />
      ) : null}
      {isConnectOpen ? (
        <ConnectDialog origin={origin} server={name} onClose={() => setConnectOpen(false)} />
      ) : null}
    </div>
  );
}
