/**
 * Protocol errors at the gateway's HTTP edge, with raw requests: DNS-rebinding checks (Origin,
 * Host), malformed JSON, wrong JSON-RPC shapes, missing and unknown sessions, unknown servers, the
 * body size limit, the GET stream without a session, and DELETE. None of them may hurt the
 * supervisor: it answers `/health` afterwards.
 */
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type SupervisorProcess,
  startSupervisorProcess,
  type TempHome,
  tempHome,
  testServers,
} from '../../helpers/index.ts';
import { mcpHeaders, mcpUrl, rawInitialize, rawPost, stopAndCheck } from './helpers.ts';

const MAX_BODY_BYTES = 2_048;
const TRUSTED_ORIGIN = 'http://trusted.example:3000';

/** A request with full control of the headers (fetch may not set `Host`). */
function rawHttp(
  port: number,
  options: { method: string; path: string; headers: Record<string, string>; body?: string },
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port, method: options.method, path: options.path, headers: options.headers },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          text += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

const TOOLS_LIST = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' });

describe('gateway HTTP and JSON-RPC errors', () => {
  let home: TempHome;
  let supervisor: SupervisorProcess;
  let url: URL;
  let session: string;

  beforeAll(async () => {
    home = await tempHome();
    supervisor = await startSupervisorProcess({
      home: home.path,
      config: {
        mcpServers: { everything: testServers.everythingStdio(home.path, 'everything') },
        supervisor: {
          gateway: { auth: 'none', maxBodyBytes: MAX_BODY_BYTES, allowedOrigins: [TRUSTED_ORIGIN] },
        },
      },
    });
    url = mcpUrl(supervisor.port, 'everything');
    session = await rawInitialize(url);
  });

  afterAll(async () => {
    await stopAndCheck(supervisor, home);
  }, 120_000);

  describe('DNS rebinding', () => {
    it('a foreign Origin → 403, and the request goes nowhere', async () => {
      for (const target of [mcpUrl(supervisor.port), url]) {
        const response = await rawPost(target, TOOLS_LIST, {
          origin: 'http://evil.example',
          'mcp-session-id': session,
        });
        expect(response.status, target.pathname).toBe(403);
      }
    });

    it('a foreign Host → 403', async () => {
      const response = await rawHttp(supervisor.port, {
        method: 'POST',
        path: '/mcp/everything',
        headers: { ...mcpHeaders({ 'mcp-session-id': session }), host: `evil.example:${supervisor.port}` },
        body: TOOLS_LIST,
      });
      expect(response.status).toBe(403);
    });

    it("the listener's own origin and a configured one are allowed", async () => {
      for (const origin of [
        `http://127.0.0.1:${supervisor.port}`,
        `http://localhost:${supervisor.port}`,
        TRUSTED_ORIGIN,
      ]) {
        const response = await rawPost(url, TOOLS_LIST, { origin, 'mcp-session-id': session });
        expect(response.status, origin).toBe(200);
        expect(response.body?.result?.tools, origin).toBeInstanceOf(Array);
      }
    });
  });

  describe('bodies', () => {
    it('malformed JSON → 400 with -32700', async () => {
      const response = await rawPost(url, '{"jsonrpc": "2.0", "id": 1, "method": ', {
        'mcp-session-id': session,
      });
      expect(response.status).toBe(400);
      expect(response.body?.error?.code).toBe(-32700);
      expect(response.body?.id).toBeNull();
    });

    it.each([
      ['not an object', '"tools/list"'],
      ['jsonrpc missing', JSON.stringify({ id: 1, method: 'tools/list' })],
      ['jsonrpc 1.0', JSON.stringify({ jsonrpc: '1.0', id: 1, method: 'tools/list' })],
      ['method a number', JSON.stringify({ jsonrpc: '2.0', id: 1, method: 42 })],
      ['empty method', JSON.stringify({ jsonrpc: '2.0', id: 1, method: '' })],
      ['params an array', JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list', params: [1] })],
      ['id an object', JSON.stringify({ jsonrpc: '2.0', id: { a: 1 }, method: 'tools/list' })],
      ['neither method nor result', JSON.stringify({ jsonrpc: '2.0', id: 1 })],
      ['a batch', JSON.stringify([{ jsonrpc: '2.0', id: 1, method: 'tools/list' }])],
    ])('wrong JSON-RPC shape (%s) → 400 with -32600', async (_label, body) => {
      const response = await rawPost(url, body, { 'mcp-session-id': session });
      expect(response.status, response.text).toBe(400);
      expect(response.body?.error?.code).toBe(-32600);
      expect(response.body?.error?.message).toEqual(expect.any(String));
    });

    it('the id of a wrongly shaped request comes back when it is readable', async () => {
      const response = await rawPost(
        url,
        JSON.stringify({ jsonrpc: '1.0', id: 'abc', method: 'tools/list' }),
        {
          'mcp-session-id': session,
        },
      );
      expect(response.status).toBe(400);
      expect(response.body?.id).toBe('abc');
    });

    it(`a body over maxBodyBytes (${MAX_BODY_BYTES}) → 413`, async () => {
      const big = JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'tools/call',
        params: { name: 'echo', arguments: { message: 'x'.repeat(MAX_BODY_BYTES) } },
      });
      const declared = await rawPost(url, big, { 'mcp-session-id': session });
      expect(declared.status).toBe(413);
      expect(declared.body?.error?.message).toMatch(/maxBodyBytes/);
    });

    it('a chunked body over maxBodyBytes (no Content-Length) → 413', async () => {
      const chunk = new TextEncoder().encode(' '.repeat(1_024));
      let sent = 0;
      const stream = new ReadableStream<Uint8Array>({
        pull(controller) {
          if (sent++ < 8) controller.enqueue(chunk);
          else controller.close();
        },
      });
      const response = await fetch(url, {
        method: 'POST',
        headers: mcpHeaders({ 'mcp-session-id': session }),
        body: stream,
        duplex: 'half',
      } as RequestInit);
      expect(response.status).toBe(413);
      await response.text();
    });

    it('a body just under the limit is served', async () => {
      const message = 'y'.repeat(MAX_BODY_BYTES - 200);
      const body = JSON.stringify({
        jsonrpc: '2.0',
        id: 2,
        method: 'tools/call',
        params: { name: 'echo', arguments: { message } },
      });
      expect(Buffer.byteLength(body)).toBeLessThanOrEqual(MAX_BODY_BYTES);
      const response = await fetch(url, {
        method: 'POST',
        headers: { ...mcpHeaders({ 'mcp-session-id': session }), accept: 'application/json' },
        body,
      });
      expect(response.status).toBe(200);
      expect(
        ((await response.json()) as { result: { content: { text: string }[] } }).result.content[0]?.text,
      ).toBe(`Echo: ${message}`);
    });
  });

  describe('sessions and endpoints', () => {
    it('a request without a session → 400', async () => {
      const response = await rawPost(url, TOOLS_LIST);
      expect(response.status).toBe(400);
      expect(response.body?.error?.message).toMatch(/Mcp-Session-Id/i);
    });

    it('an unknown session → 404', async () => {
      const response = await rawPost(url, TOOLS_LIST, { 'mcp-session-id': 'no-such-session' });
      expect(response.status).toBe(404);
      expect(response.body?.error).toBeDefined();
    });

    it('a session of another endpoint is unknown here → 404', async () => {
      const response = await rawPost(mcpUrl(supervisor.port), TOOLS_LIST, { 'mcp-session-id': session });
      expect(response.status).toBe(404);
    });

    it('an unknown server /mcp/nope → 404', async () => {
      const response = await rawPost(mcpUrl(supervisor.port, 'nope'), TOOLS_LIST);
      expect(response.status).toBe(404);
      expect(response.body?.error?.message).toMatch(/nope/);
    });

    it('GET and DELETE without a session → 405 Allow: POST (2026-07-28 clients only POST)', async () => {
      for (const method of ['GET', 'DELETE']) {
        const response = await fetch(url, { method, headers: { accept: 'text/event-stream' } });
        expect(response.status, method).toBe(405);
        expect(response.headers.get('allow'), method).toBe('POST');
        expect(((await response.json()) as { error: { message: string } }).error.message).toMatch(
          /Mcp-Session-Id/,
        );
      }
    });

    it('GET with an unknown session → 404', async () => {
      const response = await fetch(url, {
        headers: { accept: 'text/event-stream', 'mcp-session-id': 'nope' },
      });
      expect(response.status).toBe(404);
      await response.text();
    });

    it('a method other than GET, POST, DELETE → 405', async () => {
      const response = await fetch(url, { method: 'PUT', headers: mcpHeaders(), body: TOOLS_LIST });
      expect(response.status).toBe(405);
      await response.text();
    });

    it('DELETE ends the session; it is unknown afterwards (404)', async () => {
      const own = await rawInitialize(url);
      const before = await rawPost(url, TOOLS_LIST, { 'mcp-session-id': own });
      expect(before.status).toBe(200);
      const deleted = await fetch(url, { method: 'DELETE', headers: { 'mcp-session-id': own } });
      expect(deleted.status).toBe(200);
      await deleted.text();
      const after = await rawPost(url, TOOLS_LIST, { 'mcp-session-id': own });
      expect(after.status).toBe(404);
      const again = await fetch(url, { method: 'DELETE', headers: { 'mcp-session-id': own } });
      expect(again.status).toBe(404);
      await again.text();
    });
  });

  describe('the 2026-07-28 edge, on the same endpoint (issue 12)', () => {
    const ENVELOPE = {
      'io.modelcontextprotocol/protocolVersion': '2026-07-28',
      'io.modelcontextprotocol/clientInfo': { name: 'raw-fetch', version: '1.0.0' },
      'io.modelcontextprotocol/clientCapabilities': {},
    };
    const modern = (id: number, method: string, revision = '2026-07-28') =>
      rawPost(
        url,
        JSON.stringify({
          jsonrpc: '2.0',
          id,
          method,
          params: { _meta: { ...ENVELOPE, 'io.modelcontextprotocol/protocolVersion': revision } },
        }),
        { 'mcp-protocol-version': revision, 'mcp-method': method },
      );

    it('a 2026-07-28 request without a session is served, with resultType', async () => {
      const response = await modern(21, 'tools/list');
      expect(response.status, response.text).toBe(200);
      expect(response.body?.id).toBe(21);
      expect(response.body?.result?.resultType).toBe('complete');
      expect(Array.isArray(response.body?.result?.tools)).toBe(true);
    });

    it('an unknown revision → 400 -32022 with the supported list and the request’s own id', async () => {
      const response = await modern(22, 'tools/list', '2027-01-01');
      expect(response.status, response.text).toBe(400);
      expect(response.body?.id).toBe(22);
      expect(response.body?.error?.code).toBe(-32022);
      expect(response.body?.error?.data).toMatchObject({
        requested: '2027-01-01',
        supported: expect.arrayContaining(['2026-07-28', '2025-11-25']),
      });
    });

    it('an unknown 2025-era MCP-Protocol-Version on a session → -32022 with its id, not -32600 with id null', async () => {
      const response = await rawPost(url, JSON.stringify({ jsonrpc: '2.0', id: 23, method: 'tools/list' }), {
        'mcp-session-id': session,
        'mcp-protocol-version': '2024-01-01',
      });
      expect(response.status, response.text).toBe(400);
      expect(response.body?.id).toBe(23);
      expect(response.body?.error?.code).toBe(-32022);
    });

    it('a method 2026-07-28 removed (ping) → 404 -32601', async () => {
      const response = await modern(24, 'ping');
      expect(response.status, response.text).toBe(404);
      expect(response.body?.id).toBe(24);
      expect(response.body?.error?.code).toBe(-32601);
    });
  });

  it('still answers /health and serves the first session after all of it', async () => {
    const health = await fetch(`http://127.0.0.1:${supervisor.port}/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: 'ok' });
    const response = await rawPost(url, TOOLS_LIST, { 'mcp-session-id': session });
    expect(response.status).toBe(200);
    expect(supervisor.child.exitCode).toBeNull();
  });
});
