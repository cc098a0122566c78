/**
 * The one error class of the supervisor. Every failure a user can see carries a stable string
 * `code` (mapped to a CLI exit code and to a JSON-RPC / HTTP error at the edges) and a message that
 * says what to do about it.
 */
export type SupervisorErrorCode =
  | 'CONFIG_INVALID'
  | 'CONFIG_NOT_FOUND'
  | 'NOT_RUNNING'
  | 'ALREADY_RUNNING'
  | 'UNKNOWN_SERVER'
  | 'SERVER_UNAVAILABLE'
  | 'PROCESS_MANAGER'
  | 'CONTROL_API'
  | 'UNAUTHORIZED'
  | 'FORBIDDEN'
  | 'BAD_REQUEST'
  | 'QUEUE_FULL'
  | 'RATE_LIMITED'
  | 'CIRCUIT_OPEN'
  | 'TIMEOUT'
  | 'STORE'
  | 'INTERNAL';

export class SupervisorError extends Error {
  readonly code: SupervisorErrorCode;
  readonly details: Record<string, unknown> | undefined;

  constructor(
    code: SupervisorErrorCode,
    message: string,
    options?: { cause?: unknown; details?: Record<string, unknown> },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'SupervisorError';
    this.code = code;
    this.details = options?.details;
  }
}

export function isSupervisorError(error: unknown, code?: SupervisorErrorCode): error is SupervisorError {
  return error instanceof SupervisorError && (code === undefined || error.code === code);
}

/** Exit codes of the CLI, documented in the README. */
export const EXIT_CODES: Record<SupervisorErrorCode | 'OK' | 'USAGE', number> = {
  OK: 0,
  INTERNAL: 1,
  USAGE: 2,
  CONFIG_INVALID: 3,
  CONFIG_NOT_FOUND: 3,
  NOT_RUNNING: 4,
  ALREADY_RUNNING: 5,
  UNKNOWN_SERVER: 6,
  SERVER_UNAVAILABLE: 7,
  PROCESS_MANAGER: 8,
  CONTROL_API: 9,
  UNAUTHORIZED: 10,
  FORBIDDEN: 10,
  BAD_REQUEST: 2,
  QUEUE_FULL: 11,
  RATE_LIMITED: 11,
  CIRCUIT_OPEN: 11,
  TIMEOUT: 12,
  STORE: 13,
};

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
