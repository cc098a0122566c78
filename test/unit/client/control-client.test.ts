import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ControlClient, readEventStream } from '../../../supervisor/client/control-client.ts';
import { writeState } from '../../../supervisor/client/state-file.ts';
import { isSupervisorError } from '../../../supervisor/shared/errors.ts';
import { type HomePaths, resolveHome } from '../../../supervisor/shared/home.ts';

const TOKEN = 'a'.repeat(64);

describe('ControlClient', () => {
  let dir: string;
  let paths: HomePaths;
  let server: http.Server;
  let seen: { method?: string; url?: string; authorization?: string; body: string }[];

  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'mcps-control-client-'));
    paths = resolveHome({ home: dir, env: {} });
    seen = [];
    server = http.createServer((req, res) => {
      let body = '';
      req.setEncoding('utf8').on('data', (text: string) => {
        body += text;
      });
      req.on('end', () => {
        seen.push({ method: req.method, url: req.url, authorization: req.headers.authorization, body });
        if (req.url === '/api/status') {
          res.writeHead(200, { 'content-type': 'application/json' }).end('{"servers":[]}');
        } else if (req.url === '/api/events') {
          res.writeHead(200, { 'content-type': 'text/event-stream' });
          res.write('event: server\ndata: {"server":"a"}\n\n');
          res.end('event: config\ndata: 1\n\n');
        } else if (req.url === '/api/slow') {
          // Never answers: the caller's signal ends it.
        } else if (req.url === '/api/not-json') {
          res.writeHead(200).end('<html>');
        } else {
          res
            .writeHead(404, { 'content-type': 'application/json' })
            .end('{"error":{"code":"UNKNOWN_SERVER","message":"no server named \\"x\\""}}');
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    await writeFile(paths.tokenFile, `${TOKEN}\n`);
    await writeState(paths.stateFile, {
      pid: process.pid,
      host: '127.0.0.1',
      port,
      startedAt: Date.now(),
      version: 'test',
    });
  });

  afterEach(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await rm(dir, { recursive: true, force: true });
  });

  it('sends the bearer token and a JSON body, and resolves with the JSON answer', async () => {
    const client = new ControlClient(paths);
    await expect(client.request('GET', '/api/status')).resolves.toEqual({ servers: [] });
    await client.request('POST', '/api/status', { body: '{"a":1}' });
    expect(seen).toEqual([
      { method: 'GET', url: '/api/status', authorization: `Bearer ${TOKEN}`, body: '' },
      { method: 'POST', url: '/api/status', authorization: `Bearer ${TOKEN}`, body: '{"a":1}' },
    ]);
  });

  it("rejects with the supervisor's own error code and message", async () => {
    const error = await new ControlClient(paths).request('GET', '/api/nope').catch((e: unknown) => e);
    expect(isSupervisorError(error, 'UNKNOWN_SERVER')).toBe(true);
    expect((error as Error).message).toBe('no server named "x"');
  });

  it('rejects with CONTROL_API for an answer that is not JSON', async () => {
    const error = await new ControlClient(paths).request('GET', '/api/not-json').catch((e: unknown) => e);
    expect(isSupervisorError(error, 'CONTROL_API')).toBe(true);
  });

  it("rejects with the signal's reason when it aborts", async () => {
    const signal = AbortSignal.timeout(100);
    const error = await new ControlClient(paths)
      .request('GET', '/api/slow', { signal })
      .catch((e: unknown) => e);
    expect((error as Error).name).toBe('TimeoutError');
  });

  it('rejects with NOT_RUNNING when nothing listens on the port', async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const error = await new ControlClient(paths).request('GET', '/api/status').catch((e: unknown) => e);
    expect(isSupervisorError(error, 'NOT_RUNNING')).toBe(true);
    // afterEach closes it again.
    server = http.createServer();
  });

  it('reads an event stream over node:http', async () => {
    const events: [string, unknown][] = [];
    const stream = await new ControlClient(paths).openStream('/api/events', {
      signal: AbortSignal.timeout(5_000),
    });
    await readEventStream(stream, (event, data) => events.push([event, data]));
    expect(events).toEqual([
      ['server', { server: 'a' }],
      ['config', 1],
    ]);
  });
});
