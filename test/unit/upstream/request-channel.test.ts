import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { isSupervisorError, SupervisorError } from '../../../supervisor/shared/errors.ts';
import { refusalOf } from '../../../supervisor/shared/refusals.ts';
import { UpstreamRpcError } from '../../../supervisor/shared/upstream-error.ts';
import { encodeJsonRpcMessage, OversizedLineError } from '../../../supervisor/upstream/line-framer.ts';
import { RequestChannel } from '../../../supervisor/upstream/request-channel.ts';

type SendMode = 'ok' | 'throw' | 'reject';

/** A channel whose `send` records every message; `mode` makes it throw or reject instead. */
function harness(options: { generation?: number; server?: string } = {}) {
  const sent: JSONRPCMessage[] = [];
  const state = {
    mode: 'ok' as SendMode,
    sendError: new Error('socket gone'),
  };
  const channel = new RequestChannel({
    server: options.server ?? 'srv',
    generation: options.generation ?? 1,
    send: (message) => {
      sent.push(message);
      if (state.mode === 'throw') throw state.sendError;
      if (state.mode === 'reject') return Promise.reject(state.sendError);
      return undefined;
    },
  });
  return { channel, sent, state };
}

type Outcome<T> = { state: 'pending' | 'resolved' | 'rejected'; value?: T; error?: unknown };

/** Watches a promise so a test can look at its state without awaiting it. */
function track<T>(promise: Promise<T>): Outcome<T> {
  const outcome: Outcome<T> = { state: 'pending' };
  promise.then(
    (value) => {
      outcome.state = 'resolved';
      outcome.value = value;
    },
    (error: unknown) => {
      outcome.state = 'rejected';
      outcome.error = error;
    },
  );
  return outcome;
}

/** Lets queued promise callbacks run (timers are fake; microtasks are not). */
async function flush(): Promise<void> {
  for (let i = 0; i < 10; i++) await Promise.resolve();
}

/**
 * Nothing is left to fire: the channel's one timer may stay armed when it goes idle (re-arming it
 * per request cost a clearTimeout and a setTimeout each), and firing then does nothing and does
 * not arm it again.
 */
function expectNoTimerLeft(sent: readonly JSONRPCMessage[]): void {
  const sentBefore = sent.length;
  vi.runOnlyPendingTimers();
  expect(vi.getTimerCount()).toBe(0);
  expect(sent).toHaveLength(sentBefore);
}

function idOf(message: JSONRPCMessage | undefined): string {
  const id = (message as { id?: unknown } | undefined)?.id;
  if (typeof id !== 'string') throw new Error(`expected a string id, got ${JSON.stringify(message)}`);
  return id;
}

/** The `reason` a `notifications/cancelled` message gives. */
function cancelReasonOf(message: JSONRPCMessage | undefined): unknown {
  return (message as { params?: { reason?: unknown } } | undefined)?.params?.reason;
}

