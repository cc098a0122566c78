import type { AlertEngine } from '../alerts/engine.ts';
import { SupervisorError } from '../shared/errors.ts';
import type { Queries } from '../store/queries.ts';
import type { RouteGroup } from './router.ts';

/**
 * Alerts under `/api`:
 *
 * - `GET  /alerts` (`?all=true`: history too)
 * - `POST /alerts/:id/ack`
 */
export function createAlertRoutes(deps: { alerts: AlertEngine; queries: Queries }): RouteGroup {
  return {
    api: [
      {
        method: 'GET',
        path: '/alerts',
        handle: ({ url }) =>
          url.searchParams.get('all') === 'true'
            ? { alerts: deps.queries.alertHistory({ limit: 500 }) }
            : { alerts: deps.alerts.firing() },
      },
      {
        method: 'POST',
        path: '/alerts/:id/ack',
        handle: ({ params }) => {
          const id = params.id ?? '';
          const numeric = Number(id);
          if (!Number.isInteger(numeric))
            throw new SupervisorError('BAD_REQUEST', `alert id must be a number, got "${id}"`);
          if (!deps.alerts.acknowledge(numeric))
            throw new SupervisorError('BAD_REQUEST', `no unacknowledged alert ${numeric}`);
          return { ok: true };
        },
      },
    ],
  };
}
