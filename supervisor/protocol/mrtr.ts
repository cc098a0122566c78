/**
 * Multi-round-trip requests for a 2026-07-28 client in front of a 2025 server.
 *
 * A 2025 server asks for sampling, elicitation or roots by sending its own request while the
 * client's request is in flight. 2026-07-28 has no server→client requests (basic/patterns/mrtr):
 * the server answers the client's request with `resultType: "input_required"`, and the client
 * retries it with `inputResponses` and the echoed `requestState`. The gateway bridges the two: the
 * upstream call stays open ("parked") while the client gathers input; the client's retry answers
 * the server's pending requests and takes over the wait for the upstream result.
 *
 * The machine is pure: the gateway feeds it events (with the flight it attributed the server's
 * request to) and carries out the actions it returns. Time comes from `clock`, so a test drives
 * expiry without waiting.
 */
import { type RequestStateCodec, requestDigest } from './request-state.ts';
import { RPC_CODES } from './revisions.ts';

export type RequestId = string | number;
type Params = Record<string, unknown>;

/** The server→client requests MRTR replaces, and the client capability each needs. */
export const INPUT_METHODS: Record<string, 'sampling' | 'elicitation' | 'roots'> = {
  'sampling/createMessage': 'sampling',
  'elicitation/create': 'elicitation',
  'roots/list': 'roots',
};

export interface ServerRequest {
  id: RequestId;
  method: string;
  params?: Params;
}

export type RpcError = { code: number; message: string; data?: unknown };

export type MrtrAction =
  /** Answer the client's request `clientRequestId` with this (input_required or final) result. */
  | { type: 'answer-client'; clientRequestId: RequestId; result: Params }
  /** Answer the client's request with a JSON-RPC error (HTTP status for Streamable HTTP). */
  | { type: 'refuse-client'; clientRequestId: RequestId; httpStatus: number; error: RpcError }
  /** Answer the server's request `serverRequestId` with the client's response. */
  | { type: 'answer-server'; serverRequestId: RequestId; result: Params }
  /** Answer the server's request with an error. */
  | { type: 'refuse-server'; serverRequestId: RequestId; error: RpcError }
  /** Cancel the parked upstream call (`notifications/cancelled` on the session). */
  | { type: 'cancel-upstream'; upstreamRequestId: RequestId; reason: string };

export interface FlightStart {
  clientRequestId: RequestId;
  upstreamRequestId: RequestId;
  /** The client key id (or another stable identity) a retry must come from. */
  principal: string;
  method: string;
  /** Kept by reference and digested when a round is minted: must not change during the flight. */
  params: Params | undefined;
  /** The request's own `io.modelcontextprotocol/clientCapabilities`. */
  clientCapabilities: Params;
}

interface Flight extends FlightStart {
  id: string;
  /**
   * {@link requestDigest} of the request, computed at the first round: most flights end without
   * one, and hashing the canonical params was most of a flight's cost per call.
   */
  digest: string | undefined;
  /** The client request now waiting for the upstream result; undefined while parked. */
  waiting: RequestId | undefined;
  round: number;
  /** Server requests not answered yet, by the key the client sees. */
  pending: Map<string, ServerRequest>;
  nextKey: number;
  parkedUntil: number;
  /** The upstream outcome when it arrived while parked (delivered to the next valid retry). */
  outcome: { result: Params } | { error: RpcError } | undefined;
}

export interface MrtrOptions {
  codec: RequestStateCodec;
  /** How long a parked round waits for the client's retry before the upstream call is cancelled. */
  roundTimeoutMs: number;
  clock?: () => number;
}

export class MrtrMachine {
  readonly #codec: RequestStateCodec;
  readonly #roundTimeoutMs: number;
  readonly #clock: () => number;
  readonly #flights = new Map<string, Flight>();
  #nextFlight = 0;

  constructor(options: MrtrOptions) {
    if (!(options.roundTimeoutMs > 0))
      throw new RangeError(`roundTimeoutMs: expected > 0, got ${options.roundTimeoutMs}`);
    this.#codec = options.codec;
    this.#roundTimeoutMs = options.roundTimeoutMs;
    this.#clock = options.clock ?? Date.now;
  }

  get size(): number {
    return this.#flights.size;
  }

