import { describe, expect, it } from 'vitest';
import { fulfilInputRequired, MAX_INPUT_ROUNDS } from '../../../supervisor/gateway/input-required.ts';
import type { Session } from '../../../supervisor/gateway/session.ts';

type Result = Record<string, unknown>;

/** A session whose client answers each request with `answer(method)`, recording what it was asked. */
function session(answer: (method: string) => Result) {
  const asked: string[] = [];
  const fake = {
    requestFromClient: async (method: string) => {
      asked.push(method);
      return { jsonrpc: '2.0', id: 'x', result: answer(method) };
    },
  } as unknown as Session;
  return { session: fake, asked };
}

describe('fulfilInputRequired (a 2025 client on a 2026 server)', () => {
  it('asks the session each input request, retries with the responses and the state echoed, drops resultType', async () => {
    const { session: fake, asked } = session((method) =>
      method === 'roots/list'
        ? { roots: [{ uri: 'file:///x' }] }
        : { action: 'accept', content: { name: 'zoe' } },
    );
    const sent: Result[] = [];
    const result = await fulfilInputRequired({
      session: fake,
      params: { name: 'ask', _meta: { 'io.modelcontextprotocol/protocolVersion': '2026-07-28' } },
      timeoutMs: 1_000,
      signal: new AbortController().signal,
      send: async (params) => {
        sent.push(params);
        if (sent.length === 1) {
          return {
            resultType: 'input_required',
            inputRequests: {
              who: { method: 'elicitation/create', params: { message: 'name?' } },
              where: { method: 'roots/list' },
            },
            requestState: 'opaque-state',
          };
        }
        return { resultType: 'complete', content: [{ type: 'text', text: 'hello zoe' }] };
      },
    });
    expect(asked).toEqual(['elicitation/create', 'roots/list']);
    expect(sent[1]).toMatchObject({
      name: 'ask',
      requestState: 'opaque-state',
      inputResponses: {
        who: { action: 'accept', content: { name: 'zoe' } },
        where: { roots: [{ uri: 'file:///x' }] },
      },
    });
    expect(result).toEqual({ content: [{ type: 'text', text: 'hello zoe' }] });
  });

  it(`gives up after ${MAX_INPUT_ROUNDS} rounds, and refuses what is not an input request`, async () => {
    const { session: fake } = session(() => ({ roots: [] }));
    const endless = fulfilInputRequired({
      session: fake,
      params: {},
      timeoutMs: 1_000,
      signal: new AbortController().signal,
      send: async () => ({ resultType: 'input_required', inputRequests: { r: { method: 'roots/list' } } }),
    });
    await expect(endless).rejects.toThrow(/more than 10 times/);
    const odd = fulfilInputRequired({
      session: fake,
      params: {},
      timeoutMs: 1_000,
      signal: new AbortController().signal,
      send: async () => ({ resultType: 'input_required', inputRequests: { r: { method: 'tools/call' } } }),
    });
    await expect(odd).rejects.toThrow(/not an input request/);
  });
});