function cancelledFor(id: string): unknown {
  return {
    jsonrpc: '2.0',
    method: 'notifications/cancelled',
    params: { requestId: id, reason: expect.any(String) },
  };
}

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('RequestChannel requests and answers', () => {
  it('sends a JSON-RPC request with a prefixed string id and resolves with the result object itself', async () => {
    const { channel, sent } = harness({ generation: 7 });
    const params = { name: 'echo', arguments: { text: 'hi' } };
    const reply = channel.request('tools/call', params, { timeoutMs: 1_000 });

    expect(sent).toHaveLength(1);
    const id = idOf(sent[0]);
    expect(id.startsWith('sv7-')).toBe(true);
    expect(sent[0]).toEqual({ jsonrpc: '2.0', id, method: 'tools/call', params });
    expect(Object.keys(sent[0]!).sort()).toEqual(['id', 'jsonrpc', 'method', 'params']);
    expect(params).toEqual({ name: 'echo', arguments: { text: 'hi' } });
    expect(channel.pendingCount).toBe(1);
    expect(vi.getTimerCount()).toBe(1);

    const result = { content: [{ type: 'text', text: 'hi' }], extra: { kept: true } };
    expect(channel.intercept({ jsonrpc: '2.0', id, result } as JSONRPCMessage)).toBe(true);
    await expect(reply).resolves.toBe(result);
    expect(channel.pendingCount).toBe(0);
    expectNoTimerLeft(sent);
  });

  it('sends no params member when the request has none', async () => {
    const { channel, sent } = harness();
    const reply = channel.request('ping', undefined, { timeoutMs: 1_000 });
    const id = idOf(sent[0]);
    expect(sent[0]).toEqual({ jsonrpc: '2.0', id, method: 'ping' });
    expect('params' in sent[0]!).toBe(false);
    channel.intercept({ jsonrpc: '2.0', id, result: {} } as JSONRPCMessage);
    await expect(reply).resolves.toEqual({});
  });

  it('resolves with an empty object when the answer carries no result', async () => {
    const { channel, sent } = harness();
    const reply = channel.request('ping', undefined, { timeoutMs: 1_000 });
    expect(channel.intercept({ jsonrpc: '2.0', id: idOf(sent[0]) } as unknown as JSONRPCMessage)).toBe(true);
    await expect(reply).resolves.toEqual({});
    expect(channel.pendingCount).toBe(0);
  });

  it('gives every request its own id and matches answers to requests by id, in any order', async () => {
    const { channel, sent } = harness({ generation: 3 });
    const replies = [0, 1, 2].map((n) => channel.request('tools/call', { n }, { timeoutMs: 1_000 }));
    const ids = sent.map(idOf);
    expect(new Set(ids).size).toBe(3);
    for (const id of ids) expect(id).toMatch(/^sv3-/);
    expect(channel.pendingCount).toBe(3);

    const results = ids.map((id) => ({ answeredFor: id }));
    for (const index of [2, 0, 1]) {
      expect(
        channel.intercept({ jsonrpc: '2.0', id: ids[index]!, result: results[index]! } as JSONRPCMessage),
      ).toBe(true);
    }
    const values = await Promise.all(replies);
    for (const [index, value] of values.entries()) expect(value).toBe(results[index]);
    expect(channel.pendingCount).toBe(0);
    expectNoTimerLeft(sent);
  });

  it('never reuses an id, even after earlier requests settled', async () => {
    const { channel, sent } = harness();
    for (let n = 0; n < 5; n++) {
      const reply = channel.request('ping', undefined, { timeoutMs: 1_000 });
      channel.intercept({ jsonrpc: '2.0', id: idOf(sent.at(-1)), result: { n } } as JSONRPCMessage);
      await expect(reply).resolves.toEqual({ n });
    }
    expect(new Set(sent.map(idOf)).size).toBe(5);
  });

  it('takes an answer delivered from inside send (a synchronous transport)', async () => {
    let channel!: RequestChannel;
    const result = { synchronous: true };
    channel = new RequestChannel({
      server: 'srv',
      generation: 1,
      send: (message) => {
        const id = (message as { id?: string }).id;
        if (id !== undefined) channel.intercept({ jsonrpc: '2.0', id, result } as JSONRPCMessage);
      },
    });
    await expect(channel.request('ping', undefined, { timeoutMs: 1_000 })).resolves.toBe(result);
    expect(channel.pendingCount).toBe(0);
    expectNoTimerLeft([]);
  });

  it("rejects with an UpstreamRpcError keeping the server's code, message and data unchanged", async () => {
    const { channel, sent } = harness();
    const reply = channel.request('tools/call', { name: 'x' }, { timeoutMs: 1_000 });
    const data = { field: 'name', hints: ['a', 'b'] };
    const id = idOf(sent[0]);
    expect(
      channel.intercept({
        jsonrpc: '2.0',
        id,
        error: { code: -32602, message: 'Unknown tool: x', data },
      } as JSONRPCMessage),
    ).toBe(true);
    const error = await reply.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UpstreamRpcError);
    expect(error).toBeInstanceOf(Error);
    expect(error).not.toBeInstanceOf(SupervisorError);
    const rpcError = error as UpstreamRpcError;
    expect(rpcError.name).toBe('UpstreamRpcError');
    expect(rpcError.code).toBe(-32602);
    expect(rpcError.message).toBe('Unknown tool: x');
    expect(rpcError.data).toBe(data);
    expect(refusalOf(error)).toBeUndefined();
    expect(channel.pendingCount).toBe(0);
    expectNoTimerLeft(sent);
  });

  it('keeps an error answer without data as undefined data, and a code of 0 or a custom one as is', async () => {
    const { channel, sent } = harness();
    const first = channel.request('a', undefined, { timeoutMs: 1_000 });
    const second = channel.request('b', undefined, { timeoutMs: 1_000 });
    channel.intercept({
      jsonrpc: '2.0',
      id: idOf(sent[0]),
      error: { code: 0, message: '' },
    } as JSONRPCMessage);
    channel.intercept({
      jsonrpc: '2.0',
      id: idOf(sent[1]),
      error: { code: 1234, message: 'custom', data: null },
    } as JSONRPCMessage);
    const firstError = (await first.catch((e: unknown) => e)) as UpstreamRpcError;
    const secondError = (await second.catch((e: unknown) => e)) as UpstreamRpcError;
    expect(firstError).toBeInstanceOf(UpstreamRpcError);
    expect([firstError.code, firstError.message, firstError.data]).toEqual([0, '', undefined]);
    expect(secondError).toBeInstanceOf(UpstreamRpcError);
    expect([secondError.code, secondError.message, secondError.data]).toEqual([1234, 'custom', null]);
  });
});

