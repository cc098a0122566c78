import { z } from 'zod';
import { readJson } from '../http/body.ts';
import { SupervisorError } from '../shared/errors.ts';
import type { ClientKeys } from '../store/client-keys.ts';
import type { RouteGroup } from './router.ts';

const MAX_BODY_BYTES = 1024 * 1024;
const keyCreateSchema = z.object({
  name: z.string().min(1),
  servers: z.array(z.string()).nullable().optional(),
});

/**
 * The gateway's client keys under `/api`:
 *
 * - `GET  /keys`              every key (never a token)
 * - `POST /keys`              `{ name, servers }` → 201 `{ token, key }` (the token shown once)
 * - `POST /keys/:id/revoke`   by id or name
 */
export function createKeyRoutes(deps: { keys: ClientKeys }): RouteGroup {
  return {
    api: [
      { method: 'GET', path: '/keys', handle: () => ({ keys: deps.keys.list() }) },
      {
        method: 'POST',
        path: '/keys',
        status: 201,
        handle: async ({ req }) => {
          const body = keyCreateSchema.safeParse(await readJson(req, MAX_BODY_BYTES));
          if (!body.success) {
            throw new SupervisorError(
              'BAD_REQUEST',
              `bad key request: ${body.error.issues[0]?.message ?? 'invalid'}`,
            );
          }
          return deps.keys.create(body.data.name, body.data.servers ?? null);
        },
      },
      {
        method: 'POST',
        path: '/keys/:id/revoke',
        handle: ({ params }) => {
          const id = params.id ?? '';
          const revoked = deps.keys.revoke(id);
          if (revoked === 0)
            throw new SupervisorError('BAD_REQUEST', `no active key with id or name "${id}"`);
          return { ok: true, revoked };
        },
      },
    ],
  };
}
