import type { TimelineCategory, TimelineEntry } from '../api/types.ts';
import { ErrorBanner, ViewHead } from '../components/common.tsx';
import { usePoll } from '../components/hooks.ts';
import { formatDateTime } from '../lib/format.ts';
import { describeTimelineEntry } from '../lib/words.ts';
import { firingAlerts, getApi, recentServerEvents, status } from '../state/app-state.ts';
import { setQuery } from '../state/router.ts';

const CATEGORIES: { value: TimelineCategory; label: string }[] = [
  { value: 'server', label: 'Lifecycle' },
  { value: 'alert', label: 'Alerts' },
  { value: 'reload', label: 'Reloads' },
];
const SINCE = ['1h', '24h', '7d', '30d'];

function dayOf(ts: number): string {
  return new Date(ts).toLocaleDateString(undefined, {
    weekday: 'long',
    year: 'numeric',
    month: 'long',
    day: 'numeric',
  });
}

/** One merged history of lifecycle events, alerts and reloads, from SQLite: "what happened last night". */
export function TimelineView(props: { query: URLSearchParams }) {
  const since = props.query.get('since') ?? '24h';
  const server = props.query.get('server') ?? '';
  const categories = (props.query.get('category') ?? 'server,alert,reload')
    .split(',')
    .filter(Boolean) as TimelineCategory[];
  const current = { since, server, category: categories.join(',') };
  const liveKey = `${recentServerEvents.value.length}:${firingAlerts.value.length}`;
  const timeline = usePoll(
    (signal) => {
      if (categories.length === 0) return Promise.resolve({ entries: [] as TimelineEntry[] });
      const params = new URLSearchParams({ since, category: categories.join(','), limit: '1000' });
      if (server) params.set('server', server);
      return getApi().get<{ entries: TimelineEntry[] }>(`/api/timeline?${params}`, { signal });
    },
    [since, server, categories.join(','), liveKey],
    30_000,
  );
  const entries = timeline.data?.entries ?? [];
  const servers = status.value?.servers.map((s) => s.name) ?? [];
  let lastDay = '';
  return (
    <div>
      <ViewHead title="Timeline" />
      <div class="filters">
        <label class="field">
          Since
          <select
            value={since}
            onChange={(e) => setQuery({ ...current, since: (e.target as HTMLSelectElement).value })}
          >
            {SINCE.map((value) => (
              <option key={value} value={value}>
                last {value}
              </option>
            ))}
          </select>
        </label>
        <label class="field">
          Server
          <select
            value={server}
            onChange={(e) => setQuery({ ...current, server: (e.target as HTMLSelectElement).value })}
          >
            <option value="">all servers and the host</option>
            {servers.map((name) => (
              <option key={name} value={name}>
                {name}
              </option>
            ))}
          </select>
        </label>
        <fieldset class="filters">
          <legend class="visually-hidden">Show</legend>
          {CATEGORIES.map((category) => (
            <label key={category.value} class="check">
              <input
                type="checkbox"
                checked={categories.includes(category.value)}
                onChange={(e) => {
                  const checked = (e.target as HTMLInputElement).checked;
                  const next = checked
                    ? [...categories, category.value]
                    : categories.filter((c) => c !== category.value);
                  setQuery({ ...current, category: next.join(',') });
                }}
              />
              {category.label}
            </label>
          ))}
        </fieldset>
      </div>
      <ErrorBanner message={timeline.error} />
      {entries.length === 0 ? (
        <p class="muted">
          {timeline.isLoading && !timeline.data ? 'Loading…' : 'Nothing happened in this window.'}
        </p>
      ) : (
        <ol class="list" aria-label="Timeline">
          {entries.map((entry, i) => {
            const text = describeTimelineEntry(entry);
            const day = dayOf(entry.ts);
            const heading = day !== lastDay ? day : null;
            lastDay = day;
            const alertId = typeof entry.detail?.alertId === 'number' ? entry.detail.alertId : null;
            return (
              <li key={`${entry.ts}-${entry.type}-${i}`} class={`sev-${entry.severity}`}>
                {heading ? <strong class="visually-hidden">{heading}</strong> : null}
                <time class="when" dateTime={new Date(entry.ts).toISOString()}>
                  {formatDateTime(entry.ts)}
                </time>
                <span class="tag">{entry.category === 'server' ? 'lifecycle' : entry.category}</span>
                <span class="grow">
                  {text.title}
                  {text.detail ? <span class="muted"> — {text.detail}</span> : null}
                </span>
                {alertId !== null ? <a href={`#/alerts/${alertId}`}>alert {alertId}</a> : null}
                {entry.server && entry.category !== 'alert' ? (
                  <a href={`#/servers/${encodeURIComponent(entry.server)}`}>{entry.server}</a>
                ) : null}
              </li>
            );
          })}
        </ol>
      )}
    </div>
  );
}
