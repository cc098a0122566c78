import { Fragment } from 'preact';
import { useState } from 'preact/hooks';
import type { ClientKey, RequestPage, RequestRow } from '../api/types.ts';
import {
  Check,
  DataTable,
  download,
  ErrorBanner,
  type TableColumn,
  ViewHead,
} from '../components/common.tsx';
import { usePoll } from '../components/hooks.ts';
import { type Column, exportFileName, toCsv, toJsonLines } from '../lib/export.ts';
import { formatDateTime, formatMs } from '../lib/format.ts';
import { describeOutcome } from '../lib/words.ts';
import { getApi, isStale, status } from '../state/app-state.ts';
import { setQuery } from '../state/router.ts';

const FILTERS = ['server', 'tool', 'method', 'status', 'errorCode', 'client', 'since'] as const;
type Filters = Record<(typeof FILTERS)[number], string>;
const METHODS = [
  'tools/call',
  'tools/list',
  'resources/read',
  'resources/list',
  'prompts/get',
  'prompts/list',
  'initialize',
  'ping',
  'completion/complete',
];
/** The error codes a person filters by: the refusal reasons, a failed tool call, the supervisor's own. */
const ERROR_CODES = [
  'queue_full',
  'rate_limited',
  'circuit_open',
  'timeout',
  'server_unavailable',
  'tool_error',
  'internal',
];
const EXPORT_LIMIT = 50_000;

const COLUMNS: TableColumn[] = [
  ['Time'],
  ['Client'],
  ['Server'],
  ['Method'],
  ['Tool'],
  ['Status'],
  ['Latency', true],
  ['Error / refusal'],
  ['Payload'],
];

/** Captured JSON, indented when it parses (a truncated payload is shown as stored). */
function prettyJson(text: string | null): string {
  if (text === null) return '—';
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}

function filtersOf(query: URLSearchParams): Filters {
  return Object.fromEntries(
    FILTERS.map((name) => [name, query.get(name) ?? (name === 'since' ? '1h' : '')]),
  ) as Filters;
}

function apiQuery(filters: Filters, extra: Record<string, string> = {}): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(filters)) if (value) params.set(name, value);
  for (const [name, value] of Object.entries(extra)) params.set(name, value);
  return params.toString();
}

