import { type JSONRPCMessage, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { StdioServerTransport } from '@modelcontextprotocol/server/stdio';
import { ControlClient } from '../client/control-client.ts';
import { readToken } from '../client/token.ts';
import { JSONRPC_SESSION_ERROR } from '../gateway/rpc-errors.ts';
import { META } from '../protocol/revisions.ts';
import { errorMessage } from '../shared/errors.ts';
import type { HomePaths } from '../shared/home.ts';
import { httpErrorAnswer } from '../upstream/http-error-answer.ts';
import { printError } from './format.ts';

type Message = JSONRPCMessage & {
  id?: string | number;
  method?: string;
  params?: Record<string, unknown>;
  result?: Record<string, unknown>;
};

/**
 * `mcp-supervisor connect [SERVER]`: a stdio MCP server for clients that only spawn commands
 * (Claude Desktop, Cursor). It relays every JSON-RPC message unchanged between its stdin/stdout
 * and the running supervisor's gateway (`/mcp/<server>`, or `/mcp` for all servers), so the
 * client gets the same limits, routing and notifications as an HTTP client.
 *
 * Both protocol eras: each message goes out as the gateway classifies it, by its own content (the
 * SDK v2 transport derives `MCP-Protocol-Version`, `Mcp-Method` and `Mcp-Name` from a 2026-07-28
 * request's envelope, and keeps the session of a 2025 `initialize`). What differs between the
 * transports is cancellation: on stdio a 2026-07-28 client sends `notifications/cancelled`, on
 * HTTP the request's stream is closed (basic/patterns/cancellation), so the relay closes it. A
 * refusal the gateway answers with an HTTP status and a JSON-RPC body is relayed as that answer.
 *
 * Authenticates with `key` (a client key) or, by default, the home's control token, which the
 * gateway accepts as the owner's all-servers key. Resolves when either side closes.
 */
export async function runConnect(options: {
  paths: HomePaths;
  server?: string;
  key?: string;
}): Promise<void> {
  const control = new ControlClient(options.paths);
  const base = await control.baseUrl();
  const token = options.key ?? (await readToken(options.paths.tokenFile));
  const endpoint = new URL(`${base}/mcp${options.server ? `/${encodeURIComponent(options.server)}` : ''}`);
  const upstream = new StreamableHTTPClientTransport(endpoint, {
    requestInit: { headers: token ? { authorization: `Bearer ${token}` } : {} },
  });
  const downstream = new StdioServerTransport();
  /** 2026-07-28 requests in flight, by id: their streams close on `notifications/cancelled`. */
  const modernInFlight = new Map<string | number, AbortController>();
  /** Ids of 2025 `initialize` requests: their answer names the session's revision. */
  const initializeIds = new Set<string | number>();

  let closed = false;
  let resolveDone!: () => void;
  const done = new Promise<void>((resolve) => {
    resolveDone = resolve;
  });
  const closeBoth = async () => {
    if (closed) return;
    closed = true;
    for (const abort of modernInFlight.values()) abort.abort();
    await Promise.allSettled([upstream.close(), downstream.close()]);
    resolveDone();
  };
  const answer = (message: JSONRPCMessage) => void downstream.send(message).catch(() => {});

  downstream.onmessage = (received: JSONRPCMessage) => {
    const message = received as Message;
    const isRequest = message.id !== undefined && message.method !== undefined;
    if (message.method === 'notifications/cancelled') {
      const requestId = message.params?.requestId as string | number | undefined;
      const stream = requestId === undefined ? undefined : modernInFlight.get(requestId);
      if (stream) {
        stream.abort(new Error('cancelled by the client'));
        return;
      }
    }
    let sent: Promise<void>;
    if (isRequest && isModern(message)) {
      const id = message.id as string | number;
      const stream = new AbortController();
      modernInFlight.set(id, stream);
      sent = upstream.send(message, { requestSignal: stream.signal });
    } else {
      if (isRequest && message.method === 'initialize') initializeIds.add(message.id as string | number);
      sent = upstream.send(message);
    }
    sent.catch((error: unknown) => {
      if (!isRequest) return;
      const id = message.id as string | number;
      if (modernInFlight.get(id)?.signal.aborted) {
        modernInFlight.delete(id);
        return; // cancelled: the client expects no answer
      }
      modernInFlight.delete(id);
      // A request must get an answer, or the client waits forever.
      answer(
        httpErrorAnswer(error, message) ??
          ({
            jsonrpc: '2.0',
            id,
            error: {
              code: JSONRPC_SESSION_ERROR,
              message: `mcp-supervisor at ${base} did not take the request: ${errorMessage(error)}; is it running? (mcp-supervisor status)`,
            },
          } as JSONRPCMessage),
      );
    });
  };
  upstream.onmessage = (received: JSONRPCMessage) => {
    const message = received as Message;
    if (message.id !== undefined && message.method === undefined) {
      modernInFlight.delete(message.id);
      if (initializeIds.delete(message.id) && typeof message.result?.protocolVersion === 'string') {
        // Later 2025 requests carry the revision the session agreed on.
        upstream.setProtocolVersion(message.result.protocolVersion);
      }
    }
    answer(received);
  };
  upstream.onerror = (error) => {
    // Closing aborts the GET stream on purpose; only real failures are worth a line on stderr.
    if (!closed && error.name !== 'AbortError' && !/aborted/i.test(error.message)) {
      printError(errorMessage(error), 'connect');
    }
  };
  downstream.onclose = () => void closeBoth();
  upstream.onclose = () => void closeBoth();
  process.stdin.once('end', () => void closeBoth());

  await upstream.start();
  await downstream.start();
  await done;
}

/** Whether a request carries the 2026-07-28 envelope claim (basic/index#meta). */
function isModern(message: Message): boolean {
  const meta = message.params?._meta as Record<string, unknown> | undefined;
  return typeof meta?.[META.protocolVersion] === 'string';
}
