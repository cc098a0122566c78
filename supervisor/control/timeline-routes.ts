import { z } from 'zod';
import { SupervisorError } from '../shared/errors.ts';
import type { Timeline, TimelineCategory } from '../store/timeline.ts';
import { parseQuery, rangeOf, sinceSchema } from './query.ts';
import type { RouteGroup } from './router.ts';

export interface TimelineRoutesDeps {
  timeline: Timeline;
  /** Writes what the recorder holds, so the timeline includes the last second's events. */
  flush(): unknown;
  now?: () => number;
}

const timelineSchema = sinceSchema.extend({
  server: z.string().min(1).optional(),
  category: z.string().optional(),
  limit: z.coerce.number().int().min(1).max(5_000).optional(),
});

const CATEGORIES: readonly TimelineCategory[] = ['server', 'alert', 'reload'];

/**
 * `GET /api/timeline?since=24h|from=&to=&category=server,alert,reload&server=S&limit=N`: one
 * merged history of lifecycle events, alerts and config reloads, newest first.
 */
export function createTimelineRoutes(deps: TimelineRoutesDeps): RouteGroup {
  const now = deps.now ?? Date.now;
  const timeline = (url: Readonly<URL>) => {
    const query = parseQuery(timelineSchema, url, 'timeline');
    deps.flush();
    const { from, to } = rangeOf(query, now(), '24h');
    const categories = query.category?.split(',').filter(Boolean);
    const unknown = categories?.find((c) => !CATEGORIES.includes(c as TimelineCategory));
    if (unknown) {
      throw new SupervisorError(
        'BAD_REQUEST',
        `unknown timeline category "${unknown}"; use ${CATEGORIES.join(', ')}`,
      );
    }
    return {
      from,
      to,
      entries: deps.timeline.query({
        since: from,
        until: to + 1,
        ...(categories ? { categories: categories as TimelineCategory[] } : {}),
        ...(query.server ? { server: query.server } : {}),
        ...(query.limit ? { limit: query.limit } : {}),
      }),
    };
  };
  return { api: [{ method: 'GET', path: '/timeline', handle: ({ url }) => timeline(url) }] };
}
