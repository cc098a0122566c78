import { randomBytes } from 'node:crypto';
import { ProtocolError } from '@modelcontextprotocol/client';
import { INPUT_METHODS, type MrtrAction, MrtrMachine, type RpcError } from '../protocol/mrtr.ts';
import { RequestStateCodec } from '../protocol/request-state.ts';
import type { Caller } from './caller.ts';
import { RpcAnswerError, toErrorResponse } from './rpc-errors.ts';

type Result = Record<string, unknown>;

/** A client request waiting for its answer (the first call of a flight, or a retry). */
interface Waiter {
  resolve: (result: Result) => void;
  reject: (error: unknown) => void;
  flightId: string;
  onProgress: ((progress: Result) => void) | undefined;
}

/** An upstream call of a 2026 client in flight on a 2025 server. */
interface Flight {
  id: string;
  server: string;
  startedAt: number;
  capabilities: Readonly<Record<string, unknown>>;
  abort: AbortController;
  /** The flight's first client request: the machine names the upstream call by it. */
  upstreamId: string;
  /** The client request the flight answers now (the first call, then each retry). */
  waiterKey: string;
}

/**
 * Multi-round-trip requests of 2026-07-28 clients on 2025 servers, in the gateway: carries out
 * what the pure {@link MrtrMachine} decides. A `tools/call`, `prompts/get` or `resources/read` of a
 * modern client becomes a *flight*: its upstream call stays open while the client answers an
 * `input_required` round; a sampling/elicitation/roots request the server sends meanwhile becomes
 * that round; the client's retry (a new request with `inputResponses` and the signed
 * `requestState`) answers the server's requests and waits for the upstream result.
 *
 * The state key is random per gateway process: a restart invalidates parked rounds, whose upstream
 * calls died with it anyway. A sweep cancels rounds not retried within `roundTimeoutMs`.
 */
export class MrtrBridge {
  readonly #machine: MrtrMachine;
  readonly #waiters = new Map<string, Waiter>();
  readonly #flights = new Map<string, Flight>();
  readonly #byUpstreamId = new Map<string, Flight>();
  readonly #serverRequests = new Map<
    string,
    { resolve: (r: Result) => void; reject: (e: unknown) => void }
  >();
  readonly #sweep: NodeJS.Timeout;
  #next = 0;

