import { z } from 'zod';
import type { ClusterStatus, ServerStatus, StatusBody } from '../client/wire-types.ts';
import { openEventStream } from '../http/sse.ts';
import { SupervisorError } from '../shared/errors.ts';
import { followFile, mergedTail } from './log-tail.ts';
import type { RouteGroup } from './router.ts';

const logQuerySchema = z.object({
  lines: z.coerce.number().int().min(0).max(100_000).default(100),
  stream: z.enum(['out', 'err', 'all']).default('all'),
});

export interface ServerRoutesDeps {
  version: string;
  startedAt: number;
  configFile: string | undefined;
  /** Status rows of every server (core state, limiter, process tree). */
  status(): Promise<ServerStatus[]>;
  /** The cluster's state, when `supervisor.cluster` is configured. */
  clusterStatus?: () => ClusterStatus;
  serverAction(name: string, action: 'start' | 'stop' | 'restart'): Promise<void>;
  /** A server's PM2 log files; throws UNKNOWN_SERVER. */
  logFiles(name: string): { out: string; err: string };
}

/**
 * The servers under `/api`:
 *
 * - `GET  /status`                          supervisor info + one row per server (+ the cluster)
 * - `POST /servers/:name/{start,stop,restart}`
 * - `GET  /servers/:name/logs?lines=N&stream=out|err|all`
 * - `GET  /servers/:name/logs/follow?stream=…`   SSE, `event: lines`
 */
export function createServerRoutes(deps: ServerRoutesDeps): RouteGroup {
  return {
    api: [
      {
        method: 'GET',
        path: '/status',
        handle: async (): Promise<StatusBody> => {
          const body: StatusBody = {
            supervisor: {
              pid: process.pid,
              version: deps.version,
              startedAt: deps.startedAt,
              uptimeMs: Date.now() - deps.startedAt,
              configFile: deps.configFile ?? null,
            },
            servers: await deps.status(),
          };
          if (deps.clusterStatus) body.cluster = deps.clusterStatus();
          return body;
        },
      },
      {
        method: 'POST',
        path: '/servers/:name/:action',
        handle: async ({ params }) => {
          const { name = '', action } = params;
          if (action !== 'start' && action !== 'stop' && action !== 'restart') {
            throw new SupervisorError(
              'BAD_REQUEST',
              `unknown action "${action}"; use start, stop or restart`,
            );
          }
          await deps.serverAction(name, action);
          const server = (await deps.status()).find((s) => s.name === name);
          return { ok: true, server };
        },
      },
      {
        method: 'GET',
        path: '/servers/:name/logs',
        handle: async ({ url, params }) => {
          const { files, wanted, lines } = logQuery(deps, params.name ?? '', url);
          return { server: params.name, lines: await mergedTail(wanted, files.err, lines) };
        },
      },
      {
        method: 'GET',
        path: '/servers/:name/logs/follow',
        isStream: true,
        handle: ({ res, url, params }) => {
          const { files, wanted } = logQuery(deps, params.name ?? '', url);
          const stream = openEventStream(res);
          const abort = new AbortController();
          stream.onClose(() => abort.abort());
          for (const file of wanted) {
            const isErr = file === files.err;
            followFile(
              file,
              (lines) => stream.send({ stream: isErr ? 'err' : 'out', lines }, 'lines'),
              abort.signal,
            );
          }
        },
      },
    ],
  };
}

function logQuery(deps: ServerRoutesDeps, name: string, url: Readonly<URL>) {
  const query = logQuerySchema.safeParse(Object.fromEntries(url.searchParams));
  if (!query.success)
    throw new SupervisorError('BAD_REQUEST', `bad log query: ${query.error.issues[0]?.message}`);
  const files = deps.logFiles(name);
  const wanted =
    query.data.stream === 'all'
      ? [files.out, files.err]
      : [query.data.stream === 'out' ? files.out : files.err];
  return { files, wanted, lines: query.data.lines };
}
