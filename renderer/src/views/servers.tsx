import { useState } from 'preact/hooks';
import type { OverviewServer, StatusRow } from '../api/types.ts';
import { Badge, DataTable, RowError, type TableColumn, ViewHead } from '../components/common.tsx';
import { ConnectDialog } from '../components/connect-dialog.tsx';
import { Sparkline } from '../components/sparkline.tsx';
import {
  formatBytes,
  formatCount,
  formatDuration,
  formatMs,
  formatPercent,
  formatRate,
  NONE,
} from '../lib/format.ts';
import { describeState } from '../lib/state-reason.ts';
import { actionErrors, getApi, overview, status, stderrTails } from '../state/app-state.ts';
import { actionsFor, ServerActionButtons } from './server-actions.tsx';

function Row(props: { row: StatusRow; live: OverviewServer | undefined; onConnect: (name: string) => void }) {
  const { row, live } = props;
  const state = describeState(row, stderrTails.value.get(row.name) ?? []);
  const error = actionErrors.value.get(row.name);
  const minute = live?.lastMinute;
  const windowS = (overview.value?.windowMs ?? 60_000) / 1_000;
  const served = minute ? minute.count - minute.refused : 0;
  const errorPercent = minute && served > 0 ? (100 * minute.errors) / served : null;
  const isRunning = row.pid > 0;
  const limiter = live?.limiter;
  const href = `#/servers/${encodeURIComponent(row.name)}`;
  return (
    <tr data-server={row.name}>
      <th scope="row">
        <a class="server-name" href={href}>
          {row.name}
        </a>{' '}
        <span class="tag">{row.kind}</span>
        <div class="row-links">
          <a href={`${href}/logs`} aria-label={`Log of ${row.name}`}>
            log
          </a>
          <button
            type="button"
            class="link-button"
            onClick={() => props.onConnect(row.name)}
            aria-label={`Connect a client to ${row.name}`}
          >
            connect
          </button>
        </div>
      </th>
      <td class="state">
        <Badge tone={state.tone}>{state.label}</Badge>
        {state.reason ? <p class={`reason tone-${state.tone}`}>{state.reason}</p> : null}
        {state.evidence.length > 0 ? (
          <figure class="evidence-figure">
            <figcaption class="visually-hidden">Last stderr lines of {row.name}</figcaption>
            <pre class="evidence">{state.evidence.join('\n')}</pre>
          </figure>
        ) : null}
        <RowError message={error} />
      </td>
      <td class="num">{isRunning ? row.pid : NONE}</td>
      <td class="num">{row.state === 'online' ? formatDuration(row.uptimeMs) : NONE}</td>
      <td class="num">{row.restarts}</td>
      <td>
        <Sparkline
          kind="cpu"
          values={live?.spark.cpuPercent ?? []}
          current={isRunning ? row.cpuPercent : null}
          format={(v) => formatPercent(v)}
          label={`CPU of ${row.name}`}
        />
      </td>
      <td>
        <Sparkline
          kind="rss"
          values={live?.spark.rssBytes ?? []}
          current={isRunning ? row.rssBytes : null}
          format={formatBytes}
          label={`Memory of ${row.name}`}
        />
      </td>
      <td class="num">{minute ? formatRate(minute.count / windowS) : NONE}</td>
      <td class="num">{minute ? formatMs(minute.p95Ms) : NONE}</td>
      <td class="num">{errorPercent === null ? NONE : formatPercent(errorPercent)}</td>
      <td class="num">
        {limiter ? `${formatCount(limiter.queued)}/${formatCount(limiter.queueSize)}` : (row.queued ?? NONE)}
      </td>
      <td>{row.breaker ?? limiter?.breaker ?? 'closed'}</td>
      <td class="num">{row.toolCount}</td>
      <td>
        <div class="actions">
          <ServerActionButtons name={row.name} actions={actionsFor(row)} />
        </div>
      </td>
    </tr>
  );
}

/** The table's columns: label, and whether it holds numbers (right-aligned). */
const COLUMNS: TableColumn[] = [
  ['Server', false],
  ['State', false],
  ['PID', true],
  ['Uptime', true],
  ['Restarts', true],
  ['CPU', false],
  ['Memory', false],
  ['Req/s', true],
  ['p95', true],
  ['Errors', true],
  ['Queue', true],
  ['Breaker', false],
  ['Tools', true],
  ['Actions', false],
];

/** One row per server: state and why, process numbers with trends, live traffic, controls. */
export function ServersView() {
  const [connectTo, setConnectTo] = useState<string | null | undefined>(undefined);
  const body = status.value;
  const live = new Map((overview.value?.servers ?? []).map((s) => [s.name, s]));
  const rows = body?.servers ?? [];
  return (
    <div>
      <ViewHead title="Servers">
        <button type="button" onClick={() => setConnectTo(null)}>
          Connect a client to all servers
        </button>
      </ViewHead>
      <p class="muted">
        Requests, p95 and errors: the last minute. CPU and memory: the whole process tree, with its 15-minute
        trend.
      </p>
      {body === null ? (
        <p class="muted">Loading…</p>
      ) : rows.length === 0 ? (
        <p>
          No servers are configured. Add one on the <a href="#/config">Config</a> page.
        </p>
      ) : (
        <DataTable label="Servers" columns={COLUMNS}>
          {rows.map((row) => (
            <Row key={row.name} row={row} live={live.get(row.name)} onConnect={setConnectTo} />
          ))}
        </DataTable>
      )}
      {connectTo !== undefined ? (
        <ConnectDialog
          origin={getApi().connection.baseUrl}
          server={connectTo}
          onClose={() => setConnectTo(undefined)}
        />
      ) : null}
    </div>
  );
}
