import { CONSOLE_PATH } from './console-routes.ts';

/**
 * What the console window may do with a URL it is about to load or open:
 * - `allow`: the console itself (the supervisor's origin, under `/ui/`);
 * - `external`: an http(s) page elsewhere, handed to the user's browser;
 * - `deny`: anything else — other paths of the supervisor (the API would render as raw JSON, and
 *   `/mcp` is no page), `file:`, `javascript:`, `data:`, custom schemes, unparsable URLs.
 *
 * `origin` is the supervisor's current origin, or undefined when it is not running (then nothing
 * is allowed in the window).
 */
export type NavigationDecision = 'allow' | 'external' | 'deny';

export function decideNavigation(url: string, origin: string | undefined): NavigationDecision {
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    return 'deny';
  }
  if (target.protocol !== 'http:' && target.protocol !== 'https:') return 'deny';
  if (origin !== undefined && target.origin === origin) {
    return target.pathname.startsWith(CONSOLE_PATH) ? 'allow' : 'deny';
  }
  // Credentials in a URL are a phishing pattern; nothing the console links to has them.
  if (target.username !== '' || target.password !== '') return 'deny';
  return 'external';
}
