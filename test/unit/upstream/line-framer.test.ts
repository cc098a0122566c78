import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { describe, expect, it } from 'vitest';
import {
  decodeJsonRpcLine,
  droppedRequestId,
  encodeJsonRpcMessage,
  JsonRpcLineDecoder,
  LineFramer,
  OversizedLineError,
} from '../../../supervisor/upstream/line-framer.ts';

function collectLines(maxLineBytes?: number) {
  const lines: string[] = [];
  const errors: Error[] = [];
  const framer = new LineFramer({
    onLine: (line) => lines.push(line),
    onError: (error) => errors.push(error),
    maxLineBytes,
  });
  return { framer, lines, errors };
}

function collectMessages() {
  const messages: JSONRPCMessage[] = [];
  const errors: Error[] = [];
  const decoder = new JsonRpcLineDecoder({
    onMessage: (m) => messages.push(m),
    onError: (e) => errors.push(e),
  });
  return { decoder, messages, errors };
}

describe('LineFramer', () => {
  it('joins a line split across chunks, including inside a multi-byte character', () => {
    const { framer, lines } = collectLines();
    const bytes = Buffer.from('{"text":"héllo ✓"}\n');
    for (let i = 0; i < bytes.length; i += 3) framer.push(bytes.subarray(i, i + 3));
    expect(lines).toEqual(['{"text":"héllo ✓"}']);
    expect(framer.bufferedBytes).toBe(0);
  });

  it('emits several lines from one chunk and keeps the unfinished rest', () => {
    const { framer, lines } = collectLines();
    framer.push(Buffer.from('one\ntwo\r\n\nthree'));
    expect(lines).toEqual(['one', 'two']);
    expect(framer.bufferedBytes).toBe(5);
    framer.push(Buffer.from('\n'));
    expect(lines).toEqual(['one', 'two', 'three']);
  });

  it('reassembles an 8 MiB line delivered in 64 KiB chunks', () => {
    const { framer, lines } = collectLines();
    const text = 'x'.repeat(8 * 1024 * 1024);
    const bytes = Buffer.from(`${text}\nafter\n`);
    for (let i = 0; i < bytes.length; i += 64 * 1024) framer.push(bytes.subarray(i, i + 64 * 1024));
    expect(lines).toHaveLength(2);
    expect(lines[0]).toBe(text);
    expect(lines[1]).toBe('after');
  });

  it('drops a line longer than maxLineBytes with an error and carries on', () => {
    const { framer, lines, errors } = collectLines(10);
    framer.push(Buffer.from('short\n0123456789'));
    framer.push(Buffer.from('abcdef'));
    framer.push(Buffer.from('ghi\nnext\n'));
    expect(lines).toEqual(['short', 'next']);
    expect(errors).toHaveLength(1);
    expect(errors[0]!.message).toContain('a message of 19 bytes, over the limit of 10 bytes');
  });

  it('rejects a bad maxLineBytes naming the option', () => {
    expect(() => collectLines(0)).toThrow(/maxLineBytes/);
  });

  // Issue 9 item 3: an answer over the limit was dropped silently; its request waited 30 s for a
  // misleading timeout. The error now comes when the line ends, with its size and request id.
  it.each([
    [
      'the SDK order (result first)',
      `{"result":{"text":"${'x'.repeat(300)}"},"jsonrpc":"2.0","id":"sv1-7"}`,
      'sv1-7',
    ],
    [
      'id first',
      `{"jsonrpc":"2.0","id":"sv1-8","result":{"text":"${'x'.repeat(300)}","id":"sv1-1"}}`,
      'sv1-8',
    ],
    ['a number id, CRLF', `{"jsonrpc":"2.0","result":{"t":"${'y'.repeat(300)}"},"id":12}\r`, 12],
    [
      'an inner id at the end',
      `{"jsonrpc":"2.0","result":{"t":"${'y'.repeat(300)}","id":"sv1-1"}}`,
      undefined,
    ],
    [
      'a notification',
      `{"jsonrpc":"2.0","method":"notifications/message","params":{"d":"${'z'.repeat(300)}"}}`,
      undefined,
    ],
  ])('reports an oversized line once it ends, with its size and request id (%s)', (_label, line, id) => {
    const { framer, lines, errors } = collectLines(100);
    const bytes = Buffer.from(`${line}\n{"next":1}\n`);
    for (let i = 0; i < bytes.length; i += 37) framer.push(bytes.subarray(i, i + 37));
    expect(lines).toEqual(['{"next":1}']);
    expect(errors).toHaveLength(1);
    const error = errors[0]!;
    const size = Buffer.byteLength(line.replace(/\r$/, ''));
    expect(error).toBeInstanceOf(OversizedLineError);
    expect((error as OversizedLineError).bytes).toBe(size);
    expect(droppedRequestId(error as OversizedLineError)).toBe(id);
    expect(error.message).toContain(`a message of ${size} bytes, over the limit of 100 bytes`);
  });

  it('reports a line over the limit within one chunk the same way', () => {
    const { framer, errors } = collectLines(50);
    framer.push(Buffer.from(`{"result":{"t":"${'x'.repeat(60)}"},"jsonrpc":"2.0","id":"sv2-0"}\n`));
    expect(droppedRequestId(errors[0] as OversizedLineError)).toBe('sv2-0');
  });
});