describe('RequestChannel.intercept', () => {
  it('returns false for messages that are not the channel’s, leaving its request pending', async () => {
    const { channel, sent } = harness({ generation: 1 });
    const progress = vi.fn();
    const reply = track(channel.request('tools/call', {}, { timeoutMs: 1_000, onProgress: progress }));
    const id = idOf(sent[0]);
    expect(id.startsWith('sv1-')).toBe(true);

    const foreign: unknown[] = [
      // The SDK client's own answers have numeric ids.
      { jsonrpc: '2.0', id: 0, result: {} },
      { jsonrpc: '2.0', id: 1, error: { code: -1, message: 'no' } },
      // String ids that are not this channel's: another generation, one whose prefix only starts
      // like this one's, something else entirely.
      { jsonrpc: '2.0', id: id.replace(/^sv1-/, 'sv2-'), result: {} },
      { jsonrpc: '2.0', id: id.replace(/^sv1-/, 'sv11-'), result: {} },
      { jsonrpc: '2.0', id: 'abc', result: {} },
      // Notifications other than progress, even when they name this channel's request.
      { jsonrpc: '2.0', method: 'notifications/message', params: { level: 'info', data: 'x' } },
      { jsonrpc: '2.0', method: 'notifications/tools/list_changed' },
      { jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: id } },
      // Progress whose token is not this channel's.
      { jsonrpc: '2.0', method: 'notifications/progress', params: { progressToken: 7, progress: 1 } },
      {
        jsonrpc: '2.0',
        method: 'notifications/progress',
        params: { progressToken: id.replace(/^sv1-/, 'sv2-'), progress: 1 },
      },
      { jsonrpc: '2.0', method: 'notifications/progress', params: { progressToken: 'other', progress: 1 } },
      { jsonrpc: '2.0', method: 'notifications/progress' },
      // Server→client requests, even with an id that looks like this channel's.
      { jsonrpc: '2.0', id: 5, method: 'sampling/createMessage', params: {} },
      { jsonrpc: '2.0', id, method: 'elicitation/create', params: {} },
      { jsonrpc: '2.0', id: 'sv1-999', method: 'roots/list' },
    ];
    for (const message of foreign) {
      expect(channel.intercept(message as JSONRPCMessage), JSON.stringify(message)).toBe(false);
    }
    await flush();
    expect(reply.state).toBe('pending');
    expect(channel.pendingCount).toBe(1);
    expect(progress).not.toHaveBeenCalled();

    const result = { ok: true };
    expect(channel.intercept({ jsonrpc: '2.0', id, result } as JSONRPCMessage)).toBe(true);
    await flush();
    expect(reply).toEqual({ state: 'resolved', value: result });
  });

  it('swallows a late answer, error or progress for a request that timed out', async () => {
    const { channel, sent } = harness();
    const progress = vi.fn();
    const reply = track(channel.request('tools/call', {}, { timeoutMs: 100, onProgress: progress }));
    const id = idOf(sent[0]);
    await vi.advanceTimersByTimeAsync(100);
    expect(reply.state).toBe('rejected');
    const timeoutError = reply.error;

    expect(channel.intercept({ jsonrpc: '2.0', id, result: { late: true } } as JSONRPCMessage)).toBe(true);
    expect(
      channel.intercept({ jsonrpc: '2.0', id, error: { code: -1, message: 'late' } } as JSONRPCMessage),
    ).toBe(true);
    expect(
      channel.intercept({
        jsonrpc: '2.0',
        method: 'notifications/progress',
        params: { progressToken: id, progress: 1 },
      } as JSONRPCMessage),
    ).toBe(true);
    await flush();
    expect(reply.error).toBe(timeoutError);
    expect(progress).not.toHaveBeenCalled();
    expect(channel.pendingCount).toBe(0);
    expectNoTimerLeft(sent);
  });

  it('swallows a late answer for a request that was aborted, and a second answer to one answered', async () => {
    const { channel, sent } = harness();
    const controller = new AbortController();
    const aborted = track(channel.request('a', undefined, { timeoutMs: 1_000, signal: controller.signal }));
    const answered = channel.request('b', undefined, { timeoutMs: 1_000 });
    const abortedId = idOf(sent[0]);
    const answeredId = idOf(sent[1]);
    const reason = new Error('caller left');
    controller.abort(reason);

    expect(channel.intercept({ jsonrpc: '2.0', id: abortedId, result: {} } as JSONRPCMessage)).toBe(true);
    const first = { first: true };
    expect(channel.intercept({ jsonrpc: '2.0', id: answeredId, result: first } as JSONRPCMessage)).toBe(true);
    expect(
      channel.intercept({ jsonrpc: '2.0', id: answeredId, result: { second: true } } as JSONRPCMessage),
    ).toBe(true);
    // An id of this channel it never sent is taken as late, not passed on to the SDK client.
    expect(channel.intercept({ jsonrpc: '2.0', id: 'sv1-999', result: {} } as JSONRPCMessage)).toBe(true);
    await flush();
    expect(aborted).toEqual({ state: 'rejected', error: reason });
    await expect(answered).resolves.toBe(first);
    expect(channel.pendingCount).toBe(0);
  });
});

