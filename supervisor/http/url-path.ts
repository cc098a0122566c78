import { SupervisorError } from '../shared/errors.ts';

/**
 * Decodes one percent-encoded piece of a request path. A malformed escape (`%zz`, a truncated or
 * invalid UTF-8 sequence) is the client's error: BAD_REQUEST (400), never the URIError that
 * `decodeURIComponent` throws, which reached the listener as a 500 with a stack in the log.
 *
 * @throws SupervisorError('BAD_REQUEST') naming the piece.
 */
export function decodePathPart(encoded: string): string {
  try {
    return decodeURIComponent(encoded);
  } catch (error) {
    throw new SupervisorError('BAD_REQUEST', `malformed percent-encoding in the request path: ${encoded}`, {
      cause: error,
    });
  }
}