describe('JsonRpcLineDecoder', () => {
  it('reports an invalid JSON line and continues with the next', () => {
    const { decoder, messages, errors } = collectMessages();
    decoder.push(Buffer.from('{"jsonrpc":"2.0","id":1,"result":{}}\n{not json\n'));
    decoder.push(Buffer.from('{"jsonrpc":"2.0","method":"notifications/initialized"}\n'));
    expect(messages).toEqual([
      { jsonrpc: '2.0', id: 1, result: {} },
      { jsonrpc: '2.0', method: 'notifications/initialized' },
    ]);
    expect(errors).toHaveLength(1);
    expect(errors[0]!.message).toContain('{not json');
  });

  it('reports JSON that is not a JSON-RPC message', () => {
    const { decoder, messages, errors } = collectMessages();
    decoder.push(
      Buffer.from('{"jsonrpc":"1.0","id":1}\n[1,2]\n{"jsonrpc":"2.0","id":2,"result":{"ok":true}}\n'),
    );
    expect(messages).toEqual([{ jsonrpc: '2.0', id: 2, result: { ok: true } }]);
    expect(errors).toHaveLength(2);
  });

  it('decodes an 8 MiB message in 64 KiB chunks', () => {
    const { decoder, messages } = collectMessages();
    const text = 'y'.repeat(8 * 1024 * 1024);
    const bytes = Buffer.from(
      encodeJsonRpcMessage({ jsonrpc: '2.0', id: 7, result: { content: [{ type: 'text', text }] } }),
    );
    for (let i = 0; i < bytes.length; i += 64 * 1024) decoder.push(bytes.subarray(i, i + 64 * 1024));
    expect(messages).toHaveLength(1);
    const result = (messages[0] as unknown as { result: { content: Array<{ text: string }> } }).result;
    expect(result.content[0]!.text).toBe(text);
  });
});

describe('decodeJsonRpcLine', () => {
  it('accepts every kind of message and refuses other shapes', () => {
    expect(decodeJsonRpcLine('{"jsonrpc":"2.0","id":"a","method":"ping"}')).toMatchObject({ method: 'ping' });
    expect(
      decodeJsonRpcLine('{"jsonrpc":"2.0","id":3,"error":{"code":-32600,"message":"bad"}}'),
    ).toMatchObject({
      error: { code: -32600 },
    });
    expect(() => decodeJsonRpcLine('{"jsonrpc":"2.0","id":null,"method":"ping"}')).toThrow();
    expect(() => decodeJsonRpcLine('{"jsonrpc":"2.0","id":1,"result":"not an object"}')).toThrow();
    expect(() => decodeJsonRpcLine('nope')).toThrow(SyntaxError);
  });
});
