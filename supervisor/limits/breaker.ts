import { ErrorCode } from '@modelcontextprotocol/sdk/types.js';
import {
  BrokenCircuitError,
  CircuitState,
  ConsecutiveBreaker,
  circuitBreaker,
  handleWhen,
  IsolatedCircuitError,
} from 'cockatiel';
import { TypedEmitter } from '../shared/emitter.ts';
import { SupervisorError } from '../shared/errors.ts';
import { refusalError } from '../shared/refusals.ts';
import { isAbortError } from '../shared/timers.ts';
import { UpstreamRpcError } from '../shared/upstream-error.ts';

export type BreakerState = 'closed' | 'open' | 'half-open';

export type BreakerOptions = {
  /** The server this breaker guards; named in refusals. */
  server: string;
  /** Consecutive failures that open the circuit. Default 5. */
  consecutiveFailures?: number;
  /** Time the circuit stays open before one probe request is let through. Default 30 s. */
  halfOpenAfterMs?: number;
  /**
   * Whether an error a task threw means the server is unhealthy. Errors for which this is false
   * are answers (a JSON-RPC error response, a tool error, the caller giving up) and count as a
   * success. Default: {@link isTransportFailure}.
   */
  isFailure?: (error: unknown) => boolean;
};

export type CircuitBreaker = {
  readonly server: string;
  /** The state as cockatiel holds it; an open circuit becomes half-open on the first call after `halfOpenAfterMs`. */
  state(): BreakerState;
  /**
   * Runs `task` through the circuit. Throws a CIRCUIT_OPEN refusal without running it while the
   * circuit is open, and also while a half-open probe is in flight (one probe at a time: the
   * others are refused rather than held, so a dead server cannot pile up waiting requests).
   * Otherwise returns or throws what `task` does. An error for which `options.isNeutral` is true
   * (the caller gave up, the guard was disposed) is counted neither as a failure nor a success.
   */
  execute<T>(task: () => Promise<T>, options?: { isNeutral?: (error: unknown) => boolean }): Promise<T>;
  /** Throws the CIRCUIT_OPEN refusal `execute` would throw now, without running anything. */
  assertAdmits(): void;
  /** Milliseconds until the circuit lets a probe through; 0 when it admits calls now. */
  retryAfterMs(): number;
  /** Listens to state changes; returns a disposable. */
  onStateChange(listener: (state: BreakerState) => void): { dispose(): void };
  dispose(): void;
};

/** SDK codes for failures produced locally by the client transport rather than by the server. */
const LOCAL_TRANSPORT_JSONRPC_CODES = new Set<number>([ErrorCode.ConnectionClosed, ErrorCode.RequestTimeout]);

/**
 * The default failure predicate of the breaker (and of retries): timeouts, an unavailable server
 * and transport errors are failures; refusals by our own limits, aborts by the caller, and JSON-RPC
 * error responses (an object with a numeric `code`, as the MCP SDK's McpError) are answers.
 */
export function isTransportFailure(error: unknown): boolean {
  // The server answered: whatever it said, the transport works.
  if (error instanceof UpstreamRpcError) return false;
  if (error instanceof SupervisorError)
    return error.code === 'TIMEOUT' || error.code === 'SERVER_UNAVAILABLE';
  if (isAbortError(error)) return false;
  if (typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'number') {
    return LOCAL_TRANSPORT_JSONRPC_CODES.has(error.code);
  }
  return true;
}

const HALF_OPEN_PROBE_RETRY_MS = 1_000;

type Outcome<T> = { ok: true; value: T } | { ok: false; error: unknown };

/** Carries an error past cockatiel without it being counted (its handler excludes this class). */
class NeutralError extends Error {
  readonly inner: unknown;
  constructor(inner: unknown) {
    super('neutral outcome');
    this.inner = inner;
  }
}

function toBreakerState(state: CircuitState): BreakerState {
  switch (state) {
    case CircuitState.Closed:
      return 'closed';
    case CircuitState.HalfOpen:
      return 'half-open';
    default:
      return 'open';
  }
}

