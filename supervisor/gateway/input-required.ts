import { McpError } from '@modelcontextprotocol/sdk/types.js';
import { toLegacyResult } from '../protocol/legacy-session.ts';
import { INPUT_METHODS } from '../protocol/mrtr.ts';
import { JSONRPC_INTERNAL_ERROR } from './rpc-errors.ts';
import type { InFlight, Session } from './session.ts';

type Result = Record<string, unknown>;

/** Rounds a 2026 server may ask of one request before the gateway gives up (the SDK client's default). */
export const MAX_INPUT_ROUNDS = 10;

/**
 * A 2025 client in front of a 2026-07-28 server: the gateway is the MRTR client
 * (basic/patterns/mrtr). Sends the request; while the server answers `input_required`, asks the
 * session each input request as the 2025 server→client request it stands for (sampling,
 * elicitation, roots — on the stream of the request in flight, else the session's GET stream),
 * then retries with the responses in `inputResponses`, the `requestState` echoed byte for byte,
 * and the same params (a new request id each time: the channel's). Resolves with the final result
 * as a 2025 client reads it.
 */
export async function fulfilInputRequired(options: {
  session: Session;
  inFlight?: InFlight;
  params: Result;
  timeoutMs: number;
  signal: AbortSignal;
  send: (params: Result) => Promise<Result>;
}): Promise<Result> {
  let params = options.params;
  for (let round = 0; round <= MAX_INPUT_ROUNDS; round++) {
    const result = await options.send(params);
    if (result.resultType !== 'input_required') return toLegacyResult(result);
    if (round === MAX_INPUT_ROUNDS) break;
    const inputResponses: Result = {};
    const requests = (result.inputRequests as Record<string, { method?: unknown; params?: Result }>) ?? {};
    for (const [key, request] of Object.entries(requests)) {
      const method = String(request?.method ?? '');
      if (INPUT_METHODS[method] === undefined) {
        throw new McpError(
          JSONRPC_INTERNAL_ERROR,
          `the server asked for "${method}", which is not an input request`,
        );
      }
      const response = await options.session.requestFromClient(method, request.params, {
        ...(options.inFlight ? { via: options.inFlight } : {}),
        timeoutMs: options.timeoutMs,
        signal: options.signal,
      });
      if (response.error)
        throw new McpError(response.error.code, response.error.message, response.error.data);
      inputResponses[key] = response.result ?? {};
    }
    const { requestState: _state, inputResponses: _responses, ...base } = options.params;
    params = {
      ...base,
      inputResponses,
      ...(typeof result.requestState === 'string' && { requestState: result.requestState }),
    };
  }
  throw new McpError(
    JSONRPC_INTERNAL_ERROR,
    `the server asked for input more than ${MAX_INPUT_ROUNDS} times for one request; giving up`,
  );
}