  /** Registers a client request (of an MRTR method) forwarded upstream; returns its flight id. */
  begin(start: FlightStart): string {
    const id = `f${++this.#nextFlight}`;
    this.#flights.set(id, {
      ...start,
      id,
      digest: undefined,
      waiting: start.clientRequestId,
      round: 0,
      pending: new Map(),
      nextKey: 0,
      parkedUntil: 0,
      outcome: undefined,
    });
    return id;
  }

  /**
   * The server sent `request` and the gateway attributed it to `flightId` (the client request it
   * relates to). A request the client did not declare the capability for is refused to the
   * server (mrtr server requirement 7: never send an input request the client cannot take).
   */
  onServerRequest(flightId: string, request: ServerRequest): MrtrAction[] {
    const flight = this.#flights.get(flightId);
    const capability = INPUT_METHODS[request.method];
    if (!flight || capability === undefined) {
      return [{ type: 'refuse-server', serverRequestId: request.id, error: noClientFor(request.method) }];
    }
    if (flight.clientCapabilities[capability] === undefined) {
      return [
        {
          type: 'refuse-server',
          serverRequestId: request.id,
          error: {
            code: RPC_CODES.methodNotFound,
            message: `${request.method}: the client of this request did not declare the ${capability} capability`,
          },
        },
      ];
    }
    flight.pending.set(`r${++flight.nextKey}`, request);
    if (flight.waiting === undefined) return []; // parked: the next round will carry it
    return [this.#round(flight, flight.waiting)];
  }

  /** The upstream call of `flightId` answered (result or error). */
  onUpstreamOutcome(flightId: string, outcome: { result: Params } | { error: RpcError }): MrtrAction[] {
    const flight = this.#flights.get(flightId);
    if (!flight) return [];
    if (flight.waiting === undefined) {
      flight.outcome = outcome; // arrives with the next valid retry
      return [];
    }
    this.#flights.delete(flightId);
    return [finalAction(flight.waiting, outcome)];
  }

  /**
   * A retry of a parked request: `requestState` and `inputResponses` from its params, `params`
   * the rest. Answers the server's pending requests the retry carries responses for; a round
   * still missing some is asked again (mrtr#error-handling: re-request, not an error).
   */
  onRetry(retry: {
    clientRequestId: RequestId;
    principal: string;
    method: string;
    params: Params | undefined;
    requestState: string;
    inputResponses: Params;
  }): MrtrAction[] {
    const verdict = this.#codec.verify(retry.requestState, {
      principal: retry.principal,
      digest: requestDigest(retry.method, retry.params),
      nowMs: this.#clock(),
    });
    const flight = verdict.ok ? this.#flights.get(verdict.claims.flight) : undefined;
    if (!verdict.ok || !flight || verdict.claims.round !== flight.round || flight.waiting !== undefined) {
      const reason = verdict.ok
        ? 'its round is over or was already resumed'
        : `it failed verification (${verdict.reason})`;
      return [
        {
          type: 'refuse-client',
          clientRequestId: retry.clientRequestId,
          httpStatus: 400,
          error: {
            code: RPC_CODES.invalidParams,
            message: `Invalid params: requestState cannot resume a request: ${reason}; send the original request again without requestState and inputResponses`,
          },
        },
      ];
    }
    const actions: MrtrAction[] = [];
    for (const [key, request] of flight.pending) {
      const response = retry.inputResponses[key];
      if (response === undefined || response === null || typeof response !== 'object') continue;
      actions.push({ type: 'answer-server', serverRequestId: request.id, result: response as Params });
      flight.pending.delete(key);
    }
    if (flight.outcome !== undefined) {
      this.#flights.delete(flight.id);
      actions.push(finalAction(retry.clientRequestId, flight.outcome));
      return actions;
    }
    if (flight.pending.size > 0) {
      actions.push(this.#round(flight, retry.clientRequestId));
      return actions;
    }
    flight.waiting = retry.clientRequestId;
    return actions;
  }

  /**
   * The client request now waiting on `flightId` went away (its HTTP stream closed: that is
   * cancellation in 2026-07-28, basic/patterns/cancellation). A parked flight is not affected:
   * its client request was already answered.
   */
  onClientGone(flightId: string): MrtrAction[] {
    const flight = this.#flights.get(flightId);
    if (!flight || flight.waiting === undefined) return [];
    return this.#drop(flight, 'the client cancelled the request');
  }

  /** Drops every parked flight whose round timed out; call it from a timer. */
  sweep(): MrtrAction[] {
    const now = this.#clock();
    const actions: MrtrAction[] = [];
    for (const flight of [...this.#flights.values()]) {
      if (flight.waiting === undefined && flight.parkedUntil <= now) {
        actions.push(...this.#drop(flight, 'the client did not retry the input_required round in time'));
      }
    }
    return actions;
  }

  /** The flight a client request is waiting on, for the gateway's attribution of server requests. */
  flightOf(clientRequestId: RequestId, principal: string): string | undefined {
    for (const flight of this.#flights.values()) {
      if (flight.waiting === clientRequestId && flight.principal === principal) return flight.id;
    }
    return undefined;
  }

  #round(flight: Flight, clientRequestId: RequestId): MrtrAction {
    flight.round += 1;
    flight.waiting = undefined;
    flight.parkedUntil = this.#clock() + this.#roundTimeoutMs;
    flight.digest ??= requestDigest(flight.method, flight.params);
    const inputRequests: Params = {};
    for (const [key, request] of flight.pending) {
      inputRequests[key] = { method: request.method, params: request.params ?? {} };
    }
    const requestState = this.#codec.mint({
      flight: flight.id,
      round: flight.round,
      principal: flight.principal,
      expiresAt: flight.parkedUntil,
      digest: flight.digest,
    });
    return {
      type: 'answer-client',
      clientRequestId,
      result: { resultType: 'input_required', inputRequests, requestState },
    };
  }

  #drop(flight: Flight, reason: string): MrtrAction[] {
    this.#flights.delete(flight.id);
    const actions: MrtrAction[] = [
      { type: 'cancel-upstream', upstreamRequestId: flight.upstreamRequestId, reason },
    ];
    for (const request of flight.pending.values()) {
      actions.push({
        type: 'refuse-server',
        serverRequestId: request.id,
        error: { code: RPC_CODES.internalError, message: reason },
      });
    }
    return actions;
  }
}

function finalAction(
  clientRequestId: RequestId,
  outcome: { result: Params } | { error: RpcError },
): MrtrAction {
  return 'result' in outcome
    ? { type: 'answer-client', clientRequestId, result: outcome.result }
    : { type: 'refuse-client', clientRequestId, httpStatus: 200, error: outcome.error };
}

/**
 * The error a server gets for a sampling/elicitation/roots request no client request can take:
 * under 2026-07-28 input can only be asked within a request in flight (there is no standalone
 * channel), so e.g. a `roots/list` sent after `initialized` is refused, never answered with a
 * list the gateway made up.
 */
export function noClientFor(method: string): RpcError {
  return {
    code: RPC_CODES.methodNotFound,
    message: `${method}: no client request in flight on this server can answer it (2026-07-28 clients take input only within a request)`,
  };
}