describe('RequestChannel progress', () => {
  it("asks for progress with the request id as token, keeping the caller's params and _meta unmutated", async () => {
    const { channel, sent } = harness({ generation: 4 });
    const params = { name: 'long', arguments: { n: 1 }, _meta: { traceId: 't-1', other: { deep: 1 } } };
    const before = structuredClone(params);
    const metaBefore = params._meta;
    const reply = channel.request('tools/call', params, { timeoutMs: 1_000, onProgress: () => {} });
    const id = idOf(sent[0]);
    expect(sent[0]).toEqual({
      jsonrpc: '2.0',
      id,
      method: 'tools/call',
      params: {
        name: 'long',
        arguments: { n: 1 },
        _meta: { traceId: 't-1', other: { deep: 1 }, progressToken: id },
      },
    });
    expect(params).toEqual(before);
    expect(params._meta).toBe(metaBefore);
    expect('progressToken' in params._meta).toBe(false);
    const sentParams = (sent[0] as { params: Record<string, unknown> }).params;
    expect(sentParams).not.toBe(params);

    channel.intercept({ jsonrpc: '2.0', id, result: {} } as JSONRPCMessage);
    await reply;
  });

  it('replaces a progressToken the caller put in _meta with its own', async () => {
    const { channel, sent } = harness();
    const params = { _meta: { progressToken: 42 } };
    const reply = channel.request('tools/call', params, { timeoutMs: 1_000, onProgress: () => {} });
    const id = idOf(sent[0]);
    expect((sent[0] as { params: { _meta: unknown } }).params._meta).toEqual({ progressToken: id });
    expect(params).toEqual({ _meta: { progressToken: 42 } });
    channel.intercept({ jsonrpc: '2.0', id, result: {} } as JSONRPCMessage);
    await reply;
  });

  it('asks for progress when the request has no params', async () => {
    const { channel, sent } = harness();
    const reply = channel.request('tools/list', undefined, { timeoutMs: 1_000, onProgress: () => {} });
    const id = idOf(sent[0]);
    expect(sent[0]).toEqual({
      jsonrpc: '2.0',
      id,
      method: 'tools/list',
      params: { _meta: { progressToken: id } },
    });
    channel.intercept({ jsonrpc: '2.0', id, result: {} } as JSONRPCMessage);
    await reply;
  });

  it('does not ask for progress without onProgress', async () => {
    const { channel, sent } = harness();
    const params = { name: 'x', _meta: { traceId: 't' } };
    const reply = channel.request('tools/call', params, { timeoutMs: 1_000 });
    expect((sent[0] as { params: unknown }).params).toEqual({ name: 'x', _meta: { traceId: 't' } });
    channel.intercept({ jsonrpc: '2.0', id: idOf(sent[0]), result: {} } as JSONRPCMessage);
    await reply;
  });

  it('hands each progress notification to onProgress and restarts the timeout with it', async () => {
    const { channel, sent } = harness();
    const progress = vi.fn();
    const reply = track(channel.request('tools/call', {}, { timeoutMs: 1_000, onProgress: progress }));
    const id = idOf(sent[0]);

    await vi.advanceTimersByTimeAsync(900);
    const firstParams = { progressToken: id, progress: 1, total: 3, message: 'one' };
    expect(
      channel.intercept({
        jsonrpc: '2.0',
        method: 'notifications/progress',
        params: firstParams,
      } as JSONRPCMessage),
    ).toBe(true);
    expect(progress).toHaveBeenCalledTimes(1);
    expect(progress.mock.calls[0]![0]).toBe(firstParams);
    expect(vi.getTimerCount()).toBe(1);

    // 1 800 ms after the request, well past its 1 000 ms: the progress at 900 ms restarted it.
    await vi.advanceTimersByTimeAsync(900);
    expect(reply.state).toBe('pending');
    const secondParams = { progressToken: id, progress: 2, total: 3 };
    channel.intercept({
      jsonrpc: '2.0',
      method: 'notifications/progress',
      params: secondParams,
    } as JSONRPCMessage);
    expect(progress).toHaveBeenCalledTimes(2);
    expect(progress.mock.calls[1]![0]).toBe(secondParams);

    await vi.advanceTimersByTimeAsync(999);
    expect(reply.state).toBe('pending');
    expect(sent).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(reply.state).toBe('rejected');
    expect(refusalOf(reply.error)?.reason).toBe('timeout');
    expect(sent).toEqual([sent[0], cancelledFor(id)]);
    expect(channel.pendingCount).toBe(0);
    expectNoTimerLeft(sent);
  });

  it('sends progress only to the request it belongs to', async () => {
    const { channel, sent } = harness();
    const first = vi.fn();
    const second = vi.fn();
    const replies = [
      channel.request('a', undefined, { timeoutMs: 1_000, onProgress: first }),
      channel.request('b', undefined, { timeoutMs: 1_000, onProgress: second }),
    ];
    const [firstId, secondId] = sent.map(idOf);
    channel.intercept({
      jsonrpc: '2.0',
      method: 'notifications/progress',
      params: { progressToken: secondId!, progress: 5 },
    } as JSONRPCMessage);
    expect(first).not.toHaveBeenCalled();
    expect(second).toHaveBeenCalledWith({ progressToken: secondId, progress: 5 });
    channel.intercept({ jsonrpc: '2.0', id: firstId!, result: {} } as JSONRPCMessage);
    channel.intercept({ jsonrpc: '2.0', id: secondId!, result: {} } as JSONRPCMessage);
    await Promise.all(replies);
  });

  it('drops a progress value not above the last one passed on (a replayed stream) and keeps the timer', async () => {
    const { channel, sent } = harness();
    const seen: unknown[] = [];
    const reply = track(
      channel.request('a', undefined, { timeoutMs: 1_000, onProgress: (p) => seen.push(p.progress) }),
    );
    const id = idOf(sent[0]);
    const progress = (value: number) =>
      channel.intercept({
        jsonrpc: '2.0',
        method: 'notifications/progress',
        params: { progressToken: id, progress: value, total: 3 },
      } as JSONRPCMessage);
    for (const value of [1, 2, 1, 2, 3]) expect(progress(value)).toBe(true);
    expect(seen).toEqual([1, 2, 3]);
    // A replayed value does not count as a sign of life: the timeout runs from the last real one.
    await vi.advanceTimersByTimeAsync(900);
    expect(progress(3)).toBe(true);
    await vi.advanceTimersByTimeAsync(100);
    await flush();
    expect(reply.state).toBe('rejected');
    expect(refusalOf(reply.error)?.reason).toBe('timeout');
  });

  it('keeps reading when onProgress throws: the progress is taken and the answer still arrives', async () => {
    const { channel, sent } = harness();
    const onProgress = vi.fn(() => {
      throw new Error('downstream gone');
    });
    const reply = channel.request('a', undefined, { timeoutMs: 1_000, onProgress });
    const id = idOf(sent[0]);
    const progress = {
      jsonrpc: '2.0',
      method: 'notifications/progress',
      params: { progressToken: id, progress: 1 },
    };
    expect(channel.intercept(progress as JSONRPCMessage)).toBe(true);
    expect(onProgress).toHaveBeenCalledTimes(1);
    expect(channel.intercept({ jsonrpc: '2.0', id, result: { ok: 1 } } as JSONRPCMessage)).toBe(true);
    await expect(reply).resolves.toEqual({ ok: 1 });
  });
});

