import { describe, expect, it } from 'vitest';
import {
  initializeResultFromDiscover,
  LegacySession,
  toLegacyNotification,
  toLegacyResult,
} from '../../../supervisor/protocol/legacy-session.ts';

function session() {
  return new LegacySession({
    revision: '2025-11-25',
    clientInfo: { name: 'old', version: '1' },
    capabilities: { sampling: {} },
  });
}

describe('LegacySession', () => {
  it('sends each request upstream with the session envelope beside the client own _meta', () => {
    const route = session().route('tools/call', { name: 'echo', _meta: { progressToken: 3 } });
    expect(route).toEqual({
      kind: 'forward',
      method: 'tools/call',
      params: {
        name: 'echo',
        _meta: {
          progressToken: 3,
          'io.modelcontextprotocol/protocolVersion': '2026-07-28',
          'io.modelcontextprotocol/clientInfo': { name: 'old', version: '1' },
          'io.modelcontextprotocol/clientCapabilities': { sampling: {} },
        },
      },
    });
  });

  it('answers ping locally and carries logging/setLevel as the per-request logLevel', () => {
    const s = session();
    expect(s.route('ping', undefined)).toEqual({ kind: 'local', result: {} });
    expect(s.route('logging/setLevel', { level: 'warning' })).toEqual({ kind: 'local', result: {} });
    const route = s.route('tools/list', undefined);
    expect(route.kind === 'forward' && route.params._meta).toMatchObject({
      'io.modelcontextprotocol/logLevel': 'warning',
    });
  });

  it('keeps resources/subscribe in the session and builds the upstream listen filter from it', () => {
    const s = session();
    expect(s.route('resources/subscribe', { uri: 'file:///a' })).toEqual({
      kind: 'subscribe',
      uri: 'file:///a',
      result: {},
    });
    s.route('resources/subscribe', { uri: 'file:///b' });
    s.route('resources/unsubscribe', { uri: 'file:///a' });
    expect(s.listenFilter({ tools: { listChanged: true }, resources: { subscribe: true } })).toEqual({
      toolsListChanged: true,
      resourceSubscriptions: ['file:///b'],
    });
  });
});

describe('initializeResultFromDiscover', () => {
  const discover = {
    supportedVersions: ['2026-07-28'],
    capabilities: { tools: {} },
    instructions: 'x',
    _meta: { 'io.modelcontextprotocol/serverInfo': { name: 'new', version: '2' } },
  };
  it('grants the requested 2025 revision when served, else the newest 2025 one', () => {
    expect(initializeResultFromDiscover(discover, '2025-06-18', ['2025-11-25', '2025-06-18'])).toEqual({
      protocolVersion: '2025-06-18',
      capabilities: { tools: {} },
      serverInfo: { name: 'new', version: '2' },
      instructions: 'x',
    });
    expect(initializeResultFromDiscover(discover, '2024-11-05', ['2025-11-25'])).toMatchObject({
      protocolVersion: '2025-11-25',
    });
  });
});

describe('toLegacyResult / toLegacyNotification', () => {
  it('drops resultType complete and leaves other results alone', () => {
    expect(toLegacyResult({ resultType: 'complete', tools: [] })).toEqual({ tools: [] });
    const odd = { resultType: 'other' };
    expect(toLegacyResult(odd)).toBe(odd);
  });
  it('drops the subscription id and the acknowledgement', () => {
    expect(
      toLegacyNotification({ method: 'notifications/subscriptions/acknowledged', params: {} }),
    ).toBeUndefined();
    expect(
      toLegacyNotification({
        method: 'notifications/resources/updated',
        params: { uri: 'u', _meta: { 'io.modelcontextprotocol/subscriptionId': 1 } },
      }),
    ).toEqual({ method: 'notifications/resources/updated', params: { uri: 'u' } });
  });
});
