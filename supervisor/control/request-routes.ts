import { z } from 'zod';
import type { RequestLog } from '../store/request-log.ts';
import { parseDuration, parseQuery, rangeOf, sinceSchema } from './query.ts';
import type { RouteGroup } from './router.ts';

export interface RequestRoutesDeps {
  requestLog: RequestLog;
  /** Writes what the recorder holds, so a read includes the requests of the last second. */
  flush(): unknown;
  now?: () => number;
}

const requestsSchema = sinceSchema.extend({
  server: z.string().min(1).optional(),
  tool: z.string().min(1).optional(),
  method: z.string().min(1).optional(),
  client: z.string().min(1).optional(),
  status: z.enum(['ok', 'error', 'refused']).optional(),
  errorCode: z.string().min(1).optional(),
  before: z
    .string()
    .regex(/^\d+:\d+$/, 'before must be "<ts>:<id>" as the previous page\'s next gave it')
    .optional(),
  limit: z.coerce.number().int().min(1).max(5_000).optional(),
});

const reasonsSchema = sinceSchema.extend({
  server: z.string().min(1).optional(),
  step: z.string().optional(),
});

/**
 * The raw request log under `/api`:
 *
 * - `GET /requests?server=&tool=&method=&client=&status=&errorCode=&since=|from=&to=&limit=&before=`
 *   newest first; `next` is the cursor of the next (older) page
 * - `GET /requests/refusals?server=S&since=1h&step=1m`   refusals per step and reason
 * - `GET /requests/facets?since=7d`    servers and tools seen, for the filter menus
 */
export function createRequestRoutes(deps: RequestRoutesDeps): RouteGroup {
  const now = deps.now ?? Date.now;

  const requests = (url: Readonly<URL>) => {
    const query = parseQuery(requestsSchema, url, 'requests');
    deps.flush();
    const hasRange = query.since !== undefined || query.from !== undefined || query.to !== undefined;
    const range = hasRange ? rangeOf(query, now(), '1h') : {};
    const [beforeTs, beforeId] = query.before?.split(':').map(Number) ?? [];
    const page = deps.requestLog.query({
      ...range,
      ...(query.server ? { server: query.server } : {}),
      ...(query.tool ? { tool: query.tool } : {}),
      ...(query.method ? { method: query.method } : {}),
      ...(query.client ? { client: query.client } : {}),
      ...(query.status ? { status: query.status } : {}),
      ...(query.errorCode ? { errorCode: query.errorCode } : {}),
      ...(beforeTs !== undefined && beforeId !== undefined ? { before: { ts: beforeTs, id: beforeId } } : {}),
      ...(query.limit ? { limit: query.limit } : {}),
    });
    return { rows: page.rows, next: page.next ? `${page.next.ts}:${page.next.id}` : null };
  };

  const refusals = (url: Readonly<URL>) => {
    const query = parseQuery(reasonsSchema, url, 'refusals');
    deps.flush();
    const { from, to } = rangeOf(query, now(), '1h');
    const stepMs = query.step
      ? parseDuration(query.step)
      : Math.max(60_000, Math.ceil((to - from) / 60 / 60_000) * 60_000);
    return {
      stepMs,
      ...deps.requestLog.refusals({ from, to, stepMs, ...(query.server ? { server: query.server } : {}) }),
    };
  };

  return {
    api: [
      { method: 'GET', path: '/requests', handle: ({ url }) => requests(url) },
      { method: 'GET', path: '/requests/refusals', handle: ({ url }) => refusals(url) },
      {
        method: 'GET',
        path: '/requests/facets',
        handle: ({ url }) =>
          deps.requestLog.facets(rangeOf(parseQuery(sinceSchema, url, 'facets'), now(), '7d').from),
      },
    ],
  };
}
