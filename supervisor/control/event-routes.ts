import type { ControlEventName } from '../client/wire-types.ts';
import { openEventStream } from '../http/sse.ts';
import type { Queries } from '../store/queries.ts';
import { parseDuration } from './query.ts';
import type { RouteGroup } from './router.ts';

/** One event of the supervisor's event bus, as `GET /api/events` streams it. */
export interface ControlEvent {
  type: ControlEventName;
  data: unknown;
}

export interface EventRoutesDeps {
  /** Subscribes to the event bus; returns the function that unsubscribes. */
  onEvent(listener: (event: ControlEvent) => void): () => void;
  queries: Queries;
}

/**
 * Events under `/api`:
 *
 * - `GET /events`                          SSE of server lifecycle, config and alert events
 * - `GET /events/history?since=24h&server=S`   server lifecycle events from the store
 */
export function createEventRoutes(deps: EventRoutesDeps): RouteGroup {
  return {
    api: [
      {
        method: 'GET',
        path: '/events',
        isStream: true,
        handle: ({ res }) => {
          const stream = openEventStream(res);
          const unsubscribe = deps.onEvent((event) => stream.send(event.data, event.type));
          stream.onClose(unsubscribe);
        },
      },
      {
        method: 'GET',
        path: '/events/history',
        handle: ({ url }) => {
          const since = Date.now() - parseDuration(url.searchParams.get('since') ?? '24h');
          const server = url.searchParams.get('server') ?? undefined;
          return { events: deps.queries.events({ since, limit: 500, ...(server ? { server } : {}) }) };
        },
      },
    ],
  };
}
