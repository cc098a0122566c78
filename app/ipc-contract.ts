/**
 * The one IPC contract between the Electron main process and the dashboard window. The renderer
 * imports only these types; main validates every message against it before acting.
 */
export const IPC_CHANNELS = {
  /** renderer → main: `{ }` → `{ baseUrl, token }` so the dashboard can call the control API. */
  connection: 'mcp-supervisor:connection',
} as const;

export interface ConnectionInfo {
  baseUrl: string;
  token: string;
}

export interface DashboardBridge {
  connection(): Promise<ConnectionInfo | undefined>;
}
