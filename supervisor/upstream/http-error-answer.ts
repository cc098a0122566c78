import type { JSONRPCMessage } from '@modelcontextprotocol/client';

/**
 * The JSON-RPC error response for `message` that an HTTP error of the SDK v2 Streamable HTTP
 * transport carries, or undefined. A 2026-07-28 endpoint answers some refusals with an HTTP status
 * and a JSON-RPC body (404 for an unknown method, 400 for a bad `requestState`): the transport
 * raises them as errors (`SdkHttpError`, the body in `data.text`), but they are answers.
 */
export function httpErrorAnswer(error: unknown, message: JSONRPCMessage): JSONRPCMessage | undefined {
  const id = (message as { id?: unknown }).id;
  const text = (error as { data?: { text?: unknown } } | undefined)?.data?.text;
  if (id === undefined || typeof text !== 'string') return undefined;
  try {
    const body = JSON.parse(text) as { id?: unknown; error?: { code?: unknown; message?: unknown } };
    if (body.id !== id || typeof body.error?.code !== 'number' || typeof body.error.message !== 'string')
      return undefined;
    return body as JSONRPCMessage;
  } catch {
    return undefined;
  }
}
