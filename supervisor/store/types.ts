/** Small shared contracts of the observability modules (the logger is `shared/logger.ts`). */

/** Milliseconds since the epoch; injected so tests run on fake time. */
export type Clock = () => number;

/** Outcome of a request as the gateway saw it. `refused` never reached the server (limits, breaker). */
export type RequestStatus = 'ok' | 'error' | 'refused';

export interface RequestEvent {
  /** Completion time, ms since the epoch. */
  ts: number;
  server: string;
  /** JSON-RPC method, e.g. `tools/call`. */
  method: string;
  /** Tool name for `tools/call`, otherwise null (stored as '' in rollups). */
  tool?: string | null;
  /** Client key id, if any. */
  client?: string | null;
  status: RequestStatus;
  latencyMs: number;
  /** Stable error code (e.g. `TIMEOUT`, `QUEUE_FULL`, a JSON-RPC code as text). */
  errorCode?: string | null;
  /** Short human reason for an error or refusal. */
  reason?: string | null;
}

export interface SystemSample {
  ts: number;
  cpuPercent: number;
  memPercent: number;
  load1: number;
  load5: number;
  load15: number;
  loadPerCore: number;
}

export interface ProcessSample {
  ts: number;
  server: string;
  pid: number | null;
  /** CPU of the whole process tree; may exceed 100 on several cores. */
  cpuPercent: number | null;
  rssBytes: number | null;
  restarts: number;
  uptimeMs: number | null;
}

export type ServerEventKind = 'start' | 'exit' | 'restart' | 'crash_loop' | 'stop' | 'reload' | 'error';
