import { describe, expect, it } from 'vitest';
import { ListenHub, subscriptionDelta } from '../../../supervisor/protocol/subscriptions.ts';

const CAPS = { tools: { listChanged: true }, resources: { subscribe: true, listChanged: false } };
const SID = 'io.modelcontextprotocol/subscriptionId';

describe('ListenHub', () => {
  it('acknowledges first with the filter narrowed to what the server can send', () => {
    const hub = new ListenHub();
    const ack = hub.open(
      's1',
      1,
      {
        toolsListChanged: true,
        promptsListChanged: true,
        resourcesListChanged: true,
        resourceSubscriptions: ['file:///a'],
      },
      CAPS,
    );
    expect(ack).toEqual({
      jsonrpc: '2.0',
      method: 'notifications/subscriptions/acknowledged',
      params: {
        notifications: { toolsListChanged: true, resourceSubscriptions: ['file:///a'] },
        _meta: { [SID]: 1 },
      },
    });
  });

  it('sends each notification only to the streams that opted in, stamped with their subscription id', () => {
    const hub = new ListenHub();
    hub.open('s1', 1, { toolsListChanged: true }, CAPS);
    hub.open('s2', 'b', { resourceSubscriptions: ['file:///a'] }, CAPS);
    expect(hub.route({ jsonrpc: '2.0', method: 'notifications/tools/list_changed' })).toEqual([
      {
        key: 's1',
        message: {
          jsonrpc: '2.0',
          method: 'notifications/tools/list_changed',
          params: { _meta: { [SID]: 1 } },
        },
      },
    ]);
    expect(
      hub.route({ jsonrpc: '2.0', method: 'notifications/resources/updated', params: { uri: 'file:///a' } }),
    ).toEqual([
      {
        key: 's2',
        message: {
          jsonrpc: '2.0',
          method: 'notifications/resources/updated',
          params: { uri: 'file:///a', _meta: { [SID]: 'b' } },
        },
      },
    ]);
    expect(
      hub.route({
        jsonrpc: '2.0',
        method: 'notifications/resources/updated',
        params: { uri: 'file:///other' },
      }),
    ).toEqual([]);
    expect(
      hub.route({
        jsonrpc: '2.0',
        method: 'notifications/progress',
        params: { progressToken: 1, progress: 1 },
      }),
    ).toEqual([]);
  });

  it('ends a stream gracefully with its listen result, and tracks the upstream subscription set', () => {
    const hub = new ListenHub();
    hub.open('s2', 9, { resourceSubscriptions: ['file:///a', 'file:///b'] }, CAPS);
    expect([...hub.subscribedUris()]).toEqual(['file:///a', 'file:///b']);
    expect(hub.closingResult('s2')).toEqual({
      id: 9,
      result: { resultType: 'complete', _meta: { [SID]: 9 } },
    });
    expect(hub.size).toBe(0);
    expect(subscriptionDelta(new Set(['file:///a', 'file:///c']), hub.subscribedUris())).toEqual({
      subscribe: [],
      unsubscribe: ['file:///a', 'file:///c'],
    });
  });
});