  constructor(options: { roundTimeoutMs: number }) {
    this.#machine = new MrtrMachine({
      codec: new RequestStateCodec(randomBytes(32)),
      roundTimeoutMs: options.roundTimeoutMs,
    });
    this.#sweep = setInterval(
      () => this.#execute(this.#machine.sweep()),
      Math.min(5_000, options.roundTimeoutMs),
    );
    this.#sweep.unref();
  }

  /**
   * Runs the first request of a flight. `run` sends it upstream (with the flight's signal, which
   * outlives this HTTP request while a round is parked); `signal` is the client request's own
   * (its stream closing is its cancellation). Resolves with the final or an `input_required` result.
   */
  call(options: {
    caller: Caller;
    server: string;
    method: string;
    params: Result | undefined;
    signal: AbortSignal;
    onProgress: ((progress: Result) => void) | undefined;
    /** `onProgress` is undefined when nobody can take progress (the server gets no progressToken). */
    run: (signal: AbortSignal, onProgress: ((progress: Result) => void) | undefined) => Promise<Result>;
  }): Promise<Result> {
    // A client that declared none of sampling, elicitation, roots can never be given a round:
    // {@link candidate} never picks its flight, so the flight would only be bookkeeping (a digest
    // of the params, four maps, a controller, a promise, and a progressToken for the server: ~15 %
    // of the supervisor's CPU per call of the 2026 bench client). Its call runs as is, with its own
    // signal and progress; its errors are answered as a flight's are.
    if (!canTakeInput(options.caller.capabilities)) {
      return options
        .run(options.signal, options.onProgress)
        .catch((error: unknown) => Promise.reject(options.signal.aborted ? error : flightError(error)));
    }
    const key = this.#key();
    const flightId = this.#machine.begin({
      clientRequestId: key,
      upstreamRequestId: key,
      principal: options.caller.clientKey,
      method: options.method,
      params: options.params,
      clientCapabilities: options.caller.capabilities as Record<string, unknown>,
    });
    const flight: Flight = {
      id: flightId,
      server: options.server,
      startedAt: Date.now(),
      capabilities: options.caller.capabilities,
      abort: new AbortController(),
      upstreamId: key,
      waiterKey: key,
    };
    this.#flights.set(flightId, flight);
    this.#byUpstreamId.set(key, flight);
    const answer = this.#wait(key, flightId, options.signal, options.onProgress);
    const onProgress = (progress: Result) => this.#waiters.get(flight.waiterKey)?.onProgress?.(progress);
    options.run(flight.abort.signal, onProgress).then(
      (result) => this.#settleFlight(flight, { result }),
      (error: unknown) => this.#settleFlight(flight, { error: rpcErrorOf(error) }),
    );
    return answer;
  }

  /** A retry of a parked round: `params` without the MRTR fields. */
  retry(options: {
    caller: Caller;
    method: string;
    params: Result | undefined;
    requestState: string;
    inputResponses: Result;
    signal: AbortSignal;
    onProgress: ((progress: Result) => void) | undefined;
  }): Promise<Result> {
    const key = this.#key();
    const actions = this.#machine.onRetry({
      clientRequestId: key,
      principal: options.caller.clientKey,
      method: options.method,
      params: options.params,
      requestState: options.requestState,
      inputResponses: options.inputResponses,
    });
    const flightId = this.#machine.flightOf(key, options.caller.clientKey);
    const flight = flightId === undefined ? undefined : this.#flights.get(flightId);
    if (flight) flight.waiterKey = key;
    const answer = this.#wait(key, flightId ?? '', options.signal, options.onProgress);
    this.#execute(actions);
    return answer;
  }

  /**
   * The most recent flight on `server` whose client declared what `method` needs, for the
   * attribution of a server→client request; with its start time, to compare with 2025 sessions.
   */
  candidate(server: string, method: string): { flightId: string; startedAt: number } | undefined {
    const capability = INPUT_METHODS[method];
    let best: Flight | undefined;
    for (const flight of this.#flights.values()) {
      if (flight.server !== server || capability === undefined) continue;
      if (flight.capabilities[capability] === undefined) continue;
      if (!best || flight.startedAt > best.startedAt) best = flight;
    }
    return best ? { flightId: best.id, startedAt: best.startedAt } : undefined;
  }

  /**
   * A server→client request attributed to `flightId`: becomes (part of) the flight's next round.
   * Resolves with the client's response, rejects with the error the server must get.
   */
  serverRequest(flightId: string, method: string, params: Result | undefined): Promise<Result> {
    const id = this.#key();
    return new Promise((resolve, reject) => {
      this.#serverRequests.set(id, { resolve, reject });
      this.#execute(this.#machine.onServerRequest(flightId, { id, method, ...(params && { params }) }));
    });
  }

  /** Stops the sweep and cancels every flight. */
  close(): void {
    clearInterval(this.#sweep);
    for (const flight of this.#flights.values()) flight.abort.abort(new Error('the supervisor is stopping'));
  }

  #wait(
    key: string,
    flightId: string,
    signal: AbortSignal,
    onProgress: ((progress: Result) => void) | undefined,
  ): Promise<Result> {
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        if (!this.#waiters.delete(key)) return;
        reject(signal.reason);
        this.#execute(this.#machine.onClientGone(flightId));
      };
      const done =
        <T>(settle: (value: T) => void) =>
        (value: T) => {
          signal.removeEventListener('abort', onAbort);
          this.#waiters.delete(key);
          settle(value);
        };
      this.#waiters.set(key, { resolve: done(resolve), reject: done(reject), flightId, onProgress });
      if (signal.aborted) onAbort();
      else signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  #settleFlight(flight: Flight, outcome: { result: Result } | { error: RpcError }): void {
    this.#flights.delete(flight.id);
    this.#byUpstreamId.delete(flight.upstreamId);
    this.#execute(this.#machine.onUpstreamOutcome(flight.id, outcome));
  }

  #execute(actions: MrtrAction[]): void {
    for (const action of actions) {
      switch (action.type) {
        case 'answer-client':
          this.#waiters.get(String(action.clientRequestId))?.resolve(action.result);
          break;
        case 'refuse-client':
          this.#waiters
            .get(String(action.clientRequestId))
            ?.reject(new RpcAnswerError(action.error, action.httpStatus));
          break;
        case 'answer-server':
          this.#takeServerRequest(action.serverRequestId)?.resolve(action.result);
          break;
        case 'refuse-server':
          this.#takeServerRequest(action.serverRequestId)?.reject(
            new ProtocolError(action.error.code, action.error.message, action.error.data),
          );
          break;
        case 'cancel-upstream':
          this.#byUpstreamId.get(String(action.upstreamRequestId))?.abort.abort(new Error(action.reason));
          break;
      }
    }
  }

  #takeServerRequest(id: string | number) {
    const pending = this.#serverRequests.get(String(id));
    this.#serverRequests.delete(String(id));
    return pending;
  }

  #key(): string {
    return `m${++this.#next}`;
  }
}

/** The JSON-RPC error object of anything an upstream call rejected with. */
function rpcErrorOf(error: unknown): RpcError {
  const response = toErrorResponse(0, error);
  return response.error ?? { code: -32603, message: 'internal error' };
}

/**
 * How a flight's client sees its upstream call failing: the call's JSON-RPC error in-band, on
 * HTTP 200 (the `refuse-client` of {@link MrtrMachine.onUpstreamOutcome}), whatever its code.
 */
function flightError(error: unknown): RpcAnswerError {
  return new RpcAnswerError(rpcErrorOf(error), 200);
}

/** Whether a client declared any capability a server's request may need (sampling, elicitation, roots). */
function canTakeInput(capabilities: Readonly<Record<string, unknown>>): boolean {
  for (const method in INPUT_METHODS) {
    if (capabilities[INPUT_METHODS[method] as string] !== undefined) return true;
  }
  return false;
}