describe('RequestChannel timeout', () => {
  it('rejects with a TIMEOUT refusal after timeoutMs and sends notifications/cancelled', async () => {
    const { channel, sent } = harness({ server: 'weather' });
    const reply = track(channel.request('tools/call', { name: 'slow' }, { timeoutMs: 500 }));
    const id = idOf(sent[0]);

    await vi.advanceTimersByTimeAsync(499);
    expect(reply.state).toBe('pending');
    expect(sent).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(reply.state).toBe('rejected');
    const error = reply.error;
    expect(isSupervisorError(error, 'TIMEOUT')).toBe(true);
    expect(refusalOf(error)).toEqual({ reason: 'timeout', server: 'weather', retryAfterMs: 0 });
    expect((error as Error).message).toContain('500 ms');
    expect((error as Error).message).toContain('weather');

    expect(sent).toHaveLength(2);
    expect(sent[1]).toEqual(cancelledFor(id));
    expect(cancelReasonOf(sent[1])).toContain('500');
    expect(channel.pendingCount).toBe(0);
    expectNoTimerLeft(sent);
  });

  it('times each request on its own', async () => {
    const { channel, sent } = harness();
    const short = track(channel.request('a', undefined, { timeoutMs: 100 }));
    const long = track(channel.request('b', undefined, { timeoutMs: 300 }));
    await vi.advanceTimersByTimeAsync(100);
    expect(short.state).toBe('rejected');
    expect(long.state).toBe('pending');
    expect(channel.pendingCount).toBe(1);
    expect(vi.getTimerCount()).toBe(1);
    channel.intercept({ jsonrpc: '2.0', id: idOf(sent[1]), result: { done: 1 } } as JSONRPCMessage);
    await flush();
    expect(long).toEqual({ state: 'resolved', value: { done: 1 } });
    // Only the timed-out request was cancelled.
    expect(sent.filter((m) => (m as { method?: string }).method === 'notifications/cancelled')).toEqual([
      cancelledFor(idOf(sent[0])),
    ]);
    expectNoTimerLeft(sent);
  });

  it('still rejects with the timeout when the cancel notification cannot be sent (throws)', async () => {
    const { channel, sent, state } = harness();
    const reply = track(channel.request('a', undefined, { timeoutMs: 100 }));
    state.mode = 'throw';
    await vi.advanceTimersByTimeAsync(100);
    expect(reply.state).toBe('rejected');
    expect(refusalOf(reply.error)?.reason).toBe('timeout');
    expect(sent[1]).toEqual(cancelledFor(idOf(sent[0])));
    expect(channel.pendingCount).toBe(0);
  });

  it('still rejects with the timeout when the cancel notification cannot be sent (rejects)', async () => {
    const { channel, sent, state } = harness();
    const reply = track(channel.request('a', undefined, { timeoutMs: 100 }));
    state.mode = 'reject';
    await vi.advanceTimersByTimeAsync(100);
    await flush();
    expect(reply.state).toBe('rejected');
    expect(refusalOf(reply.error)?.reason).toBe('timeout');
    expect(sent[1]).toEqual(cancelledFor(idOf(sent[0])));
    expect(channel.pendingCount).toBe(0);
    // The rejected send is caught: vitest would fail this file on an unhandled rejection.
  });

  it('does not fire the timeout of a request already answered', async () => {
    const { channel, sent } = harness();
    const reply = channel.request('a', undefined, { timeoutMs: 100 });
    channel.intercept({ jsonrpc: '2.0', id: idOf(sent[0]), result: {} } as JSONRPCMessage);
    await reply;
    await vi.advanceTimersByTimeAsync(1_000);
    expect(sent).toHaveLength(1);
  });
});

