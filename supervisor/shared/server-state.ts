/**
 * `installing`: a server run by a package runner (`npx -y`, `uvx`, …) that has not started the
 * server yet (see `process/package-runner.ts`); `starting`: launched, not answering `initialize`
 * yet (also a configured server the core has not started yet); `errored`: down until started
 * again — a first start that failed, or a crash loop.
 */
export type ServerState =
  | 'installing'
  | 'starting'
  | 'online'
  | 'restarting'
  | 'errored'
  | 'unavailable'
  | 'stopping'
  | 'stopped';

/**
 * A lifecycle event of one server, for the log, the event stream (the `server` events of
 * `GET /api/events`) and the store.
 */
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
