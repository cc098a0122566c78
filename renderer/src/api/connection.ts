import type { DashboardBridge } from '../../../app/ipc-contract.ts';
import { extractToken } from '../lib/routes.ts';

/** Where the console talks to: the supervisor's origin and its control token. */
export interface Connection {
  baseUrl: string;
  token: string;
  /** How the token came: the Electron preload bridge, the URL fragment, or this tab's storage. */
  source: 'bridge' | 'fragment' | 'session';
}

const STORAGE_KEY = 'mcp-supervisor.token';

declare global {
  interface Window {
    mcpSupervisor?: DashboardBridge;
  }
}

/**
 * The connection of this page. In the Electron window the preload bridge hands it over. In a
 * browser the token arrives in the URL fragment (`/ui/#token=…`, which is never sent over the
 * wire), is moved to this tab's sessionStorage and cleared from the address bar at once, so it
 * does not stay in history, bookmarks or screenshots. Null when there is no token at all.
 */
export async function resolveConnection(): Promise<Connection | null> {
  if (window.mcpSupervisor) {
    const info = await window.mcpSupervisor.connection();
    return info ? { baseUrl: info.baseUrl.replace(/\/$/, ''), token: info.token, source: 'bridge' } : null;
  }
  const { token, hash } = extractToken(location.hash);
  if (token) {
    sessionStorage.setItem(STORAGE_KEY, token);
    history.replaceState(history.state, '', `${location.pathname}${location.search}${hash}`);
    return { baseUrl: location.origin, token, source: 'fragment' };
  }
  const stored = sessionStorage.getItem(STORAGE_KEY);
  return stored ? { baseUrl: location.origin, token: stored, source: 'session' } : null;
}

/** Forgets a token the supervisor rejected, so a reload asks for a fresh link instead of failing again. */
export function forgetToken(): void {
  sessionStorage.removeItem(STORAGE_KEY);
}
