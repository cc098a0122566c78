import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ClientKeyInfo } from '../client/wire-types.ts';
import { bearerToken, isTokenValid } from '../http/bearer.ts';
import { JSONRPC_INVALID_REQUEST, sendRpcError } from './rpc-errors.ts';

/** What the gateway needs from the client keys store (`store/client-keys.ts`). */
export interface ClientKeyVerifier {
  verify(token: string): Promise<ClientKeyInfo | undefined> | ClientKeyInfo | undefined;
}

/** The key the owner's control token stands for: every server. */
const OWNER_KEY: ClientKeyInfo = { id: 'owner', name: 'owner', servers: null };

/**
 * Bearer authentication of MCP requests: a client key (scoped to servers, or all), or the
 * control API token, which whoever can read it owns the supervisor with, so it opens every
 * server. With `gateway.auth: "none"` (no verifier) every request passes as no key.
 */
export class GatewayAuth {
  readonly #keys: ClientKeyVerifier | undefined;
  readonly #ownerToken: string | undefined;

  constructor(options: { keys: ClientKeyVerifier | undefined; ownerToken?: string | undefined }) {
    this.#keys = options.keys;
    this.#ownerToken = options.ownerToken;
  }

  /**
   * The key of a request to `server` (undefined = aggregated), `undefined` when auth is off, or
   * `false` after answering 401/403 with what to do. A promise only when the verifier answers
   * with one (a clustered key store): the local one answers from its cache, with no await.
   */
  authenticate(
    req: IncomingMessage,
    res: ServerResponse,
    server: string | undefined,
  ): ClientKeyInfo | undefined | false | Promise<ClientKeyInfo | undefined | false> {
    if (!this.#keys) return undefined;
    const token = bearerToken(req.headers.authorization);
    if (!token) {
      res.setHeader('www-authenticate', 'Bearer');
      sendRpcError(
        res,
        401,
        null,
        JSONRPC_INVALID_REQUEST,
        'missing bearer token: create a client key with `mcp-supervisor keys create NAME`',
      );
      return false;
    }
    const key =
      this.#ownerToken !== undefined && isTokenValid(token, this.#ownerToken)
        ? OWNER_KEY
        : this.#keys.verify(token);
    return key instanceof Promise
      ? key.then((found) => this.#admit(res, server, found))
      : this.#admit(res, server, key);
  }

  #admit(
    res: ServerResponse,
    server: string | undefined,
    key: ClientKeyInfo | undefined,
  ): ClientKeyInfo | false {
    if (!key) {
      res.setHeader('www-authenticate', 'Bearer error="invalid_token"');
      sendRpcError(
        res,
        401,
        null,
        JSONRPC_INVALID_REQUEST,
        'unknown or revoked client key: see `mcp-supervisor keys list`',
      );
      return false;
    }
    if (server !== undefined && key.servers !== null && !key.servers.includes(server)) {
      sendRpcError(
        res,
        403,
        null,
        JSONRPC_INVALID_REQUEST,
        `client key "${key.name}" may not use server "${server}"`,
      );
      return false;
    }
    return key;
  }
}
