import { afterEach, describe, expect, it } from 'vitest';
import { type RouteGroup, registerRoutes } from '../../../supervisor/control/router.ts';
import { HttpServer } from '../../../supervisor/http/server.ts';
import { SupervisorError } from '../../../supervisor/shared/errors.ts';
import { silentLogger } from '../../../supervisor/shared/logger.ts';

const TOKEN = 't'.repeat(64);
const servers: HttpServer[] = [];

async function serve(groups: RouteGroup[]): Promise<string> {
  const http = new HttpServer({ host: '127.0.0.1', port: 0, logger: silentLogger });
  servers.push(http);
  registerRoutes(http, { token: TOKEN, groups });
  await http.listen();
  return http.origin;
}

function call(origin: string, method: string, path: string, body?: string) {
  return fetch(`${origin}${path}`, {
    method,
    headers: { authorization: `Bearer ${TOKEN}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body,
  });
}

afterEach(async () => {
  for (const http of servers.splice(0)) await http.close(0);
});

describe('registerRoutes', () => {
  const groups: RouteGroup[] = [
    {
      api: [
        { method: 'GET', path: '/things', handle: () => ({ things: [1, 2] }) },
        {
          method: 'POST',
          path: '/things/:id/:verb',
          status: 202,
          handle: ({ params }) => ({ id: params.id, verb: params.verb }),
        },
        {
          method: 'GET',
          path: '/broken',
          handle: () => {
            throw new SupervisorError('UNKNOWN_SERVER', 'no server named "x"');
          },
        },
        {
          method: 'GET',
          path: '/stream',
          isStream: true,
          handle: ({ res }) => {
            res.writeHead(200, { 'content-type': 'text/plain' }).end('streamed');
          },
        },
      ],
      public: [{ prefix: '/open', handler: (_req, res) => void res.writeHead(204).end() }],
    },
  ];

  it('answers a route with its body and status, path segments decoded', async () => {
    const origin = await serve(groups);
    const list = await call(origin, 'GET', '/api/things');
    expect(list.status).toBe(200);
    expect(await list.json()).toEqual({ things: [1, 2] });
    const action = await call(origin, 'POST', '/api/things/a%20b/ack');
    expect(action.status).toBe(202);
    expect(await action.json()).toEqual({ id: 'a b', verb: 'ack' });
    expect(await (await call(origin, 'GET', '/api/stream')).text()).toBe('streamed');
  });

  it('maps a thrown SupervisorError to its HTTP status', async () => {
    const origin = await serve(groups);
    const response = await call(origin, 'GET', '/api/broken');
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({
      error: { code: 'UNKNOWN_SERVER', message: 'no server named "x"' },
    });
  });

  it('is a 404 naming the route for another method or path, after reading a POST body', async () => {
    const origin = await serve(groups);
    const wrongMethod = await call(origin, 'POST', '/api/things', '{"a":1}');
    expect(wrongMethod.status).toBe(404);
    expect(await wrongMethod.json()).toEqual({
      error: { code: 'NOT_FOUND', message: 'no control route POST /things' },
    });
    expect((await call(origin, 'GET', '/api/things/1/ack/more')).status).toBe(404);
  });

  it('needs the token under /api, not on public routes', async () => {
    const origin = await serve(groups);
    const anonymous = await fetch(`${origin}/api/things`);
    expect(anonymous.status).toBe(401);
    expect(((await anonymous.json()) as { error: { code: string } }).error.code).toBe('UNAUTHORIZED');
    expect((await fetch(`${origin}/open`)).status).toBe(204);
  });
});