/** The per-request log from SQLite: filters (shareable in the URL), pages of older rows, export. */
export function RequestsView(props: { query: URLSearchParams }) {
  const filters = filtersOf(props.query);
  const key = apiQuery(filters);
  const [older, setOlder] = useState<{ key: string; rows: RequestRow[]; next: string | null } | null>(null);
  const [isLive, setLive] = useState(true);
  const [exporting, setExporting] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [openId, setOpenId] = useState<number | null>(null);
  const page = usePoll(
    (signal) => getApi().get<RequestPage>(`/api/requests?${apiQuery(filters, { limit: '200' })}`, { signal }),
    [key],
    isLive ? 5_000 : null,
  );
  const facets = usePoll(
    (signal) =>
      getApi().get<{ servers: string[]; tools: { server: string; tool: string }[] }>(
        '/api/requests/facets?since=7d',
        { signal },
      ),
    [],
  );
  const keys = usePoll((signal) => getApi().get<{ keys: ClientKey[] }>('/api/keys', { signal }), []);
  const keyName = new Map((keys.data?.keys ?? []).map((k) => [k.id, k.name]));
  const clientName = (client: string | null) =>
    client === null ? '—' : (keyName.get(client) ?? `session ${client.slice(0, 8)}`);

  const olderRows = older?.key === key ? older.rows : [];
  const rows = [...(page.data?.rows ?? []), ...olderRows];
  const next = older?.key === key ? older.next : (page.data?.next ?? null);
  const servers = [
    ...new Set([...(facets.data?.servers ?? []), ...(status.value?.servers.map((s) => s.name) ?? [])]),
  ].sort();
  const tools = [
    ...new Set(
      (facets.data?.tools ?? [])
        .filter((t) => !filters.server || t.server === filters.server)
        .map((t) => t.tool),
    ),
  ].sort();

  const change = (name: keyof Filters, value: string) => {
    setOlder(null);
    setQuery({ ...filters, [name]: value, ...(name === 'server' ? { tool: '' } : {}) });
  };
  const loadOlder = async () => {
    if (!next) return;
    setLive(false);
    try {
      const more = await getApi().get<RequestPage>(
        `/api/requests?${apiQuery(filters, { limit: '500', before: next })}`,
      );
      setOlder({ key, rows: [...olderRows, ...more.rows], next: more.next });
    } catch (e) {
      setError((e as Error).message);
    }
  };
  const columns: Column<RequestRow>[] = [
    { header: 'time', value: (r) => new Date(r.ts).toISOString() },
    { header: 'client', value: (r) => clientName(r.client) },
    { header: 'client_id', value: (r) => r.client },
    { header: 'server', value: (r) => r.server },
    { header: 'method', value: (r) => r.method },
    { header: 'tool', value: (r) => r.tool },
    { header: 'status', value: (r) => r.status },
    { header: 'latency_ms', value: (r) => Math.round(r.latencyMs * 100) / 100 },
    { header: 'error_code', value: (r) => r.errorCode },
    { header: 'reason', value: (r) => r.reason },
    { header: 'params', value: (r) => r.params },
    { header: 'result', value: (r) => r.result },
  ];
  const exportAll = async (format: 'csv' | 'json') => {
    setError(null);
    const all: RequestRow[] = [];
    let cursor: string | null = null;
    try {
      do {
        setExporting(`Exporting… ${all.length} rows`);
        const more: RequestPage = await getApi().get<RequestPage>(
          `/api/requests?${apiQuery(filters, { limit: '5000', ...(cursor ? { before: cursor } : {}) })}`,
        );
        all.push(...more.rows);
        cursor = more.next;
      } while (cursor && all.length < EXPORT_LIMIT);
      const name = exportFileName('requests', format === 'csv' ? 'csv' : 'jsonl', Date.now());
      if (format === 'csv') download(name, toCsv(all, columns), 'text/csv');
      else
        download(
          name,
          toJsonLines(all.map((r) => ({ ...r, clientName: clientName(r.client) }))),
          'application/x-ndjson',
        );
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setExporting(null);
    }
  };

  const select = (name: keyof Filters, label: string, options: readonly string[], allLabel: string) => (
    <label class="field">
      {label}
      <select value={filters[name]} onChange={(e) => change(name, (e.target as HTMLSelectElement).value)}>
        <option value="">{allLabel}</option>
        {options.map((value) => (
          <option key={value} value={value}>
            {name === 'client'
              ? (keyName.get(value) ?? value)
              : name === 'errorCode'
                ? describeOutcome(value)
                : value}
          </option>
        ))}
        {filters[name] && !options.includes(filters[name]) ? (
          <option value={filters[name]}>{filters[name]}</option>
        ) : null}
      </select>
    </label>
  );

  return (
    <div>
      <ViewHead title="Requests">
        <button
          type="button"
          disabled={exporting !== null || isStale.value}
          onClick={() => void exportAll('csv')}
        >
          Export CSV
        </button>
        <button
          type="button"
          disabled={exporting !== null || isStale.value}
          onClick={() => void exportAll('json')}
        >
          Export JSON
        </button>
      </ViewHead>
      <form class="filters" aria-label="Request filters" onSubmit={(e) => e.preventDefault()}>
        <label class="field">
          Since
          <select
            value={filters.since}
            onChange={(e) => change('since', (e.target as HTMLSelectElement).value)}
          >
            {['15m', '1h', '24h', '7d'].map((value) => (
              <option key={value} value={value}>
                last {value}
              </option>
            ))}
          </select>
        </label>
        {select('server', 'Server', servers, 'all servers')}
        {select('tool', 'Tool', tools, 'all tools')}
        {select('method', 'Method', METHODS, 'all methods')}
        {select('status', 'Status', ['ok', 'error', 'refused'], 'any status')}
        {select('errorCode', 'Error or refusal', ERROR_CODES, 'any outcome')}
        {select(
          'client',
          'Client',
          (keys.data?.keys ?? []).map((k) => k.id),
          'all clients',
        )}
        <Check label="Live (newest every 5 s)" checked={isLive} onChange={setLive} />
      </form>
      {exporting ? <p role="status">{exporting}</p> : null}
      <ErrorBanner message={error ?? page.error} />
      <DataTable
        label="Requests"
        columns={COLUMNS}
        empty={
          rows.length === 0
            ? page.isLoading && !page.data
              ? 'Loading…'
              : 'No requests match these filters.'
            : undefined
        }
      >
        {rows.map((row) => {
          const hasPayload = row.params !== null || row.result !== null;
          const isOpen = openId === row.id;
          return (
            <Fragment key={row.id}>
              <tr>
                <td class="num">{formatDateTime(row.ts)}</td>
                <td>{clientName(row.client)}</td>
                <td>
                  <a href={`#/servers/${encodeURIComponent(row.server)}`}>{row.server}</a>
                </td>
                <td>{row.method}</td>
                <td>{row.tool ?? '—'}</td>
                <td class={`status-${row.status}`}>{row.status}</td>
                <td class="num">{formatMs(row.latencyMs)}</td>
                <td>
                  {describeOutcome(row.errorCode)}
                  {row.reason ? (
                    <span class="muted reason-text" title={row.reason}>
                      {row.reason}
                    </span>
                  ) : null}
                </td>
                <td>
                  {hasPayload ? (
                    <button
                      type="button"
                      class="link-button"
                      aria-expanded={isOpen}
                      aria-controls={`payload-${row.id}`}
                      onClick={() => setOpenId(isOpen ? null : row.id)}
                    >
                      {isOpen ? 'hide' : 'show'}
                    </button>
                  ) : (
                    <span class="muted">—</span>
                  )}
                </td>
              </tr>
              {isOpen ? (
                <tr id={`payload-${row.id}`}>
                  <td colSpan={COLUMNS.length}>
                    <div class="chart-grid">
                      <figure class="evidence-figure">
                        <figcaption class="muted">Arguments</figcaption>
                        <pre class="code">{prettyJson(row.params)}</pre>
                      </figure>
                      <figure class="evidence-figure">
                        <figcaption class="muted">Result</figcaption>
                        <pre class="code">{prettyJson(row.result)}</pre>
                      </figure>
                    </div>
                  </td>
                </tr>
              ) : null}
            </Fragment>
          );
        })}
      </DataTable>
      <p>
        {rows.length} row{rows.length === 1 ? '' : 's'} shown. Payloads are kept only when{' '}
        <code>supervisor.capture.payloads</code> is on (redacted, at most <code>capture.maxBytes</code> each).{' '}
        {next ? (
          <button type="button" onClick={() => void loadOlder()} disabled={isStale.value}>
            Load older
          </button>
        ) : (
          'No older rows.'
        )}
      </p>
    </div>
  );
}