describe('RequestChannel timeout (real timers)', () => {
  it('keeps waiting when timeoutMs is a valid config value above setTimeout’s 2^31-1 ms limit', async () => {
    vi.useRealTimers();
    const { channel, sent } = harness();
    try {
      // requestTimeoutMs is any positive integer in the config schema; 2^31 ms is about 25 days.
      const reply = track(channel.request('a', undefined, { timeoutMs: 2 ** 31 }));
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(reply.state).toBe('pending');
      expect(sent).toHaveLength(1);
    } finally {
      channel.close();
    }
  });
});

describe('RequestChannel abort', () => {
  it("rejects with the signal's reason and sends notifications/cancelled", async () => {
    const { channel, sent } = harness();
    const controller = new AbortController();
    const reply = track(channel.request('tools/call', {}, { timeoutMs: 1_000, signal: controller.signal }));
    const id = idOf(sent[0]);
    await flush();
    expect(reply.state).toBe('pending');

    const reason = new Error('client went away');
    controller.abort(reason);
    await flush();
    expect(reply).toEqual({ state: 'rejected', error: reason });
    expect(reply.error).toBe(reason);
    expect(sent).toEqual([sent[0], cancelledFor(id)]);
    expect(cancelReasonOf(sent[1])).toBe('client went away');
    expect(channel.pendingCount).toBe(0);
    expectNoTimerLeft(sent);
  });

  it('rejects with a non-Error reason as given and still cancels upstream', async () => {
    const { channel, sent } = harness();
    const controller = new AbortController();
    const reply = track(channel.request('a', undefined, { timeoutMs: 1_000, signal: controller.signal }));
    controller.abort('gone');
    await flush();
    expect(reply).toEqual({ state: 'rejected', error: 'gone' });
    expect(sent[1]).toEqual(cancelledFor(idOf(sent[0])));
    expect(channel.pendingCount).toBe(0);
  });

  it('rejects with the default AbortError when abort() is given no reason', async () => {
    const { channel, sent } = harness();
    const controller = new AbortController();
    const reply = channel.request('a', undefined, { timeoutMs: 1_000, signal: controller.signal });
    controller.abort();
    const error = await reply.catch((e: unknown) => e);
    expect(error).toBe(controller.signal.reason);
    expect((error as Error).name).toBe('AbortError');
    expect(sent[1]).toEqual(cancelledFor(idOf(sent[0])));
  });

  it('rejects at once without sending anything when the signal is already aborted', async () => {
    const { channel, sent } = harness();
    const reason = new Error('too late');
    const error = await channel
      .request('a', undefined, { timeoutMs: 1_000, signal: AbortSignal.abort(reason) })
      .catch((e: unknown) => e);
    expect(error).toBe(reason);
    expect(sent).toEqual([]);
    expect(channel.pendingCount).toBe(0);
    expectNoTimerLeft(sent);
  });

  it('ignores an abort after the request was answered, having removed its listener', async () => {
    const { channel, sent } = harness();
    const controller = new AbortController();
    const added = vi.spyOn(controller.signal, 'addEventListener');
    const removed = vi.spyOn(controller.signal, 'removeEventListener');
    const result = { fine: true };
    const reply = channel.request('a', undefined, { timeoutMs: 1_000, signal: controller.signal });
    expect(added).toHaveBeenCalledTimes(1);
    expect(added.mock.calls[0]![0]).toBe('abort');
    channel.intercept({ jsonrpc: '2.0', id: idOf(sent[0]), result } as JSONRPCMessage);
    // A long-lived signal shared by many requests must not collect one listener per request.
    expect(removed).toHaveBeenCalledTimes(1);
    expect(removed.mock.calls[0]!.slice(0, 2)).toEqual(added.mock.calls[0]!.slice(0, 2));
    controller.abort(new Error('after'));
    await expect(reply).resolves.toBe(result);
    expect(sent).toHaveLength(1);
  });

  it('ignores an abort after the request timed out (cancels only once)', async () => {
    const { channel, sent } = harness();
    const controller = new AbortController();
    const reply = track(channel.request('a', undefined, { timeoutMs: 100, signal: controller.signal }));
    await vi.advanceTimersByTimeAsync(100);
    controller.abort(new Error('after'));
    await flush();
    expect(refusalOf(reply.error)?.reason).toBe('timeout');
    expect(sent).toHaveLength(2);
  });

  it('one signal shared by two requests cancels both', async () => {
    const { channel, sent } = harness();
    const controller = new AbortController();
    const first = track(channel.request('a', undefined, { timeoutMs: 1_000, signal: controller.signal }));
    const second = track(channel.request('b', undefined, { timeoutMs: 1_000, signal: controller.signal }));
    const ids = sent.map(idOf);
    const reason = new Error('both');
    controller.abort(reason);
    await flush();
    expect(first.error).toBe(reason);
    expect(second.error).toBe(reason);
    expect(sent.slice(2)).toEqual(expect.arrayContaining([cancelledFor(ids[0]!), cancelledFor(ids[1]!)]));
    expect(sent).toHaveLength(4);
    expect(channel.pendingCount).toBe(0);
    expectNoTimerLeft(sent);
  });
});

