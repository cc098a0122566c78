/**
 * The control API's wire types: the JSON bodies its routes answer with, as the CLI, the desktop
 * app and the console read them. The supervisor's route handlers are typed against these, so a
 * change to a body shows up here first. Enumerations (server states, breaker states) travel as
 * strings: a client meets values it does not know yet and must show them, not fail.
 */

/** One row of `GET /api/status` (and of a server action's answer). */
export interface ServerStatus {
  name: string;
  /** `stdio`, `http` or `remote`. */
  kind: string;
  /**
   * `installing` (a package runner such as `npx -y` fetching the server), `starting`, `online`,
   * `restarting`, `errored` (down until started: a failed first start or a crash loop, with
   * `lastError`), `unavailable`, `stopping`, `stopped`.
   */
  state: string;
  /** When the server entered `state` (epoch ms): how long it has been installing, say. */
  stateChangedAt: number;
  /** 0 when no process runs. */
  pid: number;
  uptimeMs: number;
  restarts: number;
  /** CPU of the server's whole process tree (once sampled; PM2's figure for its top process before). */
  cpuPercent: number;
  rssBytes: number;
  toolCount: number;
  /** The upstream MCP session: `idle`, `connecting`, `ready`, `unavailable`, `closed`. */
  upstream: string;
  /** Result of the last MCP ping to the real server: `ok`, `failing`, `unknown`. */
  health: string;
  lastPingMs?: number;
  /** Circuit breaker (`closed`, `open`, `half-open`) and limiter state, once the server has a guard. */
  breaker?: string;
  queued?: number;
  running?: number;
  lastError?: string;
  lastExit?: { exitCode: number | null; signal: string | null; at: number };
}

/** `GET /api/status`. */
export interface StatusBody {
  supervisor: {
    pid: number;
    version: string;
    startedAt: number;
    uptimeMs: number;
    configFile: string | null;
  };
  servers: ServerStatus[];
  /** Present when `supervisor.cluster` is configured. */
  cluster?: ClusterStatus;
}

/** A supervisor seen in the cluster (by the last heartbeat). */
export interface ClusterMember {
  /** Unique per running supervisor: `<hostLabel>:<pid>:<random>`. */
  id: string;
  /** Its `hostLabel` (its metrics' `host` label). */
  host: string;
  pid: number;
  startedAt: number;
  /** Redis time of its last heartbeat, ms since the epoch. */
  lastSeenAt: number;
}

/** One server's limits in the cluster, as this supervisor sees them. */
export interface ClusterServerStatus {
  /** `clustered` (shared limits), `local` (this host's share alone) or `refuse`. */
  mode: string;
  /** The Bottleneck id of the shared server limiter (its Redis keys are `b_<id>_*`). */
  limiterId: string;
  membersSeen: number;
  /** What this host enforces alone in `local` mode. */
  localShare: {
    maxConcurrent: number;
    requestsPerMinute?: number;
    burst?: number;
    queueSize: number;
    requestTimeoutMs: number;
    perClientConcurrent: number;
  };
  /** Requests of this host waiting for a shared token or slot (not started yet). */
  sharedWaiting: number;
  /** Requests that took the local or refusing path because Redis was unavailable. */
  fallbackRequests: number;
  /** Requests that were waiting for a shared slot when Redis went away, and were moved. */
  movedRequests: number;
  /** Times the shared limiters were built again after their initialisation failed. */
  rebuilds: number;
  /** Shared slots freed after outages that this host held in Redis for no request. */
  reclaimedSlots: number;
}

/** `GET /api/status`'s `cluster`: the Redis connection, the members, and each clustered server. */
export interface ClusterStatus {
  clusterId: string;
  /** This supervisor's `hostLabel`. */
  host: string;
  memberId: string;
  /** The Redis URL with its password hidden. */
  redis: string;
  /** `connected`, `degraded` (a call failed or was slow) or `down`. */
  state: string;
  /** When the state last changed, ms since the epoch. */
  stateSince: number;
  /** The members of the last successful heartbeat (this one included); empty before the first. */
  members: ClusterMember[];
  /** Members counted for the local shares: at least 1 (this supervisor). */
  membersSeen: number;
  /** `local` or `refuse`: what happens while Redis is unavailable. */
  onUnavailable: string;
  /** Whether requests are limited locally or refused right now (state is not `connected`). */
  isFallbackActive: boolean;
  /** Successful reconnects since start. */
  reconnects: number;
  lastError?: string;
  lastHeartbeatAt?: number;
  /** Key changes received from other members, and messages rejected as malformed. */
  keyEvents?: { received: number; rejected: number };
  servers: Record<string, ClusterServerStatus>;
}

/** A client key as the gateway checks it. */
export interface ClientKeyInfo {
  id: string;
  name: string;
  /** Servers the key may reach; `null` = all. */
  servers: string[] | null;
}

/** One row of `GET /api/keys` (never the token). */
export interface ClientKeyRow extends ClientKeyInfo {
  createdAt: number;
  revokedAt: number | null;
  lastUsedAt: number | null;
  /** The first characters of the key, to tell keys apart in a list; never enough to use it. */
  prefix: string;
}

/** `GET /api/metrics/summary`: per server over the window, and the latest host sample. */
export interface MetricsSummary {
  from: number;
  to: number;
  servers: ServerSummary[];
  host: HostSample | null;
  /** Raw request events dropped by the recorder's full buffer (the rollups kept their counts). */
  droppedEvents: number;
}

