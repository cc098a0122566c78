import type { ConsoleRoutes } from './console-routes.ts';
import { type HttpServer, sendError, sendJson } from './http-server.ts';
import { bearerToken, isTokenValid } from './token.ts';

/**
 * Hooks the console's routes into today's control API: JSON routes into its `extraRoutes`, the
 * others as their own listener routes behind the same bearer token. (The control API's
 * restructure replaces this with its route factories.)
 */
export function registerConsoleRoutes(
  http: HttpServer,
  context: { token: string; extraRoutes?: Map<string, (url: URL) => unknown> },
  routes: ConsoleRoutes,
): void {
  const extra = context.extraRoutes ?? new Map();
  context.extraRoutes = extra;
  for (const [route, handler] of routes.json) extra.set(route, handler);
  for (const [route, handler] of routes.raw) {
    http.route(route, async (req, res, url) => {
      if (!isTokenValid(bearerToken(req.headers.authorization), context.token)) {
        return sendJson(res, 401, {
          error: {
            code: 'UNAUTHORIZED',
            message:
              'missing or wrong bearer token; the CLI reads it from the control-token file in the home',
          },
        });
      }
      if (url.pathname !== route) {
        return sendJson(res, 404, {
          error: { code: 'NOT_FOUND', message: `no control route ${url.pathname}` },
        });
      }
      try {
        await handler(req, res, url);
      } catch (error) {
        if (!res.headersSent) sendError(res, error);
      }
    });
  }
}
