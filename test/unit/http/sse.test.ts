import type { ServerResponse } from 'node:http';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { openEventStream, SseWriter } from '../../../supervisor/http/sse.ts';
import { FakeResponse } from './fake-response.ts';

function writerOn(options?: ConstructorParameters<typeof SseWriter>[1]) {
  const res = new FakeResponse();
  return { res, writer: new SseWriter(res as unknown as ServerResponse, options) };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('SseWriter', () => {
  it('writes the stream head with the extra headers, and each event in one write', () => {
    const { res, writer } = writerOn({ headers: { 'mcp-session-id': 's1' } });
    expect(res.status).toBe(200);
    expect(res.headers).toEqual({
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'mcp-session-id': 's1',
    });
    expect(writer.send({ jsonrpc: '2.0', method: 'x' })).toBe(true);
    writer.send({ n: 1 }, 'lines');
    expect(res.chunks).toEqual([
      'event: message\ndata: {"jsonrpc":"2.0","method":"x"}\n\n',
      'event: lines\ndata: {"n":1}\n\n',
    ]);
  });

  it('ends with a last event, then writes nothing more', () => {
    const { res, writer } = writerOn();
    writer.end({ id: 1 });
    expect(res.isEnded).toBe(true);
    expect(writer.isClosed).toBe(true);
    expect(writer.send({ late: true })).toBe(false);
    writer.comment('ignored');
    expect(res.chunks).toEqual(['event: message\ndata: {"id":1}\n\n']);
  });

  it('tells close listeners once when the client goes, and at once when it is already gone', () => {
    const { res, writer } = writerOn();
    const closed = vi.fn();
    writer.onClose(closed);
    res.drop();
    res.emit('close');
    expect(closed).toHaveBeenCalledTimes(1);
    const late = vi.fn();
    writer.onClose(late);
    expect(late).toHaveBeenCalledTimes(1);
    expect(writer.send({})).toBe(false);
  });

  it('sends a heartbeat comment only when asked, and stops it when the client goes', () => {
    vi.useFakeTimers();
    const quiet = writerOn();
    const beating = writerOn({ heartbeatMs: 1_000 });
    vi.advanceTimersByTime(2_500);
    expect(quiet.res.chunks).toEqual([]);
    expect(beating.res.chunks).toEqual([': ping\n\n', ': ping\n\n']);
    beating.res.drop();
    vi.advanceTimersByTime(5_000);
    expect(beating.res.chunks).toHaveLength(2);
  });

  it('openEventStream: the control API stream sends its head at once, with a heartbeat', () => {
    vi.useFakeTimers();
    const res = new FakeResponse();
    const stream = openEventStream(res as unknown as ServerResponse, { heartbeatMs: 100 });
    expect(res.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    expect(res.headers['x-accel-buffering']).toBe('no');
    expect(res.chunks).toEqual([': connected\n\n']);
    stream.send({ server: 'a' }, 'server');
    vi.advanceTimersByTime(100);
    expect(res.chunks.slice(1)).toEqual(['event: server\ndata: {"server":"a"}\n\n', ': ping\n\n']);
  });
});
