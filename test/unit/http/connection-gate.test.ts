import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { maxConnectionsFor, openFileLimit } from '../../../supervisor/http/connection-gate.ts';
import { HttpServer, type HttpServerOptions } from '../../../supervisor/http/server.ts';
import { silentLogger } from '../../../supervisor/shared/logger.ts';
import { until } from '../limits/helpers.ts';

const servers: HttpServer[] = [];
const sockets: net.Socket[] = [];
const holds: (() => void)[] = [];

/** A listener with `/health`, `/hang` (answers when the test releases it) and `/echo` (reads the body). */
async function serve(options: Partial<HttpServerOptions> = {}): Promise<HttpServer> {
  const http = new HttpServer({
    host: '127.0.0.1',
    port: 0,
    logger: silentLogger,
    isOwnerRequest: (_req, url) => url.pathname === '/health' || url.pathname === '/owner-hang',
    ...options,
  });
  servers.push(http);
  http.route('/health', (_req, res) => void res.writeHead(200).end('ok'));
  const hang = (_req: unknown, res: { writeHead(s: number): { end(t: string): void } }) =>
    new Promise<void>((resolve) => {
      holds.push(() => {
        res.writeHead(200).end('released');
        resolve();
      });
    });
  http.route('/hang', hang as never);
  http.route('/owner-hang', hang as never);
  http.route('/echo', async (req, res) => {
    let bytes = 0;
    for await (const chunk of req) bytes += (chunk as Buffer).length;
    res.writeHead(200).end(`got ${bytes}`);
  });
  http.route('/slow-answer', async (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    for (let i = 0; i < 5; i++) {
      res.write(`part ${i}\n`);
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
    res.end('done');
  });
  await http.listen();
  return http;
}

/** Opens `count` TCP connections that send nothing; resolves once all are connected. */
async function idleSockets(port: number, count: number, localAddress?: string) {
  const opened: net.Socket[] = [];
  const closed = new Set<net.Socket>();
  await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<void>((resolve) => {
          const socket = net.connect({ host: '127.0.0.1', port, localAddress });
          sockets.push(socket);
          opened.push(socket);
          socket.on('error', () => {});
          socket.on('close', () => closed.add(socket));
          socket.once('connect', () => resolve());
          socket.once('close', () => resolve());
        }),
    ),
  );
  return { opened, closed };
}

/** Sends `head` raw and resolves with what came back once the connection closes. */
function rawExchange(port: number, head: string, options: { trickle?: string; everyMs?: number } = {}) {
  return new Promise<{ text: string; ms: number }>((resolve) => {
    const startedAt = Date.now();
    const socket = net.connect({ host: '127.0.0.1', port });
    sockets.push(socket);
    let text = '';
    let timer: NodeJS.Timeout | undefined;
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      text += chunk;
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      clearInterval(timer);
      resolve({ text, ms: Date.now() - startedAt });
    });
    socket.write(head);
    if (options.trickle !== undefined) {
      timer = setInterval(() => socket.write(options.trickle!), options.everyMs ?? 100);
    }
  });
}

const statusOf = (text: string) => Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0);

afterEach(async () => {
  for (const release of holds.splice(0)) release();
  for (const socket of sockets.splice(0)) socket.destroy();
  for (const http of servers.splice(0)) await http.close(0);
});

describe('maxConnectionsFor', () => {
  it('leaves descriptors for the rest of the supervisor, within bounds', () => {
    expect(maxConnectionsFor(20_000)).toBe(8_192);
    expect(maxConnectionsFor(1_024)).toBe(736);
    expect(maxConnectionsFor(256)).toBe(16);
    expect(maxConnectionsFor(Number.POSITIVE_INFINITY)).toBe(8_192);
    expect(maxConnectionsFor(undefined)).toBe(4_096);
  });

  it('reads the soft open-file limit', () => {
    const text =
      'Limit                     Soft Limit           Hard Limit           Units\nMax open files            1024                 524288               files\n';
    expect(openFileLimit(text)).toBe(1_024);
    expect(openFileLimit('Max open files            unlimited            unlimited            files')).toBe(
      Number.POSITIVE_INFINITY,
    );
    expect(openFileLimit('nothing here')).toBeUndefined();
  });
});

