/**
 * The control API's wire types as the console reads them. Bodies the supervisor's shared wire
 * types describe (`supervisor/client/wire-types.ts`, types only: nothing of the supervisor runs
 * in the page) are imported from there; the rest mirror the README's route table.
 */
import type {
  AlertRow,
  ClientKeyRow,
  ConfigCheck,
  ConfigDiff,
  ConfigView,
  HostSample,
  HostSeriesPoint,
  MetricsSummary,
  ProcessSeriesPoint,
  RequestPage,
  RequestRow,
  RequestSeriesPoint,
  ServerStatus,
  StatusBody,
  TimelineEntry,
} from '../../../supervisor/client/wire-types.ts';
import type { ServerEvent, ServerState } from '../../../supervisor/shared/server-state.ts';

export type {
  ClientEntry,
  ClientsBody,
  ImportAnswer,
  ImportApplied,
  ImportPreview,
  ImportPreviewItem,
  McpClientScope,
  RemoveAnswer,
  SetupAnswer,
  SetupApplied,
  SetupPreview,
} from '../../../supervisor/client/mcp-clients-wire.ts';

export type {
  ConfigCheck,
  ConfigDiff,
  ConfigView,
  HostSample,
  MetricsSummary,
  RequestPage,
  RequestRow,
  StatusBody,
  TimelineEntry,
};

/** A point of `GET /api/metrics/series`. */
export type RequestPoint = RequestSeriesPoint;
/** A point of `GET /api/metrics/host`. */
export type HostPoint = HostSeriesPoint;
/** A point of `GET /api/metrics/process`. */
export type ProcessPoint = ProcessSeriesPoint;

/**
 * The states a server is shown in (the core's own list; a state it does not know is shown as it
 * comes), and a `server` event of `GET /api/events` (the core's own type).
 */
export type { ServerEvent, ServerState };

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

/** One alert of `GET /api/alerts` (and of an `alert` event). */
export type AlertRecord = AlertRow;

export type AlertEvent =
  | { type: 'alert.fired'; alert: AlertRecord; isRepeat: boolean }
  | { type: 'alert.resolved'; alert: AlertRecord };

/** A `config` event of `GET /api/events`. */
export type ConfigEvent =
  | { ok: true; diff: ConfigDiff; at: number }
  | { ok: false; message: string; at: number };

export type TimelineCategory = 'server' | 'alert' | 'reload';

/** One line of `GET /api/servers/NAME/logs`. */
export interface ServerLogLine {
  stream: 'out' | 'err';
  line: string;
}