/** One row of `mcp-supervisor metrics`: a server's requests over a window, and its usage now. */
export interface ServerSummary {
  server: string;
  requests: number;
  errors: number;
  refused: number;
  /** Interpolated inside their histogram bucket (see store/histogram.ts); null without served requests. */
  p50Ms: number | null;
  p95Ms: number | null;
  p99Ms: number | null;
  /** Of the running process tree; null when it is not running (or not sampled yet). */
  cpuPercent: number | null;
  rssBytes: number | null;
}

/** One alert of `GET /api/alerts`, and the `alert` of an `alert` event on `GET /api/events`. */
export interface AlertRow {
  id: number;
  /** `${rule}:${subject}`. */
  key: string;
  rule: string;
  /** `host` or a server's name. */
  subject: string;
  /** `info`, `warning` or `critical`. */
  severity: string;
  message: string;
  value: number;
  threshold: number;
  firedAt: number;
  lastSeenAt: number;
  /** When the last notification was sent. */
  notifiedAt: number;
  resolvedAt: number | null;
  suppressedCount: number;
  /** Times the incident cleared and came back inside its cooldown (absent from an older supervisor). */
  refiredCount?: number;
  /** What its last notification said: `fired` on a resolved alert means the resolution is still to tell. */
  notifiedState?: string;
  acknowledgedAt: number | null;
}

/** One server lifecycle event of `GET /api/events/history`. */
export interface EventRow {
  ts: number;
  server: string;
  kind: string;
  exitCode?: number | null;
  detail?: Record<string, unknown> | null;
}

/** Names of the events on `GET /api/events` (SSE): server lifecycle, config reloads, alerts. */
export type ControlEventName = 'server' | 'config' | 'alert';

/** A host sample of the monitor (the latest one in `GET /api/metrics/summary`). */
export interface HostSample {
  ts: number;
  cpuPercent: number;
  memPercent: number;
  load1: number;
  load5: number;
  load15: number;
  loadPerCore: number;
}

/** What a reload changed: `POST /api/reload`'s `result`, a `config` event's `diff`, a config check. */
export interface ConfigDiff {
  added: string[];
  removed: string[];
  changed: string[];
  unchanged: string[];
  /** Settings outside `mcpServers` that differ (applied live where possible, else reported). */
  supervisorChanged: boolean;
}

/** `GET /api/config`: the config editor's file and the running config. */
export interface ConfigView {
  /** Where an applied config is written (the home's config.json when running the default). */
  file: string;
  /** True when no file exists yet and the running config is the built-in default. */
  isDefault: boolean;
  /** The file's text with secrets masked, or null when it does not parse. */
  text: string | null;
  form: 'exact' | 'reformatted';
  problem?: string;
  /** The running config after validation and defaults, secrets masked. */
  running: unknown;
  /** Identifies the file's text as shown; `apply` refuses when the file changed since. */
  revision: string;
}

/** `POST /api/config/check` and `/apply`: what would change (or changed), or the problems. */
export type ConfigCheck = { ok: true; diff: ConfigDiff } | { ok: false; problems: string[] };

/** One row of `GET /api/requests`: a raw request as the gateway recorded it. */
export interface RequestRow {
  /** The row's id (SQLite rowid): with `ts`, the cursor of the next page. */
  id: number;
  /** Completion time, ms since the epoch. */
  ts: number;
  server: string;
  method: string;
  tool: string | null;
  /** Client key id (or the session's id when the gateway runs without keys). */
  client: string | null;
  /** `ok`, `error` or `refused`. */
  status: string;
  latencyMs: number;
  /** A refusal's reason (`queue_full`, `timeout`, …), `tool_error`, a JSON-RPC code as text, or `internal`. */
  errorCode: string | null;
  /** The message the client got with an error or a refusal. */
  reason: string | null;
  /** Captured arguments and result (redacted, bounded JSON), when `supervisor.capture.payloads` is on. */
  params: string | null;
  result: string | null;
}

/** `GET /api/requests`: a page, newest first; `next` is the `before=` cursor of the next one. */
export interface RequestPage {
  rows: RequestRow[];
  next: string | null;
}

/** One moment of `GET /api/timeline`, newest first. */
export interface TimelineEntry {
  ts: number;
  /** `server` (lifecycle), `alert` or `reload`. */
  category: string;
  /** A lifecycle kind (`start`, `exit`, …), `alert.fired`, `alert.resolved`, `alert.acknowledged`, `reload`. */
  type: string;
  /** The server it concerns; null for the host or the whole supervisor (reloads). */
  server: string | null;
  /** `info`, `warning` or `critical`. */
  severity: string;
  /** Alert rows: the alert's id, key, message, value, threshold, repeats. Events: their detail. */
  detail: Record<string, unknown> | null;
  exitCode: number | null;
}

/** A point of `GET /api/metrics/series` (and the whole window, for the summary's totals). */
export interface RequestSeriesPoint {
  /** Start of the step, ms since the epoch. */
  ts: number;
  count: number;
  errors: number;
  refused: number;
  /** Percentiles are interpolated inside their histogram bucket (see store/histogram.ts); null for a step without served requests. */
  p50Ms: number | null;
  p95Ms: number | null;
  p99Ms: number | null;
}

/** A point of `GET /api/metrics/host`. */
export interface HostSeriesPoint {
  ts: number;
  /** Averages over the step; null for a step without samples. */
  cpuPercent: number | null;
  memPercent: number | null;
  load1: number | null;
  load5: number | null;
  load15: number | null;
  loadPerCore: number | null;
}

/** A point of `GET /api/metrics/process`: one server's process tree. */
export interface ProcessSeriesPoint {
  ts: number;
  /** Average over the step. */
  cpuPercent: number | null;
  /** Maximum over the step. */
  rssBytes: number | null;
  restarts: number | null;
}
