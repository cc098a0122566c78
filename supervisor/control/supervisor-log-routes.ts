import path from 'node:path';
import { z } from 'zod';
import { openEventStream } from '../http/sse.ts';
import { followFile, readLastLines } from './log-tail.ts';
import { parseQuery } from './query.ts';
import type { RouteGroup } from './router.ts';

const linesSchema = z.object({ lines: z.coerce.number().int().min(0).max(100_000).default(2_000) });

/** The supervisor's own JSON log: pino-roll keeps `current.log` pointing at the newest file. */
export function supervisorLogFile(logDir: string): string {
  return path.join(logDir, 'current.log');
}

/**
 * The supervisor's own log under `/api`:
 *
 * - `GET /logs/supervisor?lines=N`   its last lines (JSON lines as written)
 * - `GET /logs/supervisor/follow`    SSE, `event: lines` with `{ lines }` as they are written
 */
export function createSupervisorLogRoutes(deps: { logDir: string }): RouteGroup {
  const file = supervisorLogFile(deps.logDir);
  return {
    api: [
      {
        method: 'GET',
        path: '/logs/supervisor',
        handle: async ({ url }) => {
          const { lines } = parseQuery(linesSchema, url, 'log');
          return { file, lines: await readLastLines(file, lines) };
        },
      },
      {
        method: 'GET',
        path: '/logs/supervisor/follow',
        isStream: true,
        handle: ({ res }) => {
          const stream = openEventStream(res);
          const abort = new AbortController();
          stream.onClose(() => abort.abort());
          followFile(file, (lines) => stream.send({ lines }, 'lines'), abort.signal);
        },
      },
    ],
  };
}
