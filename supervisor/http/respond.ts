import type { ServerResponse } from 'node:http';
import { SupervisorError } from '../shared/errors.ts';

/** HTTP status of each error code the control API and the listener answer with; others are 500. */
const STATUS_BY_CODE: Partial<Record<string, number>> = {
  BAD_REQUEST: 400,
  CONFIG_INVALID: 422,
  CONFIG_NOT_FOUND: 404,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  UNKNOWN_SERVER: 404,
  SERVER_UNAVAILABLE: 503,
  QUEUE_FULL: 429,
  RATE_LIMITED: 429,
  CIRCUIT_OPEN: 503,
  TIMEOUT: 504,
};

/** Answers an error as `{ error: { code, message, details? } }` with the status its code maps to. */
export function sendError(res: ServerResponse, error: unknown): void {
  if (error instanceof SupervisorError) {
    const httpStatus = error.details?.httpStatus;
    sendJson(res, typeof httpStatus === 'number' ? httpStatus : (STATUS_BY_CODE[error.code] ?? 500), {
      error: {
        code: error.code,
        message: error.message,
        ...(error.details ? { details: error.details } : {}),
      },
    });
  } else {
    sendJson(res, 500, {
      error: { code: 'INTERNAL', message: error instanceof Error ? error.message : String(error) },
    });
  }
}

/** Writes a JSON response, unless one was already sent or the client has gone. */
export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  if (res.headersSent || res.destroyed) return;
  const text = JSON.stringify(body);
  // The flat-array form skips Node's per-call walk over a headers object.
  const head: (string | number)[] = [
    'content-type',
    'application/json; charset=utf-8',
    'content-length',
    Buffer.byteLength(text),
  ];
  for (const name in headers) head.push(name, headers[name] as string);
  res.writeHead(status, head as string[]);
  res.end(text);
}
