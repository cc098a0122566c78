import { ErrorCode } from '@modelcontextprotocol/sdk/types.js';
import {
  BrokenCircuitError,
  CircuitState,
  circuitBreaker,
  handleWhen,
  IsolatedCircuitError,
} from 'cockatiel';
import { TypedEmitter } from '../shared/emitter.ts';
import { isSupervisorError, SupervisorError } from '../shared/errors.ts';
import { type Logger, silentLogger } from '../shared/logger.ts';
import { refusalError } from '../shared/refusals.ts';
import { isAbortError } from '../shared/timers.ts';
import { UpstreamRpcError } from '../shared/upstream-error.ts';
import { FailureRun, KeyTimeouts } from './failure-accounting.ts';

export type BreakerState = 'closed' | 'open' | 'half-open';

export type BreakerOptions = {
  /** The server this breaker guards; named in refusals. */
  server: string;
  /**
   * Consecutive failures that open the circuit (timeouts count once several keys see them; see
   * failure-accounting.ts), and consecutive timeouts that open one client key's own. Default 5.
   */
  consecutiveFailures?: number;
  /** Time the circuit stays open before one probe request is let through. Default 30 s. */
  halfOpenAfterMs?: number;
  /** Distinct client keys whose timeouts must be in a run before timeouts count. Default 2. */
  corroboratingKeys?: number;
  /**
   * Whether an error a task threw means the server is unhealthy. Errors for which this is false
   * are answers (a JSON-RPC error response, a tool error) and count as a success. Default:
   * {@link isTransportFailure}.
   */
  isFailure?: (error: unknown) => boolean;
  /** Where a client key's own circuit opening is reported. */
  logger?: Logger;
};

export type BreakerRunOptions = {
  /** Who asked: timeouts are counted per key (see failure-accounting.ts). Default: one anonymous key. */
  clientKey?: string;
  /** The outcome says nothing about the server (the caller gave up, the guard was disposed). */
  isNeutral?: (error: unknown) => boolean;
};

export type CircuitBreaker = {
  readonly server: string;
  /** The state as cockatiel holds it; an open circuit becomes half-open on the first call after `halfOpenAfterMs`. */
  state(): BreakerState;
  /**
   * Runs `task` through the circuit. Throws a CIRCUIT_OPEN refusal without running it while the
   * circuit is open, and also while a half-open probe is in flight (one probe at a time: the
   * others are refused rather than held, so a dead server cannot pile up waiting requests), and
   * while the circuit of `options.clientKey` is open. Otherwise returns or throws what `task`
   * does. An error for which `options.isNeutral` is true, or a caller's error the server never
   * saw (BAD_REQUEST, e.g. a request that cannot be encoded), counts neither as a failure nor as
   * a success.
   */
  execute<T>(task: () => Promise<T>, options?: BreakerRunOptions): Promise<T>;
  /** Throws the CIRCUIT_OPEN refusal `execute` would throw now for `clientKey`, without running anything. */
  assertAdmits(clientKey?: string): void;
  /** Client keys whose own circuit is open now. */
  openKeyCount(): number;
  /** Milliseconds until the circuit lets a probe through; 0 when it admits calls now. */
  retryAfterMs(): number;
  /** Listens to state changes; returns a disposable. */
  onStateChange(listener: (state: BreakerState) => void): { dispose(): void };
  dispose(): void;
};

/** SDK codes for failures produced locally by the client transport rather than by the server. */
const LOCAL_TRANSPORT_JSONRPC_CODES = new Set<number>([ErrorCode.ConnectionClosed, ErrorCode.RequestTimeout]);

/** The key of calls that name none. */
const ANONYMOUS_KEY = '';

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

