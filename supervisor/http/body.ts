import type { IncomingMessage } from 'node:http';
import { SupervisorError } from '../shared/errors.ts';

/**
 * Reads a request body up to `maxBytes`. A larger body is refused (`BAD_REQUEST` with
 * `details.httpStatus` 413, naming `setting` when given) without buffering it; the rest of it is
 * drained, not destroyed, so the refusal can still be written on the same connection.
 */
export function readBody(req: IncomingMessage, maxBytes: number, setting?: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const refuse = () => {
      req.removeAllListeners('data');
      req.resume();
      reject(tooLarge(maxBytes, setting));
    };
    if (Number(req.headers['content-length'] ?? 0) > maxBytes) return refuse();
    const chunks: Buffer[] = [];
    let total = 0;
    req.on('data', (chunk: Buffer) => {
      total += chunk.length;
      if (total > maxBytes) return refuse();
      chunks.push(chunk);
    });
    req.on('end', () => resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

export function isBodyTooLarge(error: unknown): error is SupervisorError {
  return error instanceof SupervisorError && error.details?.httpStatus === 413;
}

function tooLarge(maxBytes: number, setting?: string): SupervisorError {
  const hint = setting ? ` (${setting})` : '';
  return new SupervisorError('BAD_REQUEST', `request body is larger than ${maxBytes} bytes${hint}`, {
    details: { httpStatus: 413 },
  });
}

export async function readJson(req: IncomingMessage, maxBytes: number): Promise<unknown> {
  const body = await readBody(req, maxBytes);
  if (body.length === 0) return {};
  try {
    return JSON.parse(body.toString('utf8'));
  } catch (error) {
    throw new SupervisorError('BAD_REQUEST', `request body is not valid JSON: ${(error as Error).message}`);
  }
}
