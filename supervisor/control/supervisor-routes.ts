import { readBody } from '../http/body.ts';
import type { RouteGroup } from './router.ts';

/** The largest config text `POST /config/validate` takes. */
const MAX_CONFIG_BYTES = 1024 * 1024;

export interface SupervisorRoutesDeps {
  /** Re-reads the config file; resolves with the diff applied. */
  reload(): Promise<unknown>;
  /** Parses and validates config text; throws CONFIG_INVALID naming every problem. */
  validateConfig(text: string): unknown;
  /** Starts the clean stop of the whole supervisor (after the answer is written). */
  requestStop(): void;
}

/**
 * The supervisor itself under `/api`:
 *
 * - `POST /reload`            re-read the config file
 * - `POST /config/validate`   body: config text → `{ ok }` or 422
 * - `POST /stop`              clean stop of the whole supervisor (202, then it stops)
 */
export function createSupervisorRoutes(deps: SupervisorRoutesDeps): RouteGroup {
  return {
    api: [
      { method: 'POST', path: '/reload', handle: async () => ({ ok: true, result: await deps.reload() }) },
      {
        method: 'POST',
        path: '/config/validate',
        handle: async ({ req }) => {
          deps.validateConfig((await readBody(req, MAX_CONFIG_BYTES)).toString('utf8'));
          return { ok: true };
        },
      },
      {
        method: 'POST',
        path: '/stop',
        status: 202,
        handle: () => {
          // Runs after the 202 is written (the router writes it in this same turn).
          setImmediate(() => deps.requestStop());
          return { ok: true, message: 'stopping' };
        },
      },
    ],
  };
}
