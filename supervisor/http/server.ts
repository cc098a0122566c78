import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import { SupervisorError } from '../shared/errors.ts';
import { isLoopbackHost, isWildcardHost } from '../shared/hosts.ts';
import type { Logger } from '../shared/logger.ts';
import { sendError, sendJson } from './respond.ts';

/** `url` is shared by every request to the same target: read it, never change it. */
export type RouteHandler = (
  req: IncomingMessage,
  res: ServerResponse,
  url: Readonly<URL>,
) => Promise<void> | void;

interface Route {
  prefix: string;
  handler: RouteHandler;
}

/**
 * The supervisor's one HTTP listener. Routes are matched by longest path prefix. Every request is
 * checked against DNS rebinding first: its `Host` must name this listener (or be one of
 * `allowedHosts`, for a listener bound to 0.0.0.0 that clients reach by a name), and a browser
 * `Origin` must be this listener's own origin or one the config allows.
 */
export class HttpServer {
  readonly #server: http.Server;
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

  constructor(options: {
    host: string;
    port: number;
    logger: Logger;
    allowedOrigins?: string[];
    /** `Host` values accepted besides the listener's own: `name:port` exactly, or `name` on its port. */
    allowedHosts?: string[];
  }) {
    this.#host = options.host;
    this.#requestedPort = options.port;
    this.#logger = options.logger;
    this.#extraOrigins = new Set(options.allowedOrigins ?? []);
    this.#extraHosts = new Set((options.allowedHosts ?? []).map((host) => host.toLowerCase()));
    this.#server = http.createServer((req, res) => void this.#dispatch(req, res));
    // Long MCP calls stream for minutes; the gateway applies its own timeouts.
    this.#server.requestTimeout = 0;
    this.#server.keepAliveTimeout = 65_000;
  }

  get port(): number {
    return this.#port;
  }
  get origin(): string {
    return `http://${this.#host.includes(':') ? `[${this.#host}]` : this.#host}:${this.#port}`;
  }

  route(prefix: string, handler: RouteHandler): void {
    this.#routes.push({ prefix, handler });
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

  /** Stops accepting connections, then closes idle ones; open streams get `graceMs` to finish. */
  async close(graceMs = 2_000): Promise<void> {
    if (!this.#server.listening) return;
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
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
      const url = this.#urlOf(req.url ?? '/');
      const route = this.#routes.find(
        (r) => url.pathname === r.prefix || url.pathname.startsWith(matchPrefix(r.prefix)),
      );
      if (!route)
        return sendJson(res, 404, { error: { code: 'NOT_FOUND', message: `no route ${url.pathname}` } });
      await route.handler(req, res, url);
    } catch (error) {
      this.#logger.error({ err: error, url: req.url }, 'HTTP handler failed');
      if (!res.headersSent) sendError(res, error);
      else res.destroy();
    }
  }

  /** The parsed target of a request; handlers only read it, so one object per path is shared. */
  #urlOf(target: string): URL {
    let url = this.#urls.get(target);
    if (url === undefined) {
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
