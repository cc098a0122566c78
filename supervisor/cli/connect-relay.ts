import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { ControlClient } from '../client/control-client.ts';
import { readToken } from '../client/token.ts';
import { JSONRPC_SESSION_ERROR } from '../gateway/rpc-errors.ts';
import { errorMessage } from '../shared/errors.ts';
import type { HomePaths } from '../shared/home.ts';
import { printError } from './format.ts';

/**
 * `mcp-supervisor connect [SERVER]`: a stdio MCP server for clients that only spawn commands
 * (Claude Desktop, Cursor). It relays every JSON-RPC message unchanged between its stdin/stdout
 * and the running supervisor's gateway (`/mcp/<server>`, or `/mcp` for all servers), so the
 * client gets the same limits, routing and notifications as an HTTP client.
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

  let closed = false;
  let resolveDone!: () => void;
  const done = new Promise<void>((resolve) => {
    resolveDone = resolve;
  });
  const closeBoth = async () => {
    if (closed) return;
    closed = true;
    await Promise.allSettled([upstream.close(), downstream.close()]);
    resolveDone();
  };

  downstream.onmessage = (message: JSONRPCMessage) => {
    upstream.send(message).catch((error: unknown) => {
      // A request must get an answer, or the client waits forever.
      if ('id' in message && 'method' in message) {
        void downstream.send({
          jsonrpc: '2.0',
          id: message.id,
          error: {
            code: JSONRPC_SESSION_ERROR,
            message: `mcp-supervisor at ${base} did not take the request: ${errorMessage(error)}; is it running? (mcp-supervisor status)`,
          },
        });
      }
    });
  };
  upstream.onmessage = (message: JSONRPCMessage) => {
    void downstream.send(message);
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
