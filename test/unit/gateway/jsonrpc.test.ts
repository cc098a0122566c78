import { describe, expect, it } from 'vitest';
import { classifyMessage, errorResponse, resultResponse } from '../../../supervisor/gateway/jsonrpc.ts';

describe('classifyMessage', () => {
  it.each([
    ['a request', { jsonrpc: '2.0', id: 1, method: 'tools/list' }, 'request'],
    [
      'a request with a string id and params',
      { jsonrpc: '2.0', id: 'a', method: 'x', params: {} },
      'request',
    ],
    ['a notification', { jsonrpc: '2.0', method: 'notifications/initialized' }, 'notification'],
    [
      'a request with _meta and a progress token',
      { jsonrpc: '2.0', id: 1, method: 'x', params: { _meta: { progressToken: 'p', other: [1] } } },
      'request',
    ],
    ['a notification with id undefined', { jsonrpc: '2.0', id: undefined, method: 'n' }, 'notification'],
    ['a result', { jsonrpc: '2.0', id: 1, result: {} }, 'response'],
    ['an error', { jsonrpc: '2.0', id: 'x', error: { code: -1, message: 'no' } }, 'response'],
    [
      'an error for an unreadable request',
      { jsonrpc: '2.0', id: null, error: { code: -1, message: 'no' } },
      'response',
    ],
  ])('%s is a %s', (_label, value, kind) => {
    const parsed = classifyMessage(value);
    expect(parsed.kind).toBe(kind);
    if (parsed.kind !== 'invalid') expect(parsed.message).toBe(value);
  });

  it.each([
    ['null', null, null, 'a JSON-RPC message must be an object'],
    ['a string', 'tools/list', null, 'a JSON-RPC message must be an object'],
    ['a number', 42, null, 'a JSON-RPC message must be an object'],
    [
      'an array (batch)',
      [{ jsonrpc: '2.0', id: 1, method: 'x' }],
      null,
      'a JSON-RPC message must be an object',
    ],
    ['jsonrpc missing', { id: 1, method: 'x' }, 1, '"jsonrpc" must be "2.0"'],
    ['jsonrpc 1.0', { jsonrpc: '1.0', id: 'a', method: 'x' }, 'a', '"jsonrpc" must be "2.0"'],
    ['jsonrpc a number', { jsonrpc: 2, id: 1, method: 'x' }, 1, '"jsonrpc" must be "2.0"'],
    ['params an array', { jsonrpc: '2.0', id: 1, method: 'x', params: [1] }, 1, '"params" must be an object'],
    ['params a string', { jsonrpc: '2.0', id: 1, method: 'x', params: 'p' }, 1, '"params" must be an object'],
    ['params null', { jsonrpc: '2.0', id: 1, method: 'x', params: null }, 1, '"params" must be an object'],
    // SDK servers drop such messages unanswered, so they would only time out (issue 9 item 2).
    [
      '_meta a string',
      { jsonrpc: '2.0', id: 1, method: 'x', params: { _meta: 'x' } },
      1,
      '"params._meta" must be an object, got string',
    ],
    [
      '_meta null',
      { jsonrpc: '2.0', id: 1, method: 'x', params: { _meta: null } },
      1,
      '"params._meta" must be an object, got null',
    ],
    [
      '_meta an array',
      { jsonrpc: '2.0', id: 1, method: 'x', params: { _meta: [] } },
      1,
      '"params._meta" must be an object, got an array',
    ],
    [
      '_meta of a notification a number',
      { jsonrpc: '2.0', method: 'notifications/x', params: { _meta: 7 } },
      null,
      '"params._meta" must be an object, got number',
    ],
    [
      'a progressToken that is an object',
      { jsonrpc: '2.0', id: 1, method: 'x', params: { _meta: { progressToken: {} } } },
      1,
      '"params._meta.progressToken" must be a string or a number, got object',
    ],
    ['an empty method', { jsonrpc: '2.0', id: 1, method: '' }, 1, '"method" must not be empty'],
    [
      'id an object',
      { jsonrpc: '2.0', id: { a: 1 }, method: 'x' },
      null,
      '"id" must be a string or a number',
    ],
    ['id a boolean', { jsonrpc: '2.0', id: true, method: 'x' }, null, '"id" must be a string or a number'],
    [
      'id null on a request',
      { jsonrpc: '2.0', id: null, method: 'x' },
      null,
      '"id" must be a string or a number',
    ],
    ['id NaN', { jsonrpc: '2.0', id: Number.NaN, method: 'x' }, null, '"id" must be a string or a number'],
    [
      'id Infinity',
      { jsonrpc: '2.0', id: Number.POSITIVE_INFINITY, method: 'x' },
      null,
      '"id" must be a string or a number',
    ],
    ['method a number', { jsonrpc: '2.0', id: 1, method: 7 }, 1, '"method" must be a string'],
    ['method null', { jsonrpc: '2.0', id: 1, method: null }, 1, '"method" must be a string'],
    [
      'a response with an object id',
      { jsonrpc: '2.0', id: {}, result: {} },
      null,
      '"id" must be a string or a number',
    ],
    [
      'neither method, result nor error',
      { jsonrpc: '2.0', id: 1 },
      1,
      'a response needs exactly one of "result" or "error"',
    ],
    [
      'both result and error',
      { jsonrpc: '2.0', id: 1, result: {}, error: { code: 1, message: 'm' } },
      1,
      'a response needs exactly one of "result" or "error"',
    ],
    [
      'an error that is a string',
      { jsonrpc: '2.0', id: 1, error: 'bad' },
      1,
      '"error" must have a numeric "code" and a string "message"',
    ],
    [
      'an error without code',
      { jsonrpc: '2.0', id: 1, error: { message: 'm' } },
      1,
      '"error" must have a numeric "code" and a string "message"',
    ],
    [
      'an error with a string code',
      { jsonrpc: '2.0', id: 1, error: { code: '1', message: 'm' } },
      1,
      '"error" must have a numeric "code" and a string "message"',
    ],
    [
      'an error without message',
      { jsonrpc: '2.0', id: 1, error: { code: 1 } },
      1,
      '"error" must have a numeric "code" and a string "message"',
    ],
  ])('%s is invalid', (_label, value, id, reason) => {
    expect(classifyMessage(value)).toEqual({ kind: 'invalid', id, reason });
  });
});

describe('responses', () => {
  it('errorResponse carries data only when given', () => {
    expect(errorResponse(1, -32600, 'bad')).toEqual({
      jsonrpc: '2.0',
      id: 1,
      error: { code: -32600, message: 'bad' },
    });
    expect(errorResponse(null, -32010, 'full', { reason: 'queue_full' })).toEqual({
      jsonrpc: '2.0',
      id: null,
      error: { code: -32010, message: 'full', data: { reason: 'queue_full' } },
    });
  });

  it('resultResponse wraps the result', () => {
    expect(resultResponse('a', { tools: [] })).toEqual({ jsonrpc: '2.0', id: 'a', result: { tools: [] } });
  });
});