describe('RequestChannel close', () => {
  it('rejects every pending request with SERVER_UNAVAILABLE and sends nothing more', async () => {
    const { channel, sent } = harness({ server: 'files' });
    const controller = new AbortController();
    const replies = [
      track(channel.request('a', undefined, { timeoutMs: 1_000 })),
      track(channel.request('b', {}, { timeoutMs: 1_000, onProgress: () => {} })),
      track(channel.request('c', undefined, { timeoutMs: 1_000, signal: controller.signal })),
    ];
    expect(channel.pendingCount).toBe(3);
    const cause = new Error('bridge closed');
    channel.close(cause);
    expect(channel.pendingCount).toBe(0);
    expectNoTimerLeft(sent);
    await flush();
    for (const reply of replies) {
      expect(reply.state).toBe('rejected');
      expect(isSupervisorError(reply.error, 'SERVER_UNAVAILABLE')).toBe(true);
      expect(refusalOf(reply.error)).toEqual({
        reason: 'server_unavailable',
        server: 'files',
        retryAfterMs: 1_000,
      });
      expect((reply.error as Error).cause).toBe(cause);
    }
    expect(sent).toHaveLength(3);

    // Neither the timers nor the signal do anything afterwards.
    controller.abort(new Error('after close'));
    await vi.advanceTimersByTimeAsync(5_000);
    expect(sent).toHaveLength(3);
  });

  it('rejects later requests the same way without sending them, keeping the first cause', async () => {
    const { channel, sent } = harness({ server: 'files' });
    const cause = new Error('first');
    channel.close(cause);
    channel.close(new Error('second'));
    const error = await channel.request('a', { x: 1 }, { timeoutMs: 1_000 }).catch((e: unknown) => e);
    expect(isSupervisorError(error, 'SERVER_UNAVAILABLE')).toBe(true);
    expect(refusalOf(error)?.reason).toBe('server_unavailable');
    expect((error as Error).cause).toBe(cause);
    // The already-aborted check comes after the closed one: still SERVER_UNAVAILABLE.
    const aborted = await channel
      .request('b', undefined, { timeoutMs: 1_000, signal: AbortSignal.abort(new Error('x')) })
      .catch((e: unknown) => e);
    expect(refusalOf(aborted)?.reason).toBe('server_unavailable');
    expect(sent).toEqual([]);
    expect(channel.pendingCount).toBe(0);
    expectNoTimerLeft(sent);
  });

  it('takes late answers after close as its own without throwing', async () => {
    const { channel, sent } = harness();
    const reply = track(channel.request('a', undefined, { timeoutMs: 1_000 }));
    channel.close();
    expect(channel.intercept({ jsonrpc: '2.0', id: idOf(sent[0]), result: {} } as JSONRPCMessage)).toBe(true);
    await flush();
    expect(refusalOf(reply.error)?.reason).toBe('server_unavailable');
  });
});

