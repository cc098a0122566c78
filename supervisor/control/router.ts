import type { IncomingMessage, ServerResponse } from 'node:http';
import { bearerToken, isTokenValid } from '../http/bearer.ts';
import { readJson } from '../http/body.ts';
import { sendError, sendJson } from '../http/respond.ts';
import type { HttpServer, RouteHandler } from '../http/server.ts';

/** What an `/api` route handler gets: the request, its response, and the `:name` path segments. */
export interface ControlRequest {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly url: Readonly<URL>;
  /** The `:name` segments of the route's path, percent-decoded. */
  readonly params: Readonly<Record<string, string>>;
}

/** One route of the control API, under `/api`, behind the bearer token. */
export interface ControlRoute {
  readonly method: 'GET' | 'POST';
  /** Path after `/api`: literal segments and `:name` segments, e.g. `/servers/:name/logs`. */
  readonly path: string;
  /** HTTP status of a successful answer; default 200. */
  readonly status?: number;
  /** The handler writes the response itself (an SSE stream) instead of returning a body. */
  readonly isStream?: boolean;
  /** Returns the JSON body of the answer; a thrown `SupervisorError` becomes its HTTP error. */
  handle(request: ControlRequest): unknown;
}

/** A route of the listener itself, by path prefix, without the token (health, Prometheus). */
export interface PublicRoute {
  readonly prefix: string;
  readonly handler: RouteHandler;
}

/** What one route factory returns. */
export interface RouteGroup {
  readonly api?: readonly ControlRoute[];
  readonly public?: readonly PublicRoute[];
}

/**
 * The control API's router.
 *
 * **Route factories.** Every group of routes lives in `control/<group>-routes.ts` as a factory
 * that receives exactly the dependencies its routes use and returns a {@link RouteGroup}:
 *
 * ```ts
 * export function createAlertRoutes(deps: { alerts: AlertEngine; queries: Queries }): RouteGroup {
 *   return {
 *     api: [
 *       { method: 'GET', path: '/alerts', handle: () => ({ alerts: deps.alerts.firing() }) },
 *       { method: 'POST', path: '/alerts/:id/ack', handle: ({ params }) => ack(deps, params.id) },
 *     ],
 *   };
 * }
 * ```
 *
 * `boot/control-context.ts` calls each factory with its dependencies and hands the groups to
 * {@link registerRoutes}; nothing adds routes by changing a shared context. A new group is a
 * new file and one line there. Handlers return the body (sent as JSON with `status`, default
 * 200) or, with `isStream`, write the response themselves. A request that matches no route is
 * a 404 naming it (a POST's body is read first, so the answer can go on the same connection).
 */
export function registerRoutes(
  http: HttpServer,
  options: { token: string; groups: readonly RouteGroup[] },
): void {
  const routes = options.groups.flatMap((group) => (group.api ?? []).map(compile));
  for (const group of options.groups) {
    for (const route of group.public ?? []) http.route(route.prefix, route.handler);
  }
  http.route('/api', async (req, res, url) => {
    if (!isTokenValid(bearerToken(req.headers.authorization), options.token)) {
      return sendJson(res, 401, {
        error: {
          code: 'UNAUTHORIZED',
          message: 'missing or wrong bearer token; the CLI reads it from the control-token file in the home',
        },
      });
    }
    const parts = url.pathname.split('/').filter(Boolean).slice(1).map(decodeURIComponent);
    try {
      for (const route of routes) {
        const params = route.match(req.method, parts);
        if (!params) continue;
        const body = await route.definition.handle({ req, res, url, params });
        if (!route.definition.isStream) sendJson(res, route.definition.status ?? 200, body);
        return;
      }
      if (req.method === 'POST') await readJson(req, MAX_UNMATCHED_BODY_BYTES).catch(() => undefined);
      sendJson(res, 404, {
        error: { code: 'NOT_FOUND', message: `no control route ${req.method} /${parts.join('/')}` },
      });
    } catch (error) {
      if (!res.headersSent) sendError(res, error);
    }
  });
}

/** How much of an unmatched POST's body is read (and dropped) before the 404. */
const MAX_UNMATCHED_BODY_BYTES = 1024 * 1024;

interface CompiledRoute {
  readonly definition: ControlRoute;
  match(method: string | undefined, parts: readonly string[]): Record<string, string> | undefined;
}

function compile(definition: ControlRoute): CompiledRoute {
  const segments = definition.path.split('/').filter(Boolean);
  return {
    definition,
    match(method, parts) {
      if (method !== definition.method || parts.length !== segments.length) return undefined;
      const params: Record<string, string> = {};
      for (let i = 0; i < segments.length; i++) {
        const segment = segments[i] as string;
        const part = parts[i] as string;
        if (segment.startsWith(':')) params[segment.slice(1)] = part;
        else if (segment !== part) return undefined;
      }
      return params;
    },
  };
}
