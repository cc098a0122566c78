/** Small shared contracts of the observability modules (the logger is `shared/logger.ts`). */

import type { HostSample } from '../client/wire-types.ts';

/** Milliseconds since the epoch; injected so tests run on fake time. */
export type Clock = () => number;

/**
 * Outcome of a request as the gateway saw it. `refused`: the supervisor answered with a refusal
 * (queue_full, rate_limited, circuit_open, timeout, server_unavailable; the reason is the
 * `errorCode`), as the client was told by the refusal's JSON-RPC code; `error`: the server's own
 * failure (a JSON-RPC error) or the supervisor's (`internal`).
 */
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
  /** A refusal's reason (`queue_full`, `timeout`, …), a JSON-RPC error code as text, or `internal`. */
  errorCode?: string | null;
  /** Short human reason for an error or refusal. */
  reason?: string | null;
  /** Captured arguments / result (or error), redacted and bounded JSON; only with capture on. */
  params?: string | null;
  result?: string | null;
}

/** A host sample of the monitor, as stored and as the summary sends it. */
export type SystemSample = HostSample;

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
