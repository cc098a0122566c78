import { z } from 'zod';
import { readBody, readJson } from '../http/body.ts';
import { SupervisorError } from '../shared/errors.ts';
import type { RouteGroup } from './router.ts';

/** The largest config text `POST /config/validate` takes. */
const MAX_CONFIG_BYTES = 1024 * 1024;
const MAX_RELOAD_BODY_BYTES = 4 * 1024;
/** Who asks through the API; the file watcher and SIGHUP are the supervisor's own triggers. */
const API_TRIGGERS = ['api', 'cli', 'app', 'console'] as const;
const reloadSchema = z.object({ trigger: z.enum(API_TRIGGERS).optional() });

export interface SupervisorRoutesDeps {
  /**
   * Re-reads the config file through the reload pipeline; resolves with what was applied (or, when
   * nothing changed, what an earlier trigger applied) once it is applied.
   */
  reload(trigger: (typeof API_TRIGGERS)[number]): Promise<unknown>;
  /** Parses and validates config text; throws CONFIG_INVALID naming every problem. */
  validateConfig(text: string): unknown;
  /** Starts the clean stop of the whole supervisor (after the answer is written). */
  requestStop(): void;
}

/**
 * The supervisor itself under `/api`:
 *
 * - `POST /reload`            re-read the config file; optional body `{ "trigger": "cli" }` says who
 *                             asked (`api`, `cli`, `app`, `console`), for the log and the answer
 * - `POST /config/validate`   body: config text → `{ ok }` or 422
 * - `POST /stop`              clean stop of the whole supervisor (202, then it stops)
 */
export function createSupervisorRoutes(deps: SupervisorRoutesDeps): RouteGroup {
  return {
    api: [
      {
        method: 'POST',
        path: '/reload',
        handle: async ({ req }) => {
          const body = reloadSchema.safeParse(await readJson(req, MAX_RELOAD_BODY_BYTES));
          if (!body.success) {
            throw new SupervisorError(
              'BAD_REQUEST',
              `bad reload request: "trigger" must be one of ${API_TRIGGERS.join(', ')}`,
            );
          }
          return { ok: true, result: await deps.reload(body.data.trigger ?? 'api') };
        },
      },
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
