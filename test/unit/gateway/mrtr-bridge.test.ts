import { ProtocolError } from '@modelcontextprotocol/client';
import { afterEach, describe, expect, it } from 'vitest';
import { ModernCaller } from '../../../supervisor/gateway/caller.ts';
import { MrtrBridge } from '../../../supervisor/gateway/mrtr-bridge.ts';
import { RpcAnswerError } from '../../../supervisor/gateway/rpc-errors.ts';

type Result = Record<string, unknown>;

function caller(key: string, capabilities: Record<string, unknown> = { elicitation: {} }) {
  return new ModernCaller({
    server: 'srv',
    clientKey: key,
    scope: undefined,
    envelope: { revision: '2026-07-28', clientCapabilities: capabilities },
  });
}

/** An upstream call that resolves when the test says so, and records its cancellation. */
function upstreamCall() {
  let resolve!: (result: Result) => void;
  let cancelled: unknown;
  const run = (signal: AbortSignal) =>
    new Promise<Result>((settle, reject) => {
      resolve = settle;
      signal.addEventListener('abort', () => {
        cancelled = signal.reason;
        reject(signal.reason);
      });
    });
  return { run, resolve: (result: Result) => resolve(result), cancelled: () => cancelled };
}

const bridges: MrtrBridge[] = [];
function bridge(roundTimeoutMs = 60_000) {
  const created = new MrtrBridge({ roundTimeoutMs });
  bridges.push(created);
  return created;
}

afterEach(() => {
  for (const created of bridges.splice(0)) created.close();
});

const PARAMS = { name: 'ask', arguments: {} };

/** The first request of a flight: `tools/call` of `ask`, sent upstream with `run`. */
function start(
  mrtr: MrtrBridge,
  client: ModernCaller,
  run: (signal: AbortSignal) => Promise<Result>,
  signal: AbortSignal = new AbortController().signal,
) {
  return mrtr.call({
    caller: client,
    server: 'srv',
    method: 'tools/call',
    params: PARAMS,
    signal,
    onProgress: undefined,
    run,
  });
}

/** The client's retry of a round. */
function resume(mrtr: MrtrBridge, client: ModernCaller, requestState: string, inputResponses: Result) {
  return mrtr.retry({
    caller: client,
    method: 'tools/call',
    params: PARAMS,
    requestState,
    inputResponses,
    signal: new AbortController().signal,
    onProgress: undefined,
  });
}

describe('MrtrBridge (a 2026 client on a 2025 server)', () => {
  it('turns the server request of a call in flight into a round, and the retry into the answer', async () => {
    const mrtr = bridge();
    const upstream = upstreamCall();
    const client = caller('k1');
    const first = start(mrtr, client, upstream.run, new AbortController().signal);
    const candidate = mrtr.candidate('srv', 'elicitation/create');
    expect(candidate).toBeDefined();
    const asked = mrtr.serverRequest(candidate!.flightId, 'elicitation/create', { message: 'name?' });
    const round = await first;
    expect(round).toMatchObject({
      resultType: 'input_required',
      inputRequests: { r1: { method: 'elicitation/create', params: { message: 'name?' } } },
    });
    const retry = resume(mrtr, client, round.requestState as string, {
      r1: { action: 'accept', content: { name: 'zoe' } },
    });
    // The server's request is answered with the client's response, then its call completes.
    await expect(asked).resolves.toEqual({ action: 'accept', content: { name: 'zoe' } });
    upstream.resolve({ content: [{ type: 'text', text: 'hello zoe' }] });
    await expect(retry).resolves.toEqual({ content: [{ type: 'text', text: 'hello zoe' }] });
  });

  it('offers a flight for attribution only to a request its client declared the capability for', () => {
    const mrtr = bridge();
    start(mrtr, caller('k1', { elicitation: {} }), upstreamCall().run, new AbortController().signal).catch(
      () => {},
    ); // answered by close() at the end of the test
    expect(mrtr.candidate('srv', 'elicitation/create')).toBeDefined();
    expect(mrtr.candidate('srv', 'sampling/createMessage')).toBeUndefined();
    expect(mrtr.candidate('srv', 'roots/list')).toBeUndefined();
    expect(mrtr.candidate('other', 'elicitation/create')).toBeUndefined();
  });

  it('refuses a retry of another key with 400/-32602, and the server request stays pending for its own', async () => {
    const mrtr = bridge();
    const upstream = upstreamCall();
    const first = start(mrtr, caller('k1'), upstream.run, new AbortController().signal);
    void mrtr.serverRequest(mrtr.candidate('srv', 'elicitation/create')!.flightId, 'elicitation/create', {});
    const round = await first;
    const stolen = resume(mrtr, caller('k2'), round.requestState as string, { r1: { action: 'decline' } });
    const error = await stolen.then(
      () => undefined,
      (reason: unknown) => reason,
    );
    expect(error).toBeInstanceOf(RpcAnswerError);
    expect(error).toMatchObject({ code: -32602, httpStatus: 400 });
  });

  it('cancels the upstream call when the client closes its stream while waiting', async () => {
    const mrtr = bridge();
    const upstream = upstreamCall();
    const stream = new AbortController();
    const first = start(mrtr, caller('k1'), upstream.run, stream.signal);
    stream.abort(new Error('the client closed the request stream'));
    await expect(first).rejects.toThrow(/closed the request stream/);
    expect(String(upstream.cancelled())).toMatch(/cancelled/);
  });

  it('refuses a server request when its flight is gone, with the error the server must get', async () => {
    const mrtr = bridge();
    const refused = await mrtr.serverRequest('f-none', 'roots/list', undefined).then(
      () => undefined,
      (reason: unknown) => reason,
    );
    expect(refused).toBeInstanceOf(ProtocolError);
    expect(refused).toMatchObject({ code: -32601 });
  });

  it('runs the call of a client that can take no input without a flight, with its own signal and progress', async () => {
    const mrtr = bridge();
    const stream = new AbortController();
    let seen: { signal: AbortSignal; onProgress: unknown } | undefined;
    let resolve!: (result: Result) => void;
    const answer = mrtr.call({
      caller: caller('k1', {}),
      server: 'srv',
      method: 'tools/call',
      params: PARAMS,
      signal: stream.signal,
      onProgress: undefined,
      run: (signal, onProgress) => {
        seen = { signal, onProgress };
        return new Promise((settle) => {
          resolve = settle;
        });
      },
    });
    // Nothing for a server request to be attributed to: it is refused as with no request in flight.
    expect(mrtr.candidate('srv', 'elicitation/create')).toBeUndefined();
    expect(seen?.signal).toBe(stream.signal);
    // No progress asked for: the upstream call gets no progressToken.
    expect(seen?.onProgress).toBeUndefined();
    resolve({ content: [] });
    await expect(answer).resolves.toEqual({ content: [] });
  });

  it("answers a failed call of a client that can take no input as a flight's: in-band, HTTP 200", async () => {
    const mrtr = bridge();
    const error = await mrtr
      .call({
        caller: caller('k1', {}),
        server: 'srv',
        method: 'tools/call',
        params: PARAMS,
        signal: new AbortController().signal,
        onProgress: undefined,
        run: () => Promise.reject(new ProtocolError(-32601, 'no tools here')),
      })
      .then(
        () => undefined,
        (reason: unknown) => reason,
      );
    expect(error).toBeInstanceOf(RpcAnswerError);
    expect(error).toMatchObject({ code: -32601, message: 'no tools here', httpStatus: 200 });
  });
});