/** Whether a failure is a timeout (the request channel's, or the SDK's own). */
function isTimeout(error: unknown): boolean {
  if (error instanceof SupervisorError) return error.code === 'TIMEOUT';
  return (
    typeof error === 'object' && error !== null && 'code' in error && error.code === ErrorCode.RequestTimeout
  );
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

/**
 * Creates a per-server circuit breaker: cockatiel's circuit (open, half-open probe, closed) with
 * the accounting of failure-accounting.ts deciding when it opens, plus a circuit per client key
 * for a key whose own requests keep timing out. No IO, no timers.
 */
export function createBreaker(options: BreakerOptions): CircuitBreaker {
  const consecutiveFailures = options.consecutiveFailures ?? 5;
  const halfOpenAfterMs = options.halfOpenAfterMs ?? 30_000;
  const corroboratingKeys = options.corroboratingKeys ?? 2;
  const isFailure = options.isFailure ?? isTransportFailure;
  const logger = options.logger ?? silentLogger;
  if (!Number.isInteger(consecutiveFailures) || consecutiveFailures < 1) {
    throw new TypeError(`breaker consecutiveFailures must be a positive integer, got ${consecutiveFailures}`);
  }
  if (!Number.isFinite(halfOpenAfterMs) || halfOpenAfterMs < 0) {
    throw new TypeError(`breaker halfOpenAfterMs must be a non-negative number, got ${halfOpenAfterMs}`);
  }
  if (!Number.isInteger(corroboratingKeys) || corroboratingKeys < 1) {
    throw new TypeError(`breaker corroboratingKeys must be a positive integer, got ${corroboratingKeys}`);
  }
  const { server } = options;
  const run = new FailureRun({ threshold: consecutiveFailures, corroboratingKeys });
  const keys = new KeyTimeouts({ threshold: consecutiveFailures, openForMs: halfOpenAfterMs });
  const policy = circuitBreaker(
    handleWhen((error) => !(error instanceof NeutralError)),
    { halfOpenAfter: halfOpenAfterMs, breaker: run },
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

  function refuseKey(clientKey: string, wait: number): SupervisorError {
    return refusalError(
      { reason: 'circuit_open', server, retryAfterMs: wait },
      `requests of client ${clientKey} to server "${server}" timed out ${consecutiveFailures} times in a row; ` +
        `its requests are refused for ${Math.ceil(wait / 1000)} s while other clients are served — check what it sends, or raise the server's limits.requestTimeoutMs`,
    );
  }

  function assertAdmits(clientKey = ANONYMOUS_KEY): void {
    const state = policy.state;
    if (state !== CircuitState.Closed && !(state === CircuitState.Open && retryAfterMs() === 0)) {
      throw refuse();
    }
    const keyWait = keys.retryAfterMs(clientKey);
    if (keyWait > 0) throw refuseKey(clientKey, keyWait);
  }

  /** Counts a timeout; whether the server's circuit should see it at all. */
  function countTimeout(clientKey: string): boolean {
    // A key already on probation is known to time out on its own: its timeouts say nothing new
    // about the server, so they neither count nor fail a half-open probe (it cannot keep a
    // server's circuit open by being its probe every time).
    const isOnProbation = keys.isTripped(clientKey);
    if (keys.recordTimeout(clientKey)) {
      logger.warn(
        { server, client: clientKey, timeouts: consecutiveFailures, refusedForMs: halfOpenAfterMs },
        "a client's requests keep timing out: its own circuit is open, other clients are served",
      );
    }
    if (isOnProbation) return false;
    run.recordTimeout(clientKey);
    return true;
  }

  return {
    server,
    state: () => toBreakerState(policy.state),
    retryAfterMs,
    assertAdmits,
    openKeyCount: () => keys.openCount(),
    async execute<T>(task: () => Promise<T>, runOptions?: BreakerRunOptions): Promise<T> {
      const clientKey = runOptions?.clientKey ?? ANONYMOUS_KEY;
      assertAdmits(clientKey);
      // Only failures reach cockatiel as throws; answers come back as values so they count as
      // successes (a server that answers with errors is alive) and are rethrown below. Each
      // outcome is counted here, synchronously, in the order outcomes happen.
      const attempt = async (): Promise<Outcome<T>> => {
        let value: T;
        try {
          value = await task();
        } catch (error) {
          // cockatiel does not count an error its handler excludes while closed; note that a
          // half-open probe ending that way closes the circuit (cockatiel's rule), which is
          // acceptable for the rare probe whose caller gives up: if the server still fails,
          // the run is still tripped and the next failure opens it again.
          if (runOptions?.isNeutral?.(error) === true) throw new NeutralError(error);
          // The caller's own error, found before anything reached the server.
          if (isSupervisorError(error, 'BAD_REQUEST')) throw new NeutralError(error);
          if (!isFailure(error)) {
            run.recordAnswer();
            keys.recordAnswer(clientKey);
            return { ok: false, error };
          }
          if (!isTimeout(error)) run.recordFailure();
          else if (!countTimeout(clientKey)) throw new NeutralError(error);
          throw error;
        }
        run.recordAnswer();
        keys.recordAnswer(clientKey);
        return { ok: true, value };
      };
      let outcome: Outcome<T>;
      if (policy.state === CircuitState.Closed) {
        // The hot path. A closed circuit's cockatiel pass only tells its breaker of a success
        // (FailureRun.success does nothing: answers are counted above) or a failure: so the task
        // runs without it, and only a failure goes through cockatiel, counted (and the circuit
        // opened) exactly as inside, before the caller hears of it. That saves cockatiel's three
        // async layers on every answer (issue 13 goal 4).
        try {
          outcome = await attempt();
        } catch (error) {
          if (error instanceof NeutralError) throw error.inner;
          if (policy.state === CircuitState.Closed) {
            await policy.execute(() => Promise.reject(error)).catch(() => undefined);
          }
          throw error;
        }
      } else {
        try {
          outcome = await policy.execute(attempt);
        } catch (error) {
          if (error instanceof NeutralError) throw error.inner;
          if (error instanceof BrokenCircuitError || error instanceof IsolatedCircuitError)
            throw refuse(error);
          throw error;
        }
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
