/**
 * Hash routes (the tray app deep-links to these; keep them stable):
 * `#/servers`, `#/servers/<name>`, `#/servers/<name>/logs`, `#/alerts`, `#/alerts/<id>`, `#/host`,
 * `#/timeline`, `#/requests`, `#/logs/supervisor`, `#/config`, `#/keys`, `#/clients`. A route may carry a
 * query (`#/requests?server=memory&status=error`) for filters a person can share.
 */
export type Route =
  | { view: 'servers' }
  | { view: 'server'; name: string }
  | { view: 'server-logs'; name: string }
  | { view: 'alerts' }
  | { view: 'alert'; id: number }
  | { view: 'host' }
  | { view: 'timeline' }
  | { view: 'requests' }
  | { view: 'supervisor-logs' }
  | { view: 'config' }
  | { view: 'keys' }
  | { view: 'clients' }
  | { view: 'not-found'; path: string };

export interface Location {
  route: Route;
  query: URLSearchParams;
}

function decode(part: string): string | undefined {
  try {
    return decodeURIComponent(part);
  } catch {
    return undefined;
  }
}

/** The route of a location hash (`#/servers/memory?x=1`); an empty hash is the servers view. */
export function parseHash(hash: string): Location {
  const raw = hash.replace(/^#/, '');
  const queryAt = raw.indexOf('?');
  const path = queryAt >= 0 ? raw.slice(0, queryAt) : raw;
  const query = new URLSearchParams(queryAt >= 0 ? raw.slice(queryAt + 1) : '');
  const parts = path.split('/').filter(Boolean);
  const [first, second, third] = parts;
  const notFound: Route = { view: 'not-found', path: `/${parts.join('/')}` };
  let route: Route = notFound;
  if (parts.length === 0) route = { view: 'servers' };
  else if (first === 'servers' && parts.length === 1) route = { view: 'servers' };
  else if (first === 'servers' && second !== undefined && parts.length <= 3) {
    const name = decode(second);
    if (name !== undefined && parts.length === 2) route = { view: 'server', name };
    else if (name !== undefined && third === 'logs') route = { view: 'server-logs', name };
  } else if (first === 'alerts' && parts.length === 1) route = { view: 'alerts' };
  else if (first === 'alerts' && parts.length === 2 && /^\d+$/.test(second ?? '')) {
    route = { view: 'alert', id: Number(second) };
  } else if (parts.length === 1 && (first === 'host' || first === 'timeline' || first === 'requests')) {
    route = { view: first };
  } else if (parts.length === 1 && (first === 'config' || first === 'keys' || first === 'clients'))
    route = { view: first };
  else if (first === 'logs' && second === 'supervisor' && parts.length === 2)
    route = { view: 'supervisor-logs' };
  return { route, query };
}

/** The hash of a route (and optional query), the inverse of {@link parseHash}. */
export function routeHash(route: Route, query?: URLSearchParams | Record<string, string>): string {
  const path = (() => {
    switch (route.view) {
      case 'server':
        return `/servers/${encodeURIComponent(route.name)}`;
      case 'server-logs':
        return `/servers/${encodeURIComponent(route.name)}/logs`;
      case 'alert':
        return `/alerts/${route.id}`;
      case 'supervisor-logs':
        return '/logs/supervisor';
      case 'not-found':
        return route.path;
      default:
        return `/${route.view}`;
    }
  })();
  const search = new URLSearchParams(query).toString();
  return `#${path}${search ? `?${search}` : ''}`;
}

/**
 * Takes the control token out of a hash: `#token=T`, `#/servers?token=T` and `#/servers&token=T`
 * all work (the CLI's `dashboard` URL and deep links with a token). Returns the hash without it.
 */
export function extractToken(hash: string): { token: string | undefined; hash: string } {
  const raw = hash.replace(/^#/, '');
  const split = raw.startsWith('token=') ? 0 : raw.search(/[?&]/);
  if (split < 0) return { token: undefined, hash };
  const path = raw.slice(0, split);
  const query = new URLSearchParams(raw.slice(split === 0 ? 0 : split + 1));
  const token = query.get('token') || undefined;
  if (token === undefined) return { token: undefined, hash };
  query.delete('token');
  const rest = query.toString();
  return { token, hash: `#${path || '/servers'}${rest ? `?${rest}` : ''}` };
}

/** Whether a nav entry for `section` is the current one (a server's pages belong to Servers). */
export function isInSection(route: Route, section: Route['view']): boolean {
  if (section === 'servers')
    return route.view === 'servers' || route.view === 'server' || route.view === 'server-logs';
  if (section === 'alerts') return route.view === 'alerts' || route.view === 'alert';
  return route.view === section;
}