// Issue 9 item 3: 20 000 idle sockets exhausted the descriptors; /health and new clients failed.
describe('HttpServer connection bounds', () => {
  it('an idle flood only pushes out its own oldest connections; /health still answers', async () => {
    const http = await serve({ maxConnections: 20 });
    const flood = await idleSockets(http.port, 100);
    await until(() => http.connectionStats().open <= 20 && flood.closed.size >= 80);
    expect(http.connectionStats().open).toBe(20);
    // The oldest were closed, the newest are held.
    expect(flood.closed.has(flood.opened[0]!)).toBe(true);
    expect(flood.closed.has(flood.opened[99]!)).toBe(false);
    const health = await fetch(`${http.origin}/health`);
    expect(health.status).toBe(200);
    expect(http.connectionStats().evicted).toBeGreaterThanOrEqual(81);
  });

  it('when every connection is busy, reserve connections serve only the owner', async () => {
    const http = await serve({ maxConnections: 3, reserveConnections: 2 });
    const busy = [1, 2, 3].map(() => fetch(`${http.origin}/hang`).then((r) => r.text()));
    await until(() => holds.length === 3);
    const refused = await fetch(`${http.origin}/hang`);
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('1');
    expect(((await refused.json()) as { error: { message: string } }).error.message).toMatch(
      /maxConnections/,
    );
    // (Raw requests with Connection: close: fetch would reuse the idle reserve connection, which
    // a newer one may close to make room — a keep-alive race only a full reserve has.)
    const health = `GET /health HTTP/1.1\r\nHost: 127.0.0.1:${http.port}\r\nConnection: close\r\n\r\n`;
    expect(statusOf((await rawExchange(http.port, health)).text)).toBe(200);
    expect(http.connectionStats().refused.reserved).toBe(1);
    // Past the reserve (two owner requests hold it), new connections are closed at once.
    const owners = [1, 2].map(() => fetch(`${http.origin}/owner-hang`).then((r) => r.text()));
    await until(() => holds.length === 5);
    expect(statusOf((await rawExchange(http.port, health)).text)).toBe(0);
    expect(http.connectionStats().refused.total).toBe(1);
    for (const release of holds.splice(0)) release();
    expect(await Promise.all([...busy, ...owners])).toEqual(Array(5).fill('released'));
  });

  it('bounds one remote address without touching the connections of another', async () => {
    const http = await serve({ maxConnections: 100, maxConnectionsPerAddress: 3 });
    const other = await idleSockets(http.port, 3, '127.0.0.3');
    const flood = await idleSockets(http.port, 30, '127.0.0.2');
    await until(() => flood.closed.size >= 27);
    expect(other.closed.size).toBe(0);
    expect(http.connectionStats().open).toBe(6);
  });
});

// Issue 9 item 3: a body sent slowly was held forever (requestTimeout 0).
describe('HttpServer request timeouts', () => {
  it('answers 408 to a body that does not arrive within receiveTimeoutMs, and counts it', async () => {
    const http = await serve({ receiveTimeoutMs: 600, headersTimeoutMs: 300 });
    const head = `POST /echo HTTP/1.1\r\nHost: 127.0.0.1:${http.port}\r\nContent-Length: 1000\r\n\r\n`;
    const { text, ms } = await rawExchange(http.port, head, { trickle: 'x', everyMs: 50 });
    expect(statusOf(text)).toBe(408);
    expect(ms).toBeLessThan(3_000);
    expect(http.connectionStats().refused.timeout).toBe(1);
  });

  it('answers 408 to headers that do not arrive within headersTimeoutMs', async () => {
    const http = await serve({ receiveTimeoutMs: 5_000, headersTimeoutMs: 300 });
    const { text, ms } = await rawExchange(http.port, 'GET /health HTTP/1.1\r\n', {
      trickle: 'X',
      everyMs: 50,
    });
    expect(statusOf(text)).toBe(408);
    expect(ms).toBeLessThan(3_000);
  });

  it('does not time the answer: a response streaming past receiveTimeoutMs completes', async () => {
    const http = await serve({ receiveTimeoutMs: 400, headersTimeoutMs: 200 });
    const response = await fetch(`${http.origin}/slow-answer`);
    expect(await response.text()).toMatch(/part 4\ndone$/);
  });

  it('answers 400 to a request HTTP cannot parse, and counts it', async () => {
    const http = await serve();
    const { text } = await rawExchange(http.port, 'NOT HTTP AT ALL\r\n\r\n');
    expect(statusOf(text)).toBe(400);
    expect(http.connectionStats().refused.malformed).toBe(1);
  });
});
