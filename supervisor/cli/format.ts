import type {
  AlertRow,
  ClientKeyRow,
  ClusterStatus,
  EventRow,
  MetricsSummary,
  ServerStatus,
} from '../client/wire-types.ts';

/**
 * Everything the CLI prints goes through this module: `print` and `printError` are the only
 * writers to stdout and stderr, and the tables and lines are built here, so a command only
 * decides what to show.
 */

/** One value on stdout: a string as a line, anything else as indented JSON. */
export function print(value: unknown): void {
  process.stdout.write(typeof value === 'string' ? `${value}\n` : `${JSON.stringify(value, null, 2)}\n`);
}

/** One line on stderr, prefixed with the program's (and the command's) name. */
export function printError(message: string, command?: string): void {
  process.stderr.write(`mcp-supervisor${command ? ` ${command}` : ''}: ${message}\n`);
}

/** A progress line on stderr (stdout stays the command's answer, one JSON document with `--json`). */
export function printProgress(message: string): void {
  process.stderr.write(`${message}\n`);
}

export function formatDuration(ms: number): string {
  if (ms <= 0) return '-';
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${s % 60}s`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h}h${m % 60}m`;
  return `${Math.floor(h / 24)}d${h % 24}h`;
}

export function formatBytes(bytes: number): string {
  if (bytes <= 0) return '-';
  const units = ['B', 'KiB', 'MiB', 'GiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(value >= 100 || unit === 0 ? 0 : 1)} ${units[unit]}`;
}

/** Left-aligned columns, widths from the widest cell. */
export function formatTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => cell.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

/** States on the way up (or down): the status shows for how long. */
const TRANSITIONAL_STATES = new Set(['installing', 'starting', 'restarting', 'stopping']);

export function formatStatusTable(servers: ServerStatus[], now = Date.now()): string {
  if (servers.length === 0) return 'no servers configured';
  return formatTable(
    ['NAME', 'STATE', 'PID', 'UPTIME', 'RESTARTS', 'CPU', 'RSS', 'TOOLS', 'NOTE'],
    servers.map((s) => [
      s.name,
      TRANSITIONAL_STATES.has(s.state) && s.stateChangedAt > 0
        ? `${s.state} ${formatDuration(Math.max(1000, now - s.stateChangedAt))}`
        : s.state,
      s.pid > 0 ? String(s.pid) : '-',
      formatDuration(s.uptimeMs),
      String(s.restarts),
      s.pid > 0 ? `${s.cpuPercent.toFixed(1)}%` : '-',
      formatBytes(s.rssBytes),
      String(s.toolCount),
      s.lastError ? s.lastError.slice(0, 100) : '',
    ]),
  );
}

/**
 * The cluster under the status table: the connection and the members, what happens while Redis
 * is unavailable, and one line per server whose requests went the fallback way.
 */
export function formatClusterStatus(cluster: ClusterStatus, now = Date.now()): string {
  const members = cluster.members.map((member) => member.host).join(', ');
  const since = formatDuration(now - cluster.stateSince);
  const lines = [
    `cluster ${cluster.clusterId} (${cluster.redis}) as ${cluster.host}: ${cluster.state} for ${since}, ` +
      `${cluster.membersSeen} member${cluster.membersSeen === 1 ? '' : 's'} seen${members ? ` (${members})` : ''}`,
  ];
  if (cluster.isFallbackActive) {
    lines.push(
      cluster.onUnavailable === 'local'
        ? `  fallback active: each supervisor enforces its share of the limits alone (1/${cluster.membersSeen})`
        : '  fallback active: requests to clustered servers are refused (onUnavailable "refuse")',
    );
    if (cluster.lastError) lines.push(`  last error: ${cluster.lastError}`);
  }
  for (const [name, server] of Object.entries(cluster.servers)) {
    if (server.fallbackRequests + server.movedRequests === 0 && server.mode === 'clustered') continue;
    lines.push(
      `  ${name}: ${server.mode}, ${server.fallbackRequests} request(s) by the fallback, ${server.movedRequests} moved off Redis`,
    );
  }
  return lines.join('\n');
}

function ms(value: number | null): string {
  return value === null ? '-' : value < 10 ? value.toFixed(1) : String(Math.round(value));
}

/** Percentiles are estimates interpolated inside their histogram bucket (within ~19 %, usually far closer). */
export function formatMetricsTable(summary: MetricsSummary, since: string): string {
  const lines: string[] = [];
  if (summary.host) {
    const h = summary.host;
    lines.push(
      `host: CPU ${h.cpuPercent.toFixed(1)}%  memory ${h.memPercent.toFixed(1)}%  load ${h.load1.toFixed(2)} ${h.load5.toFixed(2)} ${h.load15.toFixed(2)}`,
      '',
    );
  }
  lines.push(
    formatTable(
      [
        'SERVER',
        `REQUESTS (${since})`,
        'ERRORS',
        'REFUSED',
        'ERR%',
        'P50 ms',
        'P95 ms',
        'P99 ms',
        'CPU',
        'RSS',
      ],
      summary.servers.map((s) => [
        s.server,
        String(s.requests),
        String(s.errors),
        String(s.refused),
        s.requests > 0 ? `${((100 * s.errors) / s.requests).toFixed(1)}%` : '-',
        ms(s.p50Ms),
        ms(s.p95Ms),
        ms(s.p99Ms),
        s.cpuPercent === null ? '-' : `${s.cpuPercent.toFixed(1)}%`,
        s.rssBytes === null ? '-' : formatBytes(s.rssBytes),
      ]),
    ),
  );
  if (summary.droppedEvents > 0)
    lines.push('', `${summary.droppedEvents} raw request events dropped (rollups are complete)`);
  return lines.join('\n');
}

export function formatAlertsTable(alerts: AlertRow[]): string {
  if (alerts.length === 0) return 'no alerts';
  return formatTable(
    ['ID', 'SEVERITY', 'ALERT', 'VALUE', 'FIRED', 'STATE', 'REPEATS', 'FLAPS', 'MESSAGE'],
    alerts.map((a) => [
      String(a.id),
      a.severity,
      a.key,
      `${Number(a.value.toFixed(2))}/${a.threshold}`,
      new Date(a.firedAt).toISOString(),
      a.resolvedAt ? 'resolved' : a.acknowledgedAt ? 'acked' : 'firing',
      String(a.suppressedCount),
      String(a.refiredCount ?? 0),
      a.message,
    ]),
  );
}

export function formatKeysTable(keys: readonly ClientKeyRow[]): string {
  if (keys.length === 0) return 'no client keys; create one with: mcp-supervisor keys create NAME';
  return formatTable(
    ['NAME', 'ID', 'PREFIX', 'SERVERS', 'CREATED', 'STATE'],
    keys.map((k) => [
      k.name,
      k.id,
      `${k.prefix}…`,
      k.servers ? k.servers.join(',') : 'all',
      new Date(k.createdAt).toISOString(),
      k.revokedAt ? 'revoked' : 'active',
    ]),
  );
}

export function formatEventsTable(events: readonly EventRow[], since: string): string {
  if (events.length === 0) return `no server events in the last ${since}`;
  return formatTable(
    ['TIME', 'SERVER', 'EVENT', 'EXIT', 'DETAIL'],
    events.map((e) => [
      new Date(e.ts).toISOString(),
      e.server,
      e.kind,
      e.exitCode === null || e.exitCode === undefined ? '' : String(e.exitCode),
      e.detail ? JSON.stringify(e.detail).slice(0, 60) : '',
    ]),
  );
}

/** One line per alert event of `alerts --follow`. */
export function formatAlertEvent(type: string, alert: AlertRow, at: Date = new Date()): string {
  return `${at.toISOString()}  ${type === 'alert.fired' ? 'FIRED   ' : 'RESOLVED'}  ${alert.key}  ${alert.message}`;
}

/** `reloaded: added a; restarted b; stopped c`, or `config unchanged`. */
/** What `POST /api/reload` answers with, as far as the CLI shows it. */
export interface ReloadResult {
  added?: string[];
  removed?: string[];
  changed?: string[];
  /** `name → state` of the added and changed servers. */
  states?: Record<string, string>;
  /** Set when this reload found the file applied already, by an earlier reload. */
  alreadyApplied?: ReloadResult & { trigger: string; at: number };
}

const TRIGGER_NAMES: Record<string, string> = {
  file: 'the config file watcher',
  signal: 'SIGHUP',
  cli: 'mcp-supervisor reload',
  app: 'the tray app',
  console: 'the console',
  api: 'a control API client',
};

/**
 * `reloaded: added a (installing); restarted b (starting); stopped c`, or, when an earlier reload
 * had applied the file already, `already applied by the config file watcher 2s ago: …`, or
 * `config unchanged`.
 */
export function formatReload(result: ReloadResult, now = Date.now()): string {
  const changes = (r: ReloadResult) => {
    const named = (names: string[] | undefined) =>
      (names ?? []).map((name) => (r.states?.[name] ? `${name} (${r.states[name]})` : name)).join(', ');
    return [
      r.added?.length ? `added ${named(r.added)}` : '',
      r.changed?.length ? `restarted ${named(r.changed)}` : '',
      r.removed?.length ? `stopped ${r.removed.join(', ')}` : '',
    ].filter(Boolean);
  };
  const own = changes(result);
  if (own.length > 0) return `reloaded: ${own.join('; ')}`;
  const before = result.alreadyApplied;
  if (before) {
    const by = TRIGGER_NAMES[before.trigger] ?? before.trigger;
    const ago = formatDuration(Math.max(1000, now - before.at));
    const what = changes(before);
    return `config unchanged since ${by} applied it ${ago} ago${what.length > 0 ? `: ${what.join('; ')}` : ''}`;
  }
  return 'config unchanged';
}

/** `ok   name: detail` / `FAIL name: detail`, one line per doctor check. */
export function formatDoctorCheck(check: { name: string; ok: boolean; detail: string }): string {
  return `${check.ok ? 'ok  ' : 'FAIL'} ${check.name}: ${check.detail}`;
}
