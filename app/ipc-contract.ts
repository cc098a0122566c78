/**
 * The one IPC contract between the Electron main process and the console window: channel names
 * and message types, free of imports so the sandboxed preload bundles to a few lines. Main
 * validates every message against the zod schemas of `ipc.ts`, typed against these types.
 */
export const IPC_CHANNELS = {
  /**
   * renderer → main: no arguments → `ConnectionInfo` so the console can call the control API, or
   * undefined while no supervisor runs. Rejects for a sender that is not the console window.
   */
  connection: 'mcp-supervisor:connection',
} as const;

export interface ConnectionInfo {
  /** The supervisor's origin, `http://127.0.0.1:7420`. */
  baseUrl: string;
  /** The control API's bearer token. */
  token: string;
}

/** `window.mcpSupervisor` in the console window. */
export interface DashboardBridge {
  connection(): Promise<ConnectionInfo | undefined>;
}
