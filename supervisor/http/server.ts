import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import os from 'node:os';
import { SupervisorError } from '../shared/errors.ts';
import { isLoopbackHost, isWildcardHost } from '../shared/hosts.ts';
import type { Logger } from '../shared/logger.ts';
import { http } from '../shared/node-http.ts';
import { ConnectionGate, type ConnectionStats, defaultMaxConnections } from './connection-gate.ts';
import { sendError, sendJson } from './respond.ts';
import { OPEN_EVENT_STREAM } from './sse.ts';

/** `url` is shared by every request to the same target: read it, never change it. */
export type RouteHandler = (
  req: IncomingMessage,
  res: ServerResponse,
  url: Readonly<URL>,
) => Promise<void> | void;

interface Route {
  prefix: string;
  /** `prefix` ending in `/`: what a longer path under it starts with. */
  under: string;
  handler: RouteHandler;
}

export type HttpServerOptions = {
  host: string;
  port: number;
  logger: Logger;
  allowedOrigins?: string[];
  /** `Host` values accepted besides the listener's own: `name:port` exactly, or `name` on its port. */
  allowedHosts?: string[];
  /** Connections at once (besides the reserve); default {@link defaultMaxConnections}. */
  maxConnections?: number;
  /** Connections of one remote address; default all of them on loopback, a quarter otherwise. */
  maxConnectionsPerAddress?: number;
  /** Connections kept beyond `maxConnections` for the owner's requests; default 32. */
  reserveConnections?: number;
  /** Time a client has to send a request's headers, from its first byte or its connection. Default 10 s. */
  headersTimeoutMs?: number;
  /**
   * Time a client has to send a whole request, headers and body. The response is not timed: an
   * MCP answer may stream for minutes. Default 30 s.
   */
  receiveTimeoutMs?: number;
  /**
   * Whether a request is the owner's (`/health`, the token-bearing control API): only those are
   * served on the reserve connections kept for when the listener is at its connection limit.
   */
  isOwnerRequest?: (req: IncomingMessage, url: Readonly<URL>) => boolean;
};

/** Idle keep-alive connections stay this long (beyond clients' own keep-alive, so no reuse race). */
const KEEP_ALIVE_TIMEOUT_MS = 65_000;

/**
 * The supervisor's one HTTP listener. Routes are matched by longest path prefix. Every request is
 * checked against DNS rebinding first: its `Host` must name this listener (or be one of
 * `allowedHosts`, for a listener bound to 0.0.0.0 that clients reach by a name), and a browser
 * `Origin` must be this listener's own origin or one the config allows. Connections are bounded
 * and requests timed as they arrive (see {@link ConnectionGate}); refusals are counted for
 * `/metrics`.
 */
export class HttpServer {
  readonly #server: Server;
  readonly #routes: Route[] = [];
  readonly #logger: Logger;
  readonly #host: string;
  readonly #requestedPort: number;
  readonly #extraOrigins: Set<string>;
  /** `supervisor.gateway.allowedHosts`, lower-cased: `name` or `name:port`. */
  readonly #extraHosts: Set<string>;
  #port = 0;
  /** `Host` values already found to name this listener: a client sends the same one each time. */
  readonly #allowedHostHeaders = new Set<string>();
  /** Parsed request targets, by `req.url`: clients call the same few paths over and over. */
  readonly #urls = new Map<string, URL>();
  /** Open connections (per connection, not per request: nothing on the request path). */
  readonly #sockets = new Set<Socket & { [OPEN_EVENT_STREAM]?: () => void }>();

  readonly #gate: ConnectionGate;
  readonly #isOwnerRequest: (req: IncomingMessage, url: Readonly<URL>) => boolean;

