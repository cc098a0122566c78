import type { ServerResponse } from 'node:http';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type InFlight, Session } from '../../../supervisor/gateway/session.ts';
import { SseWriter } from '../../../supervisor/http/sse.ts';
import { FakeResponse } from '../http/fake-response.ts';

function stream(): { res: FakeResponse; writer: SseWriter } {
  const res = new FakeResponse();
  return { res, writer: new SseWriter(res as unknown as ServerResponse, {}) };
}

function newSession() {
  return new Session({
    server: 'everything',
    clientKey: undefined,
    scope: undefined,
    clientInfo: { name: 't', version: '1' },
    capabilities: { sampling: {} },
    protocolVersion: '2025-06-18',
  });
}

function inFlight(writer?: SseWriter): InFlight {
  return {
    id: 1,
    method: 'tools/call',
    abort: new AbortController(),
    startedAt: Date.now(),
    ...(writer ? { stream: writer } : {}),
  };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('Session.requestFromClient', () => {
  it('without any open stream answers an error at once, naming the GET stream', async () => {
    const session = newSession();
    const response = await session.requestFromClient('sampling/createMessage', {}, { timeoutMs: 60_000 });
    expect(response.error?.code).toBe(-32000);
    expect(response.error?.message).toMatch(/sampling\/createMessage/);
    expect(response.error?.message).toMatch(/GET stream/);
  });

  it('a closed stream counts as none', async () => {
    const session = newSession();
    const { res, writer } = stream();
    session.standalone = writer;
    res.drop();
    const response = await session.requestFromClient('roots/list', undefined, { timeoutMs: 60_000 });
    expect(response.error?.code).toBe(-32000);
  });

  it('sends on the stream of the request it belongs to, and resolves with the client answer', async () => {
    const session = newSession();
    const standalone = stream();
    const post = stream();
    session.standalone = standalone.writer;
    const pending = session.requestFromClient(
      'sampling/createMessage',
      { maxTokens: 5 },
      {
        via: inFlight(post.writer),
        timeoutMs: 60_000,
      },
    );
    const [sent] = post.res.messages();
    expect(sent).toMatchObject({
      jsonrpc: '2.0',
      method: 'sampling/createMessage',
      params: { maxTokens: 5 },
    });
    expect(standalone.res.messages()).toEqual([]);
    expect(session.deliverResponse({ jsonrpc: '2.0', id: sent!.id as string, result: { ok: 1 } })).toBe(true);
    expect(await pending).toEqual({ jsonrpc: '2.0', id: sent!.id, result: { ok: 1 } });
    // Answered once: a second answer finds nothing waiting.
    expect(session.deliverResponse({ jsonrpc: '2.0', id: sent!.id as string, result: {} })).toBe(false);
  });

  it("falls back to the standalone stream when the request's stream is closed", async () => {
    const session = newSession();
    const standalone = stream();
    const post = stream();
    session.standalone = standalone.writer;
    post.res.drop();
    const pending = session.requestFromClient('roots/list', undefined, {
      via: inFlight(post.writer),
      timeoutMs: 60_000,
    });
    const [sent] = standalone.res.messages();
    expect(sent?.method).toBe('roots/list');
    session.deliverResponse({ jsonrpc: '2.0', id: sent!.id as string, result: { roots: [] } });
    expect((await pending).result).toEqual({ roots: [] });
  });

  it('answers a timeout error when the client never answers (no hang)', async () => {
    vi.useFakeTimers();
    const session = newSession();
    session.standalone = stream().writer;
    const pending = session.requestFromClient('elicitation/create', {}, { timeoutMs: 1_000 });
    let settled = false;
    void pending.then(() => {
      settled = true;
    });
    await vi.advanceTimersByTimeAsync(999);
    expect(settled).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    const response = await pending;
    expect(response.error?.code).toBe(-32001);
    expect(response.error?.message).toMatch(/1000 ms/);
    // A late answer is not delivered anywhere.
    expect(session.deliverResponse({ jsonrpc: '2.0', id: response.id, result: {} })).toBe(false);
  });

  it('an abort answers at once and tells the client the request is cancelled', async () => {
    const session = newSession();
    const standalone = stream();
    session.standalone = standalone.writer;
    const abort = new AbortController();
    const pending = session.requestFromClient(
      'sampling/createMessage',
      {},
      { timeoutMs: 60_000, signal: abort.signal },
    );
    const [sent] = standalone.res.messages();
    abort.abort();
    const response = await pending;
    expect(response.error?.code).toBe(-32800);
    const cancelled = standalone.res.messages().find((m) => m.method === 'notifications/cancelled');
    expect(cancelled?.params).toMatchObject({ requestId: sent!.id });
    expect(session.deliverResponse({ jsonrpc: '2.0', id: sent!.id as string, result: {} })).toBe(false);
  });

  it('closing the session answers pending client requests and aborts requests in flight', async () => {
    const session = newSession();
    const standalone = stream();
    session.standalone = standalone.writer;
    const running = inFlight();
    session.inFlight.set(running.id, running);
    const pending = session.requestFromClient('roots/list', undefined, { timeoutMs: 60_000 });
    session.close('the client ended the session');
    const response = await pending;
    expect(response.error?.code).toBe(-32000);
    expect(response.error?.message).toBe('the client ended the session');
    expect(running.abort.signal.aborted).toBe(true);
    expect(session.isClosed).toBe(true);
    expect(standalone.res.isEnded).toBe(true);
  });

  it('uses a new id for every request', async () => {
    const session = newSession();
    const standalone = stream();
    session.standalone = standalone.writer;
    void session.requestFromClient('roots/list', undefined, { timeoutMs: 60_000 });
    void session.requestFromClient('roots/list', undefined, { timeoutMs: 60_000 });
    const ids = standalone.res.messages().map((m) => m.id);
    expect(new Set(ids).size).toBe(2);
    session.close('done');
  });
});

describe('Session', () => {
  it('canReach follows the key scope', () => {
    const scoped = new Session({
      server: undefined,
      clientKey: 'k1',
      scope: new Set(['a']),
      clientInfo: undefined,
      capabilities: {},
      protocolVersion: '2025-06-18',
    });
    expect(scoped.canReach('a')).toBe(true);
    expect(scoped.canReach('b')).toBe(false);
    expect(scoped.clientKey).toBe('k1');
    expect(newSession().canReach('anything')).toBe(true);
    expect(newSession().clientKey).not.toBe(newSession().clientKey);
  });

  it('notify drops a notification when no GET stream is open', () => {
    const session = newSession();
    expect(session.notify({ jsonrpc: '2.0', method: 'notifications/tools/list_changed' })).toBe(false);
    const { res, writer } = stream();
    session.standalone = writer;
    expect(session.notify({ jsonrpc: '2.0', method: 'notifications/tools/list_changed' })).toBe(true);
    expect(res.messages()).toEqual([{ jsonrpc: '2.0', method: 'notifications/tools/list_changed' }]);
  });
});
