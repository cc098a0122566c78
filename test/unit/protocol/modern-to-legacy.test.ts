import { describe, expect, it } from 'vitest';
import {
  discoverResult,
  routeModernRequest,
  shouldRelayLog,
  stripEnvelope,
  toModernError,
  toModernResult,
} from '../../../supervisor/protocol/modern-to-legacy.ts';

const ENVELOPE = {
  'io.modelcontextprotocol/protocolVersion': '2026-07-28',
  'io.modelcontextprotocol/clientInfo': { name: 'c', version: '1' },
  'io.modelcontextprotocol/clientCapabilities': {},
  'io.modelcontextprotocol/logLevel': 'info',
};

describe('routeModernRequest', () => {
  it('forwards a tool call without the envelope, keeping progressToken and trace context', () => {
    const route = routeModernRequest('tools/call', {
      name: 'echo',
      arguments: { a: 1 },
      _meta: { ...ENVELOPE, progressToken: 'p1', traceparent: '00-ab-cd-01' },
    });
    expect(route).toEqual({
      kind: 'forward',
      method: 'tools/call',
      params: {
        name: 'echo',
        arguments: { a: 1 },
        _meta: { progressToken: 'p1', traceparent: '00-ab-cd-01' },
      },
    });
  });

  it('drops an _meta that held only the envelope', () => {
    expect(routeModernRequest('tools/list', { _meta: ENVELOPE })).toEqual({
      kind: 'forward',
      method: 'tools/list',
      params: {},
    });
  });

  it('answers server/discover and subscriptions/listen at the gateway', () => {
    expect(routeModernRequest('server/discover', { _meta: ENVELOPE })).toEqual({ kind: 'discover' });
    expect(
      routeModernRequest('subscriptions/listen', {
        _meta: ENVELOPE,
        notifications: { toolsListChanged: true },
      }),
    ).toEqual({
      kind: 'listen',
      filter: { toolsListChanged: true },
    });
  });

  it('refuses the methods 2026-07-28 removed with -32601 and HTTP 404', () => {
    for (const method of [
      'initialize',
      'ping',
      'logging/setLevel',
      'resources/subscribe',
      'resources/unsubscribe',
    ]) {
      expect(routeModernRequest(method, { _meta: ENVELOPE })).toMatchObject({
        kind: 'error',
        httpStatus: 404,
        code: -32601,
      });
    }
  });

  it('hands a retry with requestState to the MRTR machine, and refuses inputResponses without state', () => {
    expect(
      routeModernRequest('tools/call', {
        name: 'x',
        _meta: ENVELOPE,
        requestState: 'st',
        inputResponses: { k: { action: 'accept' } },
      }),
    ).toEqual({
      kind: 'mrtr-retry',
      method: 'tools/call',
      params: { name: 'x' },
      requestState: 'st',
      inputResponses: { k: { action: 'accept' } },
    });
    expect(routeModernRequest('tools/call', { name: 'x', inputResponses: {} })).toMatchObject({
      kind: 'error',
      code: -32602,
    });
  });
});

describe('stripEnvelope', () => {
  it('returns the same object when nothing is to strip (no copy on the hot path)', () => {
    const params = { name: 'x', _meta: { progressToken: 1 } };
    expect(stripEnvelope(params)).toBe(params);
    expect(stripEnvelope(undefined)).toBeUndefined();
  });

  it('lifts off the envelope and the MRTR fields, keeping every other field in its order', () => {
    const params = {
      name: 'x',
      requestState: 'st',
      _meta: { ...ENVELOPE, progressToken: 1, 'vendor/key': { a: 1 } },
      arguments: { a: 1 },
      inputResponses: { r1: {} },
    };
    const stripped = stripEnvelope(params);
    expect(stripped).toEqual({
      name: 'x',
      arguments: { a: 1 },
      _meta: { progressToken: 1, 'vendor/key': { a: 1 } },
    });
    expect(Object.keys(stripped ?? {})).toEqual(['name', 'arguments', '_meta']);
    // The client's own objects are not changed.
    expect(params._meta['io.modelcontextprotocol/protocolVersion']).toBe('2026-07-28');
    expect(stripEnvelope({ requestState: 'st' })).toEqual({});
  });
});

describe('toModernResult', () => {
  const serverInfo = { name: 'srv', version: '2' };
  it('adds resultType, serverInfo and the cache hint to a cacheable list', () => {
    expect(toModernResult('tools/list', { tools: [] }, serverInfo)).toEqual({
      tools: [],
      resultType: 'complete',
      _meta: { 'io.modelcontextprotocol/serverInfo': serverInfo },
      ttlMs: 0,
      cacheScope: 'private',
    });
  });
  it('adds no cache hint to a tool call and keeps what the server set', () => {
    const result = toModernResult('tools/call', { content: [], _meta: { x: 1 } }, serverInfo);
    expect(result).toEqual({
      content: [],
      resultType: 'complete',
      _meta: { x: 1, 'io.modelcontextprotocol/serverInfo': serverInfo },
    });
    expect(
      toModernResult('resources/read', { contents: [], ttlMs: 5, cacheScope: 'public' }, undefined),
    ).toMatchObject({ ttlMs: 5, cacheScope: 'public' });
  });
});

describe('toModernError', () => {
  it('maps the 2025 resource-not-found -32002 to -32602 and passes others', () => {
    expect(toModernError({ code: -32002, message: 'nope', data: { uri: 'x' } })).toEqual({
      code: -32602,
      message: 'nope',
      data: { uri: 'x' },
    });
    const other = { code: -32603, message: 'boom' };
    expect(toModernError(other)).toBe(other);
  });
});

describe('discoverResult', () => {
  it('is built from the upstream InitializeResult with the revisions the gateway serves', () => {
    const result = discoverResult(
      {
        protocolVersion: '2025-11-25',
        capabilities: { tools: {} },
        serverInfo: { name: 's', version: '1' },
        instructions: 'hi',
      },
      ['2026-07-28', '2025-11-25'],
    );
    expect(result).toEqual({
      resultType: 'complete',
      supportedVersions: ['2026-07-28', '2025-11-25'],
      capabilities: { tools: {} },
      instructions: 'hi',
      _meta: { 'io.modelcontextprotocol/serverInfo': { name: 's', version: '1' } },
      ttlMs: 0,
      cacheScope: 'private',
    });
  });
});

describe('shouldRelayLog', () => {
  it('relays only when the request asked for a level and the message is at least that severe', () => {
    expect(shouldRelayLog(undefined, 'error')).toBe(false);
    expect(shouldRelayLog('warning', 'info')).toBe(false);
    expect(shouldRelayLog('warning', 'error')).toBe(true);
    expect(shouldRelayLog('debug', 'debug')).toBe(true);
  });
});
