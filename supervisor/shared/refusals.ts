import { SupervisorError, type SupervisorErrorCode } from './errors.ts';

/** Why the supervisor answered a request itself instead of passing it to the server. */
export type RefusalReason = 'queue_full' | 'rate_limited' | 'circuit_open' | 'timeout' | 'server_unavailable';

export const REFUSAL_REASONS: readonly RefusalReason[] = [
  'queue_full',
  'rate_limited',
  'circuit_open',
  'timeout',
  'server_unavailable',
];

const ERROR_CODE_OF: Readonly<Record<RefusalReason, SupervisorErrorCode>> = {
  queue_full: 'QUEUE_FULL',
  rate_limited: 'RATE_LIMITED',
  circuit_open: 'CIRCUIT_OPEN',
  timeout: 'TIMEOUT',
  server_unavailable: 'SERVER_UNAVAILABLE',
};

/** The `data` of a refusal's JSON-RPC error, and the `details` of its SupervisorError. */
export type Refusal = {
  readonly reason: RefusalReason;
  readonly server: string;
  /** When trying again may succeed, in milliseconds from now; an estimate, never negative. */
  readonly retryAfterMs: number;
};

/**
 * Builds the SupervisorError for a refusal. `message` should say what the user can do about it;
 * the structured part (`details`) is what the gateway puts in the JSON-RPC error's `data`.
 */
export function refusalError(
  refusal: Refusal,
  message: string,
  options?: { cause?: unknown },
): SupervisorError {
  const retryAfterMs = Math.max(0, Math.ceil(refusal.retryAfterMs));
  return new SupervisorError(ERROR_CODE_OF[refusal.reason], message, {
    cause: options?.cause,
    details: { server: refusal.server, reason: refusal.reason, retryAfterMs },
  });
}

/**
 * The refusal an error carries, or undefined when the error is not a refusal (a tool error, a
 * transport error from the server itself, anything else).
 */
export function refusalOf(error: unknown): Refusal | undefined {
  if (!(error instanceof SupervisorError) || error.details === undefined) return undefined;
  const { reason, server, retryAfterMs } = error.details;
  if (typeof reason !== 'string' || !(REFUSAL_REASONS as readonly string[]).includes(reason))
    return undefined;
  if (typeof server !== 'string' || typeof retryAfterMs !== 'number') return undefined;
  return { reason: reason as RefusalReason, server, retryAfterMs };
}
