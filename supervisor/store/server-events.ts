import type { ServerEvent } from '../core/server-runtime.ts';
import type { ServerEventRow } from './queries.ts';
import type { ServerEventKind } from './types.ts';

/** The lifecycle events worth a row; `online` and plain state changes are not history. */
const STORED_KINDS: Partial<Record<ServerEvent['kind'], ServerEventKind>> = {
  start: 'start',
  exit: 'exit',
  restart: 'restart',
  crash_loop: 'crash_loop',
  stop: 'stop',
  error: 'error',
};

/**
 * The `server_events` row a lifecycle event is kept as, or undefined when it is not kept: the
 * state, message, restart delay and signal go into `detail`, the exit code into its column.
 */
export function toServerEventRow(event: ServerEvent): ServerEventRow | undefined {
  const kind = STORED_KINDS[event.kind];
  if (!kind) return undefined;
  const detail: Record<string, unknown> = { state: event.state };
  if (event.message !== undefined) detail.message = event.message;
  if (event.delayMs !== undefined) detail.delayMs = event.delayMs;
  if (event.signal) detail.signal = event.signal;
  return { ts: event.at, server: event.server, kind, detail, exitCode: event.exitCode ?? null };
}
