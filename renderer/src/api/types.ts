/**
 * The control API's wire types as the console reads them. Bodies the supervisor's shared wire
 * types describe (`supervisor/client/wire-types.ts`, types only: nothing of the supervisor runs
 * in the page) are imported from there; the rest mirror the README's route table.
 */
import type { ClientKeyRow, ServerStatus, StatusBody } from '../../../supervisor/client/wire-types.ts';

export type { StatusBody };

/** The states a server is shown in; a state this list does not know is shown as it comes. */
export type ServerState =
  | 'starting'
  | 'online'
  | 'restarting'
  | 'errored'
  | 'unavailable'
  | 'stopping'
  | 'stopped';

/** One row of `GET /api/status`. */
export type StatusRow = ServerStatus;

/** One row of `GET /api/keys` (never the token). */
export type ClientKey = ClientKeyRow;

export interface Thresholds {
  cpuPercent: number;
  memoryPercent: number;
  loadPerCore: number;
  responseTimeMs: number;
  errorRatePercent: number;
  queueSaturationPercent: number;
}

export interface LimiterStats {
  running: number;
  queued: number;
  maxConcurrent: number;
  effectiveConcurrent: number;
  breaker: string;
  queueSize: number;
}

/** One server of `GET /api/overview`. */
export interface OverviewServer {
  name: string;
  lastMinute: { count: number; errors: number; refused: number; p95Ms: number | null };
  limiter: LimiterStats | null;
  spark: { from: number; stepMs: number; cpuPercent: (number | null)[]; rssBytes: (number | null)[] };
  hasPrompts: boolean;
  hasResources: boolean;
}

export interface OverviewBody {
  at: number;
  windowMs: number;
  thresholds: Thresholds;
  servers: OverviewServer[];
}

export interface ToolInfo {
  name: string;
  title?: string;
  description?: string;
  inputSchema?: unknown;
  annotations?: Record<string, unknown>;
  isAllowed: boolean;
}

export interface ServerDetail {
  name: string;
  kind: StatusRow['kind'];
  state: ServerState;
  endpointPath: string;
  config: Record<string, unknown>;
  limits: {
    maxConcurrent: number;
    requestsPerMinute?: number;
    burst?: number;
    queueSize: number;
    requestTimeoutMs: number;
  };
  limiter: LimiterStats | null;
  lastError: string | null;
  lastExit: StatusRow['lastExit'] | null;
  upstream: {
    state: string;
    serverInfo: { name: string; version: string; title?: string } | null;
    capabilities: Record<string, unknown> | null;
    instructions: string | null;
  };
  tools: ToolInfo[];
  catalog: {
    readAt: number;
    prompts: {
      name: string;
      title?: string;
      description?: string;
      arguments?: { name: string; required?: boolean }[];
    }[];
    resources: { uri: string; name?: string; title?: string; description?: string; mimeType?: string }[];
    resourceTemplates: { uriTemplate: string; name?: string; description?: string; mimeType?: string }[];
    problems: string[];
  } | null;
}

/** A point of `GET /api/metrics/series`. */
export interface RequestPoint {
  ts: number;
  count: number;
  errors: number;
  refused: number;
  p50Ms: number | null;
  p95Ms: number | null;
  p99Ms: number | null;
}

export interface HostPoint {
  ts: number;
  cpuPercent: number | null;
  memPercent: number | null;
  load1: number | null;
  load5: number | null;
  load15: number | null;
  loadPerCore: number | null;
}

export interface ProcessPoint {
  ts: number;
  cpuPercent: number | null;
  rssBytes: number | null;
  restarts: number | null;
}

export interface HostSample {
  ts: number;
  cpuPercent: number;
  memPercent: number;
  load1: number;
  load5: number;
  load15: number;
  loadPerCore: number;
}

export interface MetricsSummary {
  from: number;
  to: number;
  host: HostSample | null;
  servers: {
    server: string;
    requests: number;
    errors: number;
    refused: number;
    p50Ms: number | null;
    p95Ms: number | null;
    p99Ms: number | null;
  }[];
}

export type AlertSeverity = 'info' | 'warning' | 'critical';

export interface AlertRecord {
  id: number;
  key: string;
  rule: string;
  subject: string;
  severity: AlertSeverity;
  value: number;
  threshold: number;
  message: string;
  firedAt: number;
  lastSeenAt: number;
  notifiedAt: number;
  resolvedAt: number | null;
  suppressedCount: number;
  /** Times the incident cleared and came back inside the cooldown (absent from older supervisors). */
  refiredCount?: number;
  /** What the last notification said. */
  notifiedState?: 'fired' | 'resolved';
  acknowledgedAt: number | null;
}

export type AlertEvent =
  | { type: 'alert.fired'; alert: AlertRecord; isRepeat: boolean }
  | { type: 'alert.resolved'; alert: AlertRecord };

/** A `server` event of `GET /api/events`. */
export interface ServerEvent {
  server: string;
  kind: 'start' | 'online' | 'exit' | 'restart' | 'crash_loop' | 'stop' | 'error' | 'state';
  state: ServerState;
  at: number;
  exitCode?: number | null;
  signal?: string | null;
  delayMs?: number;
  message?: string;
}

export interface ConfigDiff {
  added: string[];
  removed: string[];
  changed: string[];
  unchanged: string[];
  supervisorChanged: boolean;
}

/** A `config` event of `GET /api/events`. */
export type ConfigEvent =
  | { ok: true; diff: ConfigDiff; at: number }
  | { ok: false; message: string; at: number };

export interface RequestRow {
  id: number;
  ts: number;
  server: string;
  method: string;
  tool: string | null;
  client: string | null;
  status: 'ok' | 'error' | 'refused';
  latencyMs: number;
  errorCode: string | null;
  reason: string | null;
  /** Captured (redacted, bounded) JSON when the config turns payload capture on. */
  params: string | null;
  result: string | null;
}

export interface RequestPage {
  rows: RequestRow[];
  next: string | null;
}

export type TimelineCategory = 'server' | 'alert' | 'reload';

export interface TimelineEntry {
  ts: number;
  category: TimelineCategory;
  type: string;
  server: string | null;
  severity: AlertSeverity;
  detail: Record<string, unknown> | null;
  exitCode: number | null;
}

export interface ConfigView {
  file: string;
  isDefault: boolean;
  text: string | null;
  form: 'exact' | 'reformatted';
  problem?: string;
  running: unknown;
  revision: string;
}

export type ConfigCheck = { ok: true; diff: ConfigDiff } | { ok: false; problems: string[] };

/** One line of `GET /api/servers/NAME/logs`. */
export interface ServerLogLine {
  stream: 'out' | 'err';
  line: string;
}