describe('RequestChannel send failures', () => {
  it('rejects with SERVER_UNAVAILABLE when send throws, leaving nothing pending', async () => {
    const { channel, sent, state } = harness({ server: 'db' });
    state.mode = 'throw';
    const controller = new AbortController();
    const reply = channel.request('a', undefined, { timeoutMs: 100, signal: controller.signal });
    // Settled inside request(): nothing is left to time out or abort.
    expect(channel.pendingCount).toBe(0);
    expectNoTimerLeft(sent);
    const error = await reply.catch((e: unknown) => e);
    expect(isSupervisorError(error, 'SERVER_UNAVAILABLE')).toBe(true);
    expect(refusalOf(error)).toEqual({ reason: 'server_unavailable', server: 'db', retryAfterMs: 1_000 });
    expect((error as Error).cause).toBe(state.sendError);

    controller.abort(new Error('later'));
    await vi.advanceTimersByTimeAsync(1_000);
    expect(sent).toHaveLength(1);
  });

  it('rejects with SERVER_UNAVAILABLE when send returns a rejected promise, leaving nothing pending', async () => {
    const { channel, sent, state } = harness({ server: 'db' });
    state.mode = 'reject';
    const controller = new AbortController();
    const reply = track(channel.request('a', undefined, { timeoutMs: 100, signal: controller.signal }));
    await flush();
    expect(reply.state).toBe('rejected');
    expect(isSupervisorError(reply.error, 'SERVER_UNAVAILABLE')).toBe(true);
    expect(refusalOf(reply.error)?.reason).toBe('server_unavailable');
    expect((reply.error as Error).cause).toBe(state.sendError);
    expect(channel.pendingCount).toBe(0);
    expectNoTimerLeft(sent);

    controller.abort(new Error('later'));
    await vi.advanceTimersByTimeAsync(1_000);
    expect(sent).toHaveLength(1);
  });

  // Issue 9 item 2: a request nested too deeply for JSON.stringify was answered "server went away"
  // (SERVER_UNAVAILABLE), which counted against the server's circuit although nothing was sent.
  it.each([
    ['a transport that encodes with encodeJsonRpcMessage', 'ours'],
    ['a transport that encodes by itself (plain RangeError)', 'plain'],
  ])('answers a request that cannot be encoded as the caller’s BAD_REQUEST (%s)', async (_label, kind) => {
    const channel = new RequestChannel({
      server: 'db',
      generation: 1,
      send: (message) => {
        if (kind === 'ours') encodeJsonRpcMessage(message);
        else return Promise.resolve().then(() => void JSON.stringify(message));
        return undefined;
      },
    });
    let nested: Record<string, unknown> = {};
    for (let depth = 0; depth < 100_000; depth++) nested = { a: nested };
    const error = await channel
      .request('tools/call', { name: 'echo', arguments: nested }, { timeoutMs: 100 })
      .catch((e: unknown) => e);
    expect(isSupervisorError(error, 'BAD_REQUEST')).toBe(true);
    expect(refusalOf(error)).toBeUndefined();
    expect((error as Error).message).toMatch(/cannot be encoded as JSON: it is nested too deeply/);
    expect(channel.pendingCount).toBe(0);
  });

  it('does not close the channel: the next request goes out and is answered', async () => {
    const { channel, sent, state } = harness();
    state.mode = 'throw';
    await expect(channel.request('a', undefined, { timeoutMs: 100 })).rejects.toBeInstanceOf(SupervisorError);
    state.mode = 'ok';
    const reply = channel.request('b', undefined, { timeoutMs: 100 });
    expect(sent).toHaveLength(2);
    expect(idOf(sent[1])).not.toBe(idOf(sent[0]));
    channel.intercept({ jsonrpc: '2.0', id: idOf(sent[1]), result: { b: 1 } } as JSONRPCMessage);
    await expect(reply).resolves.toEqual({ b: 1 });
  });

  it('keeps the answer when send rejects only after the answer arrived', async () => {
    let failSend!: (error: Error) => void;
    const sent: JSONRPCMessage[] = [];
    const channel = new RequestChannel({
      server: 'srv',
      generation: 1,
      send: (message) => {
        sent.push(message);
        return new Promise<void>((_resolve, reject) => {
          failSend = reject;
        });
      },
    });
    const result = { answered: true };
    const reply = track(channel.request('a', undefined, { timeoutMs: 100 }));
    channel.intercept({ jsonrpc: '2.0', id: idOf(sent[0]), result } as JSONRPCMessage);
    failSend(new Error('flushed too late'));
    await flush();
    expect(reply).toEqual({ state: 'resolved', value: result });
    expect(channel.pendingCount).toBe(0);
  });
});

// Issue 9 item 3: an answer over the line limit was dropped silently and its request waited for
// a 30 s timeout that blamed the server.
describe('RequestChannel.interceptError', () => {
  const dropped = (id: string, bytes = 70_000_000) =>
    new OversizedLineError({
      bytes,
      maxLineBytes: 67_108_864,
      head: '{"result":{"content":[{"type":"text","text":"xxxx',
      tail: `xxxx"}]},"jsonrpc":"2.0","id":"${id}"}`,
    });

  it('answers the request whose answer was dropped at once, saying so', async () => {
    const { channel, sent } = harness({ server: 'big' });
    const other = track(channel.request('b', undefined, { timeoutMs: 30_000 }));
    const reply = track(channel.request('a', undefined, { timeoutMs: 30_000 }));
    expect(channel.interceptError(dropped(idOf(sent[1])))).toBe(true);
    await flush();
    expect(reply.state).toBe('rejected');
    expect(isSupervisorError(reply.error, 'INTERNAL')).toBe(true);
    expect((reply.error as Error).message).toMatch(
      /server "big" answered with a message of 70000000 bytes, over the limit of 67108864 bytes/,
    );
    expect(other.state).toBe('pending');
    expect(channel.pendingCount).toBe(1);
  });

  it('takes a dropped answer of its own that no request waits for, and leaves other errors', () => {
    const { channel } = harness({ generation: 4 });
    expect(channel.interceptError(dropped('sv4-99'))).toBe(true);
    expect(channel.interceptError(dropped('1'))).toBe(false);
    expect(channel.interceptError(new Error('ignored a malformed message'))).toBe(false);
  });
});
