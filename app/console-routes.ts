/**
 * Deep links into the console. The console is a single page with hash routes, served by the
 * supervisor at `/ui/`; the app opens it at one of these.
 */
export type ConsoleRoute =
  | { view: 'home' }
  | { view: 'server'; name: string }
  | { view: 'server-logs'; name: string }
  | { view: 'alert'; id: number }
  | { view: 'alerts' }
  | { view: 'host' }
  | { view: 'timeline' }
  | { view: 'requests' }
  | { view: 'config' };

/** The console's path on the supervisor's origin. */
export const CONSOLE_PATH = '/ui/';

/** The hash of a route (`''` for the console's start page); names are URI-encoded. */
export function routeHash(route: ConsoleRoute): string {
  switch (route.view) {
    case 'home':
      return '';
    case 'server':
      return `#/servers/${encodeURIComponent(route.name)}`;
    case 'server-logs':
      return `#/servers/${encodeURIComponent(route.name)}/logs`;
    case 'alert':
      return `#/alerts/${route.id}`;
    default:
      return `#/${route.view}`;
  }
}

/** The full URL of a route on a supervisor's origin (`http://127.0.0.1:7420`). */
export function consoleUrl(origin: string, route: ConsoleRoute): string {
  return `${origin}${CONSOLE_PATH}${routeHash(route)}`;
}
