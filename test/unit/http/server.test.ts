import net from 'node:net';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { registerRoutes } from '../../../supervisor/control/router.ts';
import { HttpServer } from '../../../supervisor/http/server.ts';
import { staticFiles } from '../../../supervisor/http/static-files.ts';
import type { Logger } from '../../../supervisor/shared/logger.ts';

const TOKEN = 't'.repeat(64);
const servers: HttpServer[] = [];

/** A logger that keeps what was logged at warn and error. */
function recordingLogger() {
  const lines: { level: string; obj: unknown; msg?: string }[] = [];
  const record = (level: string) => (obj: object | string, msg?: string) => lines.push({ level, obj, msg });
  const logger: Logger = { debug: () => {}, info: () => {}, warn: record('warn'), error: record('error') };
  return { logger, lines };
}

async function serve(logger: Logger): Promise<HttpServer> {
  const http = new HttpServer({ host: '127.0.0.1', port: 0, logger });
  servers.push(http);
  registerRoutes(http, {
    token: TOKEN,
    groups: [{ api: [{ method: 'GET', path: '/things/:id', handle: ({ params }) => ({ id: params.id }) }] }],
  });
  http.route('/ui', staticFiles('/ui', path.join(import.meta.dirname, 'no-such-dir')));
  await http.listen();
  return http;
}

/** Sends `target` as is (fetch would normalise it) and resolves with the status line's code. */
function rawGet(port: number, target: string, headers: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    let text = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      text += chunk;
    });
    socket.on('error', reject);
    socket.on('close', () => resolve(Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0)));
    const lines = [`GET ${target} HTTP/1.1`, `Host: 127.0.0.1:${port}`, 'Connection: close'];
    for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`);
    socket.end(`${lines.join('\r\n')}\r\n\r\n`);
  });
}

afterEach(async () => {
  for (const http of servers.splice(0)) await http.close(0);
});

// Issue 9 item 3: malformed %-encoding under /ui and /api answered 500 with a stack in the log.
describe('HttpServer: malformed request targets', () => {
  it.each([
    ['/api with a bad escape', '/api/things/%zz'],
    ['/api with a truncated UTF-8 escape', '/api/things/%E0%A4%A'],
    ['/ui with a bad escape', '/ui/%zz.js'],
    ['/ui with an invalid UTF-8 sequence', '/ui/%C0%AF'],
    ['an unparsable target', '//['],
  ])('%s → 400, nothing logged as an error', async (_label, target) => {
    const { logger, lines } = recordingLogger();
    const http = await serve(logger);
    expect(await rawGet(http.port, target, { authorization: `Bearer ${TOKEN}` })).toBe(400);
    expect(lines.filter((line) => line.level === 'error')).toEqual([]);
  });

  it('still decodes well-formed escapes', async () => {
    const http = await serve(recordingLogger().logger);
    const response = await fetch(`${http.origin}/api/things/a%20b`, {
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(await response.json()).toEqual({ id: 'a b' });
  });
});
