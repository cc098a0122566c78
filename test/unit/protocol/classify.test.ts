import { describe, expect, it } from 'vitest';
import {
  classifyHttpRequest,
  decodeHeaderValue,
  type IncomingHttpRequest,
} from '../../../supervisor/protocol/classify.ts';
import { RPC_CODES } from '../../../supervisor/protocol/revisions.ts';

const CAPS = { sampling: {} };
function modernBody(
  method: string,
  params: Record<string, unknown> = {},
  revision = '2026-07-28',
  id: number | string = 7,
) {
  return {
    jsonrpc: '2.0',
    id,
    method,
    params: {
      ...params,
      _meta: {
        'io.modelcontextprotocol/protocolVersion': revision,
        'io.modelcontextprotocol/clientInfo': { name: 'c', version: '1' },
        'io.modelcontextprotocol/clientCapabilities': CAPS,
      },
    },
  };
}
function post(body: unknown, headers: Record<string, string> = {}): IncomingHttpRequest {
  return { httpMethod: 'POST', body, header: (name) => headers[name] };
}
function modernHeaders(method: string, revision = '2026-07-28', extra: Record<string, string> = {}) {
  return { 'mcp-protocol-version': revision, 'mcp-method': method, ...extra };
}

describe('classifyHttpRequest', () => {
  it('reads a modern request: revision, capabilities and client info from its own _meta', () => {
    const c = classifyHttpRequest(post(modernBody('tools/list'), modernHeaders('tools/list')));
    expect(c).toMatchObject({
      era: 'modern',
      kind: 'request',
      envelope: { revision: '2026-07-28', clientCapabilities: CAPS, clientInfo: { name: 'c' } },
    });
  });

  it('answers an unknown modern revision with -32022, our supported list and the request id', () => {
    const c = classifyHttpRequest(
      post(modernBody('tools/list', {}, '2027-01-01', 'abc'), modernHeaders('tools/list', '2027-01-01')),
    );
    expect(c).toEqual({
      era: 'reject',
      httpStatus: 400,
      response: {
        jsonrpc: '2.0',
        id: 'abc',
        error: expect.objectContaining({
          code: RPC_CODES.unsupportedProtocolVersion,
          data: {
            supported: ['2026-07-28', '2025-11-25', '2025-06-18', '2025-03-26'],
            requested: '2027-01-01',
          },
        }),
      },
    });
  });

  it('rejects a legacy date inside a modern envelope with -32022 (the spec example: 1900-01-01)', () => {
    const c = classifyHttpRequest(
      post(modernBody('tools/list', {}, '1900-01-01'), modernHeaders('tools/list', '1900-01-01')),
    );
    expect(c).toMatchObject({
      era: 'reject',
      httpStatus: 400,
      response: { id: 7, error: { code: -32022, data: { requested: '1900-01-01' } } },
    });
  });

  it('rejects 2026-07-28 with -32022 where the endpoint is narrowed to 2025 (a 2025 upstream without translation)', () => {
    const c = classifyHttpRequest(post(modernBody('tools/list'), modernHeaders('tools/list')), {
      supported: ['2025-11-25'],
    });
    expect(c).toMatchObject({
      era: 'reject',
      response: { error: { code: -32022, data: { supported: ['2025-11-25'] } } },
    });
  });

  it('requires MCP-Protocol-Version and Mcp-Method on a modern request (-32020)', () => {
    const cases: Record<string, string>[] = [
      { 'mcp-method': 'tools/list' },
      { 'mcp-protocol-version': '2026-07-28' },
    ];
    for (const headers of cases) {
      const c = classifyHttpRequest(post(modernBody('tools/list'), headers));
      expect(c).toMatchObject({
        era: 'reject',
        httpStatus: 400,
        response: { id: 7, error: { code: RPC_CODES.headerMismatch } },
      });
    }
  });

  it('requires Mcp-Name on tools/call and checks it against the body, base64 sentinel decoded', () => {
    const body = modernBody('tools/call', { name: 'echo', arguments: {} });
    expect(classifyHttpRequest(post(body, modernHeaders('tools/call')))).toMatchObject({
      response: { error: { code: -32020 } },
    });
    expect(
      classifyHttpRequest(post(body, modernHeaders('tools/call', '2026-07-28', { 'mcp-name': 'other' }))),
    ).toMatchObject({
      response: { error: { code: -32020, message: expect.stringContaining("'other'") } },
    });
    const encoded = `=?base64?${Buffer.from('echo').toString('base64')}?=`;
    expect(
      classifyHttpRequest(post(body, modernHeaders('tools/call', '2026-07-28', { 'mcp-name': encoded }))),
    ).toMatchObject({ era: 'modern' });
  });

  it('rejects a header naming another revision than the body (-32020)', () => {
    const c = classifyHttpRequest(post(modernBody('tools/list'), modernHeaders('tools/list', '2025-11-25')));
    expect(c).toMatchObject({
      era: 'reject',
      httpStatus: 400,
      response: { error: { code: RPC_CODES.headerMismatch } },
    });
  });

  it('rejects a modern envelope without clientCapabilities with -32602 (basic/index#meta)', () => {
    const body = {
      jsonrpc: '2.0',
      id: 1,
      method: 'tools/list',
      params: { _meta: { 'io.modelcontextprotocol/protocolVersion': '2026-07-28' } },
    };
    expect(classifyHttpRequest(post(body, modernHeaders('tools/list')))).toMatchObject({
      era: 'reject',
      httpStatus: 400,
      response: { id: 1, error: { code: -32602 } },
    });
  });

  it('routes initialize, session requests and GET/DELETE to the legacy era with their revision and session', () => {
    const init = {
      jsonrpc: '2.0',
      id: 0,
      method: 'initialize',
      params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'x', version: '1' } },
    };
    expect(classifyHttpRequest(post(init))).toEqual({
      era: 'legacy',
      reason: 'initialize',
      revision: '2025-06-18',
    });
    const list = { jsonrpc: '2.0', id: 1, method: 'tools/list' };
    expect(
      classifyHttpRequest(post(list, { 'mcp-protocol-version': '2025-11-25', 'mcp-session-id': 's1' })),
    ).toEqual({
      era: 'legacy',
      reason: 'no-claim',
      revision: '2025-11-25',
      sessionId: 's1',
    });
    expect(classifyHttpRequest(post(list))).toMatchObject({ era: 'legacy', revision: '2025-03-26' });
    expect(
      classifyHttpRequest({ httpMethod: 'GET', header: (n) => (n === 'mcp-session-id' ? 's1' : undefined) }),
    ).toMatchObject({ era: 'legacy', reason: 'http-method', sessionId: 's1' });
  });

  it('answers an unsupported 2025-era header with -32022 carrying the request id, not -32600 with id null', () => {
    const c = classifyHttpRequest(
      post({ jsonrpc: '2.0', id: 9, method: 'tools/list' }, { 'mcp-protocol-version': '2024-01-01' }),
    );
    expect(c).toMatchObject({
      era: 'reject',
      httpStatus: 400,
      response: { id: 9, error: { code: -32022, data: { requested: '2024-01-01' } } },
    });
  });

  it('answers a body that is not JSON with -32700 and id null, and a non-JSON-RPC body with -32600', () => {
    expect(
      classifyHttpRequest({
        httpMethod: 'POST',
        bodyParseError: 'Unexpected token',
        header: () => undefined,
      }),
    ).toMatchObject({
      era: 'reject',
      httpStatus: 400,
      response: { id: null, error: { code: -32700 } },
    });
    expect(classifyHttpRequest(post({ hello: 1 }))).toMatchObject({
      era: 'reject',
      httpStatus: 400,
      response: { error: { code: -32600 } },
    });
  });

  it('classifies a modern notification', () => {
    const note = {
      jsonrpc: '2.0',
      method: 'notifications/cancelled',
      params: { requestId: 1, _meta: { 'io.modelcontextprotocol/protocolVersion': '2026-07-28' } },
    };
    expect(classifyHttpRequest(post(note, modernHeaders('notifications/cancelled')))).toMatchObject({
      era: 'modern',
      kind: 'notification',
      revision: '2026-07-28',
    });
  });
});

describe('decodeHeaderValue', () => {
  it('passes plain values, decodes the sentinel, refuses a broken one', () => {
    expect(decodeHeaderValue('us-west1')).toBe('us-west1');
    expect(decodeHeaderValue('=?base64?SGVsbG8sIOS4lueVjA==?=')).toBe('Hello, 世界');
    expect(decodeHeaderValue('=?base64?***?=')).toBeUndefined();
  });
});
