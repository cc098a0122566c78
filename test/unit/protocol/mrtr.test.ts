import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { MrtrMachine } from '../../../supervisor/protocol/mrtr.ts';
import { RequestStateCodec, requestDigest } from '../../../supervisor/protocol/request-state.ts';

function setup() {
  let now = 1_000;
  const codec = new RequestStateCodec(randomBytes(32));
  const machine = new MrtrMachine({ codec, roundTimeoutMs: 5_000, clock: () => now });
  const params = { name: 'ask', arguments: { q: 1 } };
  const flight = machine.begin({
    clientRequestId: 1,
    upstreamRequestId: 'sv1-1',
    principal: 'key-a',
    method: 'tools/call',
    params,
    clientCapabilities: { elicitation: {}, sampling: {} },
  });
  return { machine, codec, flight, params, advance: (ms: number) => (now += ms) };
}
const ELICIT = {
  id: 100,
  method: 'elicitation/create',
  params: { message: 'name?', requestedSchema: { type: 'object' } },
};

function stateOf(actions: { type: string; result?: Record<string, unknown> }[]): string {
  const round = actions.find((a) => a.type === 'answer-client');
  return String(round?.result?.requestState);
}

describe('MrtrMachine (2026 client, 2025 server)', () => {
  it('turns a server elicitation into an input_required round, and the retry into the answer', () => {
    const { machine, flight, params } = setup();
    const round = machine.onServerRequest(flight, ELICIT);
    expect(round).toEqual([
      {
        type: 'answer-client',
        clientRequestId: 1,
        result: {
          resultType: 'input_required',
          inputRequests: { r1: { method: 'elicitation/create', params: ELICIT.params } },
          requestState: expect.any(String),
        },
      },
    ]);
    const retry = machine.onRetry({
      clientRequestId: 2,
      principal: 'key-a',
      method: 'tools/call',
      params,
      requestState: stateOf(round),
      inputResponses: { r1: { action: 'accept', content: { name: 'octocat' } } },
    });
    expect(retry).toEqual([
      {
        type: 'answer-server',
        serverRequestId: 100,
        result: { action: 'accept', content: { name: 'octocat' } },
      },
    ]);
    expect(machine.flightOf(2, 'key-a')).toBe(flight);
    expect(machine.onUpstreamOutcome(flight, { result: { content: [] } })).toEqual([
      { type: 'answer-client', clientRequestId: 2, result: { content: [] } },
    ]);
    expect(machine.size).toBe(0);
  });

  it('asks again for what a retry left out, and gathers a request that arrived while parked', () => {
    const { machine, flight, params } = setup();
    const first = machine.onServerRequest(flight, ELICIT);
    expect(
      machine.onServerRequest(flight, {
        id: 101,
        method: 'sampling/createMessage',
        params: { messages: [], maxTokens: 5 },
      }),
    ).toEqual([]);
    const second = machine.onRetry({
      clientRequestId: 2,
      principal: 'key-a',
      method: 'tools/call',
      params,
      requestState: stateOf(first),
      inputResponses: { r1: { action: 'decline' } },
    });
    expect(second[0]).toEqual({ type: 'answer-server', serverRequestId: 100, result: { action: 'decline' } });
    expect(second[1]).toMatchObject({
      type: 'answer-client',
      clientRequestId: 2,
      result: { resultType: 'input_required', inputRequests: { r2: { method: 'sampling/createMessage' } } },
    });
    expect(
      Object.keys((second[1] as unknown as { result: { inputRequests: object } }).result.inputRequests),
    ).toEqual(['r2']);
  });

  it('refuses a server request for a capability the client did not declare, without a round', () => {
    const { machine, flight } = setup();
    expect(machine.onServerRequest(flight, { id: 7, method: 'roots/list' })).toEqual([
      {
        type: 'refuse-server',
        serverRequestId: 7,
        error: expect.objectContaining({ code: -32601, message: expect.stringContaining('roots') }),
      },
    ]);
  });

  it('refuses a server request no flight takes (e.g. roots/list after initialized) with the documented error', () => {
    const { machine } = setup();
    expect(machine.onServerRequest('nope', { id: 8, method: 'roots/list' })).toEqual([
      {
        type: 'refuse-server',
        serverRequestId: 8,
        error: expect.objectContaining({
          code: -32601,
          message: expect.stringContaining('no client request'),
        }),
      },
    ]);
  });

  it('refuses a retry from another principal, with other params, a tampered state, or a replayed round', () => {
    const { machine, flight, params } = setup();
    const state = stateOf(machine.onServerRequest(flight, ELICIT));
    const base = {
      clientRequestId: 2,
      principal: 'key-a',
      method: 'tools/call',
      params,
      requestState: state,
      inputResponses: { r1: { action: 'cancel' } },
    };
    for (const bad of [
      { principal: 'key-b' },
      { params: { name: 'ask', arguments: { q: 2 } } },
      { requestState: `${state.slice(0, -2)}xx` },
    ]) {
      expect(machine.onRetry({ ...base, ...bad })).toEqual([
        {
          type: 'refuse-client',
          clientRequestId: 2,
          httpStatus: 400,
          error: expect.objectContaining({ code: -32602 }),
        },
      ]);
    }
    expect(machine.onRetry(base)[0]).toMatchObject({ type: 'answer-server' });
    expect(machine.onRetry({ ...base, clientRequestId: 3 })).toEqual([
      expect.objectContaining({ type: 'refuse-client', clientRequestId: 3 }),
    ]);
  });

  it('cancels the parked upstream call and refuses the server when the client never retries', () => {
    const { machine, flight, advance } = setup();
    machine.onServerRequest(flight, ELICIT);
    expect(machine.sweep()).toEqual([]);
    advance(5_001);
    expect(machine.sweep()).toEqual([
      { type: 'cancel-upstream', upstreamRequestId: 'sv1-1', reason: expect.stringContaining('in time') },
      { type: 'refuse-server', serverRequestId: 100, error: expect.objectContaining({ code: -32603 }) },
    ]);
    expect(machine.size).toBe(0);
  });

  it('cancels upstream when the waiting client goes away, but not while parked', () => {
    const { machine, flight } = setup();
    machine.onServerRequest(flight, ELICIT);
    expect(machine.onClientGone(flight)).toEqual([]);
    const other = setup();
    expect(other.machine.onClientGone(other.flight)).toEqual([
      { type: 'cancel-upstream', upstreamRequestId: 'sv1-1', reason: expect.any(String) },
    ]);
  });

  it('keeps an upstream answer that came while parked for the next valid retry', () => {
    const { machine, flight, params } = setup();
    const state = stateOf(machine.onServerRequest(flight, ELICIT));
    expect(machine.onUpstreamOutcome(flight, { error: { code: -32603, message: 'server gave up' } })).toEqual(
      [],
    );
    expect(
      machine.onRetry({
        clientRequestId: 2,
        principal: 'key-a',
        method: 'tools/call',
        params,
        requestState: state,
        inputResponses: {},
      }),
    ).toEqual([
      {
        type: 'refuse-client',
        clientRequestId: 2,
        httpStatus: 200,
        error: { code: -32603, message: 'server gave up' },
      },
    ]);
  });
});

describe('requestDigest', () => {
  it('ignores _meta, inputResponses, requestState and key order', () => {
    expect(
      requestDigest('tools/call', {
        name: 'a',
        arguments: { x: 1, y: 2 },
        _meta: { p: 1 },
        requestState: 's',
      }),
    ).toBe(requestDigest('tools/call', { arguments: { y: 2, x: 1 }, name: 'a' }));
    expect(requestDigest('tools/call', { name: 'a' })).not.toBe(requestDigest('prompts/get', { name: 'a' }));
  });
});
