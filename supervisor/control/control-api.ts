import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import type { ServerStatus } from '../core/supervisor.ts';
import { SupervisorError } from '../errors.ts';
import type { ClientKeys } from '../gateway/client-keys.ts';
import { type HttpServer, readBody, readJson, sendError, sendJson } from './http-server.ts';
import { followFile, mergedTail } from './log-tail.ts';
import { openEventStream } from './sse.ts';
import { bearerToken, isTokenValid } from './token.ts';

/** What the control API needs from the running supervisor. */
export interface ControlContext {
  token: string;
  version: string;
  startedAt: number;
  configFile: string | undefined;
  status(): Promise<ServerStatus[]>;
  serverAction(name: string, action: 'start' | 'stop' | 'restart'): Promise<void>;
  reload(): Promise<unknown>;
  validateConfig(text: string): unknown;
  logFiles(name: string): { out: string; err: string };
  onEvent(listener: (type: string, data: unknown) => void): () => void;
  requestStop(): void;
  /** Client keys of the gateway (absent until the store is open). */
  keys?: ClientKeys;
  /** Extra read routes contributed by other parts (metrics, alerts); keyed by path after /api. */
  extraRoutes?: Map<string, (url: URL) => Promise<unknown> | unknown>;
  /** Extra actions: `POST /api/<first>/:id/<action>` looks up `/<first>/<action>`. */
  extraPostRoutes?: Map<string, (id: string) => Promise<unknown> | unknown>;
}

const MAX_BODY_BYTES = 1024 * 1024;
const keyCreateSchema = z.object({
  name: z.string().min(1),
  servers: z.array(z.string()).nullable().optional(),
});
const logQuerySchema = z.object({
  lines: z.coerce.number().int().min(0).max(100_000).default(100),
  stream: z.enum(['out', 'err', 'all']).default('all'),
});

/**
 * The control API under `/api` (bearer token). Routes (documented in the README):
 *
 * - `GET  /api/status`                        supervisor info + one row per server
 * - `POST /api/servers/:name/{start,stop,restart}`
 * - `GET  /api/servers/:name/logs?lines=N&stream=out|err|all`
 * - `GET  /api/servers/:name/logs/follow?stream=…`   SSE, `event: lines`
 * - `POST /api/reload`                        re-read the config file
 * - `POST /api/config/validate`               body: config text → `{ ok }` or 422
 * - `GET  /api/events`                        SSE of server and alert events
 * - `POST /api/stop`                          clean stop of the whole supervisor
 */
export function registerControlApi(http: HttpServer, context: ControlContext): void {
  http.route('/api', async (req, res, url) => {
    if (!isTokenValid(bearerToken(req.headers.authorization), context.token)) {
      return sendJson(res, 401, {
        error: {
          code: 'UNAUTHORIZED',
          message: 'missing or wrong bearer token; the CLI reads it from the control-token file in the home',
        },
      });
    }
    const parts = url.pathname.split('/').filter(Boolean).slice(1).map(decodeURIComponent);
    const route = `${req.method} /${parts.join('/')}`;
    try {
      await handle(req, res, url, parts, route, context);
    } catch (error) {
      if (!res.headersSent) sendError(res, error);
    }
  });
}

async function handle(
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  parts: string[],
  route: string,
  context: ControlContext,
): Promise<void> {
  const [first, name, action, sub] = parts;
  if (route === 'GET /status') {
    return sendJson(res, 200, {
      supervisor: {
        pid: process.pid,
        version: context.version,
        startedAt: context.startedAt,
        uptimeMs: Date.now() - context.startedAt,
        configFile: context.configFile ?? null,
      },
      servers: await context.status(),
    });
  }
  if (first === 'servers' && name && req.method === 'POST' && parts.length === 3) {
    if (action !== 'start' && action !== 'stop' && action !== 'restart') {
      throw new SupervisorError('BAD_REQUEST', `unknown action "${action}"; use start, stop or restart`);
    }
    await context.serverAction(name, action);
    const server = (await context.status()).find((s) => s.name === name);
    return sendJson(res, 200, { ok: true, server });
  }
  if (first === 'servers' && name && action === 'logs' && req.method === 'GET') {
    const query = logQuerySchema.safeParse(Object.fromEntries(url.searchParams));
    if (!query.success)
      throw new SupervisorError('BAD_REQUEST', `bad log query: ${query.error.issues[0]?.message}`);
    const files = context.logFiles(name);
    const wanted =
      query.data.stream === 'all'
        ? [files.out, files.err]
        : [query.data.stream === 'out' ? files.out : files.err];
    if (sub === 'follow') {
      const stream = openEventStream(res);
      const abort = new AbortController();
      stream.onClose(() => abort.abort());
      for (const file of wanted) {
        const isErr = file === files.err;
        followFile(
          file,
          (lines) => stream.send('lines', { stream: isErr ? 'err' : 'out', lines }),
          abort.signal,
        );
      }
      return;
    }
    const lines = await mergedTail(wanted, files.err, query.data.lines);
    return sendJson(res, 200, { server: name, lines });
  }
  if (route === 'POST /reload') return sendJson(res, 200, { ok: true, result: await context.reload() });
  if (route === 'POST /config/validate') {
    const text = (await readBody(req, MAX_BODY_BYTES)).toString('utf8');
    context.validateConfig(text);
    return sendJson(res, 200, { ok: true });
  }
  if (route === 'GET /events') {
    const stream = openEventStream(res);
    const unsubscribe = context.onEvent((type, data) => stream.send(type, data));
    stream.onClose(unsubscribe);
    return;
  }
  if (first === 'keys' && context.keys) {
    if (route === 'GET /keys') return sendJson(res, 200, { keys: context.keys.list() });
    if (route === 'POST /keys') {
      const body = keyCreateSchema.safeParse(await readJson(req, MAX_BODY_BYTES));
      if (!body.success) {
        throw new SupervisorError(
          'BAD_REQUEST',
          `bad key request: ${body.error.issues[0]?.message ?? 'invalid'}`,
        );
      }
      return sendJson(res, 201, context.keys.create(body.data.name, body.data.servers ?? null));
    }
    if (req.method === 'POST' && name && action === 'revoke' && parts.length === 3) {
      const revoked = context.keys.revoke(name);
      if (revoked === 0) throw new SupervisorError('BAD_REQUEST', `no active key with id or name "${name}"`);
      return sendJson(res, 200, { ok: true, revoked });
    }
  }
  if (route === 'POST /stop') {
    sendJson(res, 202, { ok: true, message: 'stopping' });
    setImmediate(() => context.requestStop());
    return;
  }
  const extraAction =
    req.method === 'POST' && parts.length === 3
      ? context.extraPostRoutes?.get(`/${first}/${action}`)
      : undefined;
  if (extraAction && name) return sendJson(res, 200, await extraAction(name));
  const extra = req.method === 'GET' ? context.extraRoutes?.get(`/${parts.join('/')}`) : undefined;
  if (extra) return sendJson(res, 200, await extra(url));
  if (req.method === 'POST') await readJson(req, MAX_BODY_BYTES).catch(() => undefined);
  sendJson(res, 404, { error: { code: 'NOT_FOUND', message: `no control route ${route}` } });
}
