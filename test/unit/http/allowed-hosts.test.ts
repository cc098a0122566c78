import http from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { HttpServer } from '../../../supervisor/http/server.ts';
import { silentLogger } from '../../../supervisor/shared/logger.ts';

// The listener's Host check (DNS-rebinding protection), with the allowlist a supervisor bound to
// 0.0.0.0 in a container needs: clients, Prometheus and probes name it by a DNS name or an IP.

const servers: HttpServer[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await server.close(0);
});

async function listen(allowedHosts?: string[]): Promise<HttpServer> {
  const server = new HttpServer({ host: '127.0.0.1', port: 0, logger: silentLogger, allowedHosts });
  server.route('/ping', (_req, res) => {
    res.writeHead(200);
    res.end('pong');
  });
  await server.listen();
  servers.push(server);
  return server;
}

/** The status of `GET /ping` sent with exactly this `Host` header (fetch cannot set it). */
function statusWithHost(port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: '/ping', headers: { host } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.once('error', reject);
    req.end();
  });
}

describe('HttpServer Host check', () => {
  it('accepts its own address and loopback aliases, refuses other names', async () => {
    const server = await listen();
    const { port } = server;
    expect(await statusWithHost(port, `127.0.0.1:${port}`)).toBe(200);
    expect(await statusWithHost(port, `localhost:${port}`)).toBe(200);
    expect(await statusWithHost(port, `supervisor-1:${port}`)).toBe(403);
    expect(await statusWithHost(port, `127.0.0.1:${port + 1}`)).toBe(403);
  });

  it('accepts allowedHosts: name:port exactly, a bare name with no port or on its own port', async () => {
    const server = await listen(['supervisor-1', 'other:1234', 'Mcp.Example.com']);
    const { port } = server;
    expect(await statusWithHost(port, `supervisor-1:${port}`)).toBe(200);
    expect(await statusWithHost(port, 'SUPERVISOR-1')).toBe(200);
    expect(await statusWithHost(port, `supervisor-1:${port + 1}`)).toBe(403);
    expect(await statusWithHost(port, 'other:1234')).toBe(200);
    expect(await statusWithHost(port, `other:${port}`)).toBe(403);
    expect(await statusWithHost(port, 'mcp.example.com')).toBe(200);
    expect(await statusWithHost(port, `evil.example:${port}`)).toBe(403);
    // A browser page served under an allowed name may call the API (its Origin names the host).
    expect(server.isAllowedOrigin(`http://supervisor-1:${port}`)).toBe(true);
    expect(server.isAllowedOrigin(`http://evil.example:${port}`)).toBe(false);
  });
});