  constructor(options: HttpServerOptions) {
    this.#host = options.host;
    this.#requestedPort = options.port;
    this.#logger = options.logger;
    this.#extraOrigins = new Set(options.allowedOrigins ?? []);
    this.#extraHosts = new Set((options.allowedHosts ?? []).map((host) => host.toLowerCase()));
    this.#isOwnerRequest = options.isOwnerRequest ?? (() => false);
    const maxConnections = options.maxConnections ?? defaultMaxConnections();
    this.#gate = new ConnectionGate({
      maxConnections,
      maxConnectionsPerAddress:
        options.maxConnectionsPerAddress ??
        (isLoopbackHost(options.host) ? maxConnections : Math.ceil(maxConnections / 4)),
      reserveConnections: options.reserveConnections,
      logger: options.logger,
    });
    const receiveTimeoutMs = options.receiveTimeoutMs ?? 30_000;
    // Node requires the headers' time to fit in the whole request's.
    const headersTimeoutMs = Math.min(options.headersTimeoutMs ?? 10_000, receiveTimeoutMs);
    this.#server = http.createServer(
      {
        // Node times the request as it arrives (a slow body gets 408), never the response, so
        // a long MCP stream is not cut; the request channel times what the servers answer.
        requestTimeout: receiveTimeoutMs,
        headersTimeout: headersTimeoutMs,
        keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS,
        // How often Node checks those timeouts (its default, 30 s, would let them run late).
        connectionsCheckingInterval: Math.max(100, Math.min(1_000, Math.floor(headersTimeoutMs / 4))),
      },
      (req, res) => void this.#dispatch(req, res),
    );
    this.#server.on('connection', (socket: Socket) => {
      // Kept to end the event streams on them at once when the listener closes (see close()).
      this.#sockets.add(socket);
      socket.once('close', () => this.#sockets.delete(socket));
      this.#gate.accept(socket);
    });
    this.#server.on('clientError', (error: NodeJS.ErrnoException, socket: Socket) =>
      this.#answerClientError(error, socket),
    );
  }

  /** Open connections, evictions and refusals of the listener, for `/metrics`. */
  connectionStats(): ConnectionStats {
    return this.#gate.stats();
  }

  get port(): number {
    return this.#port;
  }
  get origin(): string {
    return `http://${this.#host.includes(':') ? `[${this.#host}]` : this.#host}:${this.#port}`;
  }

  route(prefix: string, handler: RouteHandler): void {
    this.#routes.push({ prefix, under: matchPrefix(prefix), handler });
    this.#routes.sort((a, b) => b.prefix.length - a.prefix.length);
  }

  async listen(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      const onError = (error: NodeJS.ErrnoException) => {
        reject(
          new SupervisorError(
            'CONTROL_API',
            error.code === 'EADDRINUSE'
              ? `port ${this.#requestedPort} on ${this.#host} is in use; set supervisor.port or MCP_SUPERVISOR_PORT to a free port`
              : `cannot listen on ${this.#host}:${this.#requestedPort} (supervisor.host, supervisor.port): ${error.message}`,
            { cause: error },
          ),
        );
      };
      this.#server.once('error', onError);
      this.#server.listen(this.#requestedPort, this.#host, () => {
        this.#server.off('error', onError);
        resolve();
      });
    });
    this.#port = (this.#server.address() as AddressInfo).port;
  }

  /**
   * Stops accepting connections, ends the control API's event streams (they never finish on
   * their own) and closes idle connections; requests in flight get `graceMs` to finish.
   */
  async close(graceMs = 2_000): Promise<void> {
    if (!this.#server.listening) return;
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    for (const socket of this.#sockets) socket[OPEN_EVENT_STREAM]?.();
    this.#server.closeIdleConnections();
    const timer = setTimeout(() => this.#server.closeAllConnections(), graceMs);
    timer.unref();
    await closed;
    clearTimeout(timer);
  }

  /**
   * Whether `Host` names this listener (loopback aliases included when bound to loopback), or is
   * allowed by `allowedHosts`.
   */
  isAllowedHost(hostHeader: string | undefined): boolean {
    if (!hostHeader) return false;
    if (this.#allowedHostHeaders.has(hostHeader)) return true;
    if (!this.#isHostOfListener(hostHeader)) return false;
    if (this.#allowedHostHeaders.size < MAX_CACHED) this.#allowedHostHeaders.add(hostHeader);
    return true;
  }

  #isHostOfListener(hostHeader: string): boolean {
    const match = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(hostHeader);
    if (!match) return false;
    const [, name = '', port] = match;
    if (this.#extraHosts.has(hostHeader.toLowerCase())) return true;
    if (port !== undefined && Number(port) !== this.#port) return false;
    if (this.#extraHosts.has(name.toLowerCase())) return true;
    if (port === undefined && this.#port !== 80) return false;
    const bound = this.#host.includes(':') ? `[${this.#host}]` : this.#host;
    if (name.toLowerCase() === bound.toLowerCase()) return true;
    // A wildcard bind listens on loopback too (the CLI's own requests) and on every interface.
    if (isLoopbackHost(name)) return isLoopbackHost(this.#host) || isWildcardHost(this.#host);
    return isWildcardHost(this.#host) && isNameOfThisMachine(name);
  }

  isAllowedOrigin(origin: string | undefined): boolean {
    if (origin === undefined) return true;
    if (this.#extraOrigins.has(origin)) return true;
    try {
      const url = new URL(origin);
      return url.protocol === 'http:' && this.isAllowedHost(url.host);
    } catch {
      return false;
    }
  }

  async #dispatch(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const url = this.#urlOf(req.url ?? '/');
      if (!this.#gate.admitRequest(req, res, () => url !== undefined && this.#isOwnerRequest(req, url)))
        return;
      if (!this.isAllowedHost(req.headers.host)) {
        return sendJson(res, 403, {
          error: { code: 'FORBIDDEN', message: `Host "${req.headers.host ?? ''}" is not this supervisor` },
        });
      }
      if (!this.isAllowedOrigin(req.headers.origin)) {
        return sendJson(res, 403, {
          error: {
            code: 'FORBIDDEN',
            message: `Origin "${req.headers.origin}" may not call this supervisor; add it to supervisor.gateway.allowedOrigins`,
          },
        });
      }
      if (url === undefined) {
        return sendJson(res, 400, {
          error: {
            code: 'BAD_REQUEST',
            message: `cannot parse the request target ${JSON.stringify(req.url)}`,
          },
        });
      }
      const { pathname } = url;
      const route = this.#routes.find((r) => pathname === r.prefix || pathname.startsWith(r.under));
      if (!route)
        return sendJson(res, 404, { error: { code: 'NOT_FOUND', message: `no route ${url.pathname}` } });
      await route.handler(req, res, url);
    } catch (error) {
      this.#logger.error({ err: error, url: req.url }, 'HTTP handler failed');
      if (!res.headersSent) sendError(res, error);
      else res.destroy();
    }
  }

  /**
   * Answers what Node's parser refused before any handler ran (a request or its headers not sent
   * in time, a malformed request), as Node would without this listener, and counts it. A socket
   * already answering a request is only closed.
   */
  #answerClientError(error: NodeJS.ErrnoException, socket: Socket): void {
    const isTimeout = error.code === 'ERR_HTTP_REQUEST_TIMEOUT';
    // A client that went away mid-request is neither late nor malformed: it is only closed.
    if (error.code === 'ECONNRESET' || error.code === 'HPE_INVALID_EOF_STATE') {
      socket.destroy();
      return;
    }
    this.#gate.countClientError(isTimeout ? 'timeout' : 'malformed', socket);
    const isAnswering = (socket as Socket & { _httpMessage?: ServerResponse | null })._httpMessage
      ?.headersSent;
    if (!socket.writable || isAnswering) {
      socket.destroy();
      return;
    }
    const status = isTimeout
      ? '408 Request Timeout'
      : error.code === 'HPE_HEADER_OVERFLOW'
        ? '431 Request Header Fields Too Large'
        : '400 Bad Request';
    socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    socket.destroySoon();
  }

  /**
   * The parsed target of a request (handlers only read it, so one object per path is shared);
   * undefined for a target URL cannot parse (`//[`), which is the client's error.
   */
  #urlOf(target: string): URL | undefined {
    let url = this.#urls.get(target);
    if (url === undefined) {
      if (!URL.canParse(target, 'http://localhost')) return undefined;
      url = new URL(target, 'http://localhost');
      if (this.#urls.size < MAX_CACHED) this.#urls.set(target, url);
    }
    return url;
  }
}

/** Whether a Host name is an address of one of this machine's interfaces, or its host name. */
function isNameOfThisMachine(name: string): boolean {
  const lower = name.toLowerCase();
  if (lower === os.hostname().toLowerCase()) return true;
  for (const addresses of Object.values(os.networkInterfaces())) {
    for (const { address, family } of addresses ?? []) {
      if ((family === 'IPv6' ? `[${address}]` : address).toLowerCase() === lower) return true;
    }
  }
  return false;
}

/** Bound of each per-listener cache; past it, values are checked or parsed every time. */
const MAX_CACHED = 256;

function matchPrefix(prefix: string): string {
  return prefix.endsWith('/') ? prefix : `${prefix}/`;
}