/** Creates a per-server circuit breaker over cockatiel's ConsecutiveBreaker. No IO, no timers. */
export function createBreaker(options: BreakerOptions): CircuitBreaker {
  const consecutiveFailures = options.consecutiveFailures ?? 5;
  const halfOpenAfterMs = options.halfOpenAfterMs ?? 30_000;
  const isFailure = options.isFailure ?? isTransportFailure;
  if (!Number.isInteger(consecutiveFailures) || consecutiveFailures < 1) {
    throw new TypeError(`breaker consecutiveFailures must be a positive integer, got ${consecutiveFailures}`);
  }
  if (!Number.isFinite(halfOpenAfterMs) || halfOpenAfterMs < 0) {
    throw new TypeError(`breaker halfOpenAfterMs must be a non-negative number, got ${halfOpenAfterMs}`);
  }
  const { server } = options;
  const policy = circuitBreaker(
    handleWhen((error) => !(error instanceof NeutralError)),
    {
      halfOpenAfter: halfOpenAfterMs,
      breaker: new ConsecutiveBreaker(consecutiveFailures),
    },
  );
  // cockatiel keeps the time it opened private; it stamps it with Date.now() in the same tick as
  // onBreak fires, so recording it here gives the same clock.
  let openedAt = 0;
  const stateChanges = new TypedEmitter<BreakerState>();
  const subscriptions = [
    policy.onBreak(() => {
      openedAt = Date.now();
    }),
    policy.onStateChange((state) => stateChanges.emit(toBreakerState(state))),
  ];

  function retryAfterMs(): number {
    switch (policy.state) {
      case CircuitState.Closed:
        return 0;
      case CircuitState.HalfOpen:
        return Math.min(halfOpenAfterMs, HALF_OPEN_PROBE_RETRY_MS);
      case CircuitState.Open:
        return Math.max(0, openedAt + halfOpenAfterMs - Date.now());
      default:
        return halfOpenAfterMs;
    }
  }

  function refuse(cause?: unknown): SupervisorError {
    const state = toBreakerState(policy.state);
    const wait = Math.max(retryAfterMs(), state === 'closed' ? 0 : 1);
    return refusalError(
      { reason: 'circuit_open', server, retryAfterMs: wait },
      `server "${server}" is failing (circuit ${state}); the supervisor will try it again in ${Math.ceil(wait / 1000)} s — check its logs`,
      { cause },
    );
  }

  function assertAdmits(): void {
    const state = policy.state;
    if (state === CircuitState.Closed) return;
    if (state === CircuitState.Open && retryAfterMs() === 0) return;
    throw refuse();
  }

  return {
    server,
    state: () => toBreakerState(policy.state),
    retryAfterMs,
    assertAdmits,
    async execute<T>(
      task: () => Promise<T>,
      runOptions?: { isNeutral?: (error: unknown) => boolean },
    ): Promise<T> {
      assertAdmits();
      let outcome: Outcome<T>;
      try {
        // Only failures reach cockatiel as throws; answers come back as values so they count as
        // successes (a server that answers with errors is alive) and are rethrown below.
        outcome = await policy.execute(async (): Promise<Outcome<T>> => {
          try {
            return { ok: true, value: await task() };
          } catch (error) {
            // cockatiel does not count an error its handler excludes while closed; note that a
            // half-open probe ending that way closes the circuit (cockatiel's rule), which is
            // acceptable for the rare probe whose caller gives up.
            if (runOptions?.isNeutral?.(error) === true) throw new NeutralError(error);
            if (isFailure(error)) throw error;
            return { ok: false, error };
          }
        });
      } catch (error) {
        if (error instanceof NeutralError) throw error.inner;
        if (error instanceof BrokenCircuitError || error instanceof IsolatedCircuitError) throw refuse(error);
        throw error;
      }
      if (!outcome.ok) throw outcome.error;
      return outcome.value;
    },
    onStateChange(listener) {
      return { dispose: stateChanges.on(listener) };
    },
    dispose() {
      for (const subscription of subscriptions) subscription.dispose();
    },
  };
}
