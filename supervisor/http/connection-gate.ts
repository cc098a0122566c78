import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Logger } from '../shared/logger.ts';

/** Why the gate closed a connection or refused a request on it (the `/metrics` label). */
export type ConnectionRefusal =
  /** The listener was at `maxConnections` with nothing idle to close. */
  | 'total'
  /** The remote address was at `maxConnectionsPerAddress` with nothing idle to close. */
  | 'per_address'
  /** A request on a reserve connection that is not the owner's (health, control API). */
  | 'reserved'
  /** The client did not send its headers or its whole request in time (408). */
  | 'timeout'
  /** The client sent something HTTP cannot parse (400, 431). */
  | 'malformed';

export const CONNECTION_REFUSALS: readonly ConnectionRefusal[] = [
  'total',
  'per_address',
  'reserved',
  'timeout',
  'malformed',
];

export type ConnectionStats = {
  /** Connections open now (reserve ones included). */
  open: number;
  /** Of them, reserve connections (for the owner's requests only). */
  reserved: number;
  /** Idle connections closed to make room for new ones, since start. */
  evicted: number;
  refused: Readonly<Record<ConnectionRefusal, number>>;
};

export type ConnectionGateOptions = {
  /** Connections held at once, not counting the reserve. */
  maxConnections: number;
  /** Connections one remote address may hold at once (besides the reserve). */
  maxConnectionsPerAddress: number;
  /** Connections above `maxConnections` kept for the owner's requests. Default 32. */
  reserveConnections?: number;
  logger: Logger;
};

/** Connections beyond the cap kept for `/health` and the control API when nothing can be closed. */
const DEFAULT_RESERVE = 32;
/** Upper bound of the derived default: far above what one person's clients open. */
const MAX_DEFAULT_CONNECTIONS = 8_192;
/** The default where the descriptor limit cannot be read (not Linux). */
const FALLBACK_DEFAULT_CONNECTIONS = 4_096;
/** The shortest interval between two "refusing connections" warnings. */
const WARN_INTERVAL_MS = 60_000;

/**
 * The soft limit of open file descriptors of this process, or undefined where it cannot be read.
 * Node raises the soft limit to the hard one at start (src/node.cc, PlatformInit), so this is the
 * hard limit unless that failed; Node has no setrlimit to do more.
 */
export function openFileLimit(limitsText?: string): number | undefined {
  let text = limitsText;
  if (text === undefined) {
    try {
      text = readFileSync('/proc/self/limits', 'utf8');
    } catch {
      return undefined;
    }
  }
  const soft = /^Max open files\s+(\d+|unlimited)/m.exec(text)?.[1];
  if (soft === undefined) return undefined;
  return soft === 'unlimited' ? Number.POSITIVE_INFINITY : Number(soft);
}

/**
 * The default `maxConnections`: what the descriptor limit leaves after a quarter (at least 256)
 * for everything else the supervisor opens (servers' pipes, SQLite, logs, PM2), at most 8 192.
 * Connections past the descriptor limit failed every accept: `/health` and new clients too.
 */
export function defaultMaxConnections(): number {
  return maxConnectionsFor(openFileLimit());
}

/** {@link defaultMaxConnections} for a given descriptor limit (undefined: unknown). */
export function maxConnectionsFor(fileLimit: number | undefined): number {
  if (fileLimit === undefined) return FALLBACK_DEFAULT_CONNECTIONS;
  if (!Number.isFinite(fileLimit)) return MAX_DEFAULT_CONNECTIONS;
  const left = fileLimit - Math.max(256, Math.floor(fileLimit / 4)) - DEFAULT_RESERVE;
  return Math.max(16, Math.min(MAX_DEFAULT_CONNECTIONS, left));
}

type Tracked = {
  readonly socket: Socket;
  readonly address: string;
  /** Requests of this connection not yet answered (more than one when pipelined). */
  busy: number;
  /** It has sent a request: a keep-alive client, closed only after those that never did. */
  hasServed: boolean;
  readonly isReserve: boolean;
};

/**
 * Bounds the listener's connections so that no client, however many sockets it opens, can take
 * the descriptors `/health` and the control API need (issue 9 item 3: 20 000 idle sockets of one
 * local process made the CLI say "no supervisor is running").
 *
 * Every connection is idle (accepted, or between keep-alive requests) or busy (a request in
 * progress). A new connection over `maxConnections` closes the connection idle longest among
 * those that never sent a request (a flood of idle sockets, slow headers), else among idle
 * keep-alive ones; over its address's bound, the longest idle of that address. So a flood only
 * ever pushes out its own oldest, and a client that sends its request at once gets in. When
 * every connection is busy, up to `reserveConnections` more are accepted for the owner's
 * requests only (`/health`, the token-bearing control API); other requests on them get 503.
 * Past that, new connections are closed at once. In all, at most `maxConnections +
 * reserveConnections` are open. Costs a few Set operations per request and one listener on its
 * response.
 */
export class ConnectionGate {
  readonly #maxConnections: number;
  readonly #maxPerAddress: number;
  readonly #reserve: number;
  readonly #logger: Logger;
  readonly #tracked = new Map<Socket, Tracked>();
  /** Idle connections that never sent a request, longest idle first (a Set keeps insertion order). */
  readonly #idleFresh = new Set<Tracked>();
  /** Idle keep-alive connections (not reserve ones), longest idle first. */
  readonly #idleServed = new Set<Tracked>();
  /** Idle reserve connections, longest idle first. */
  readonly #idleReserve = new Set<Tracked>();
  /** Idle connections by remote address, and open ones: the reserve is outside both bounds. */
  readonly #idleByAddress = new Map<string, Set<Tracked>>();
  readonly #countByAddress = new Map<string, number>();
  #reserved = 0;
  #evicted = 0;
  readonly #refused: Record<ConnectionRefusal, number> = {
    total: 0,
    per_address: 0,
    reserved: 0,
    timeout: 0,
    malformed: 0,
  };
  #lastWarnAt = Number.NEGATIVE_INFINITY;

  constructor(options: ConnectionGateOptions) {
    const reserve = options.reserveConnections ?? DEFAULT_RESERVE;
    for (const [name, value] of [
      ['maxConnections', options.maxConnections],
      ['maxConnectionsPerAddress', options.maxConnectionsPerAddress],
    ] as const) {
      if (!Number.isInteger(value) || value < 1) {
        throw new TypeError(`${name} must be a positive integer, got ${value}`);
      }
    }
    if (!Number.isInteger(reserve) || reserve < 0) {
      throw new TypeError(`reserveConnections must be a non-negative integer, got ${reserve}`);
    }
    this.#maxConnections = options.maxConnections;
    this.#maxPerAddress = options.maxConnectionsPerAddress;
    this.#reserve = reserve;
    this.#logger = options.logger;
  }

  /** The listener's `connection` handler: admits `socket`, making room, or closes it. */
  accept(socket: Socket): void {
    const address = socket.remoteAddress ?? '';
    const place = this.#placeFor(address);
    if (place !== 'normal' && place !== 'reserve') {
      this.#refuse(place, address);
      socket.destroy();
      return;
    }
    const tracked: Tracked = { socket, address, busy: 0, hasServed: false, isReserve: place === 'reserve' };
    if (tracked.isReserve) this.#reserved++;
    else this.#countByAddress.set(address, (this.#countByAddress.get(address) ?? 0) + 1);
    this.#tracked.set(socket, tracked);
    this.#markIdle(tracked);
    socket.once('close', () => this.#forget(tracked));
  }

  /**
   * Where a new connection from `address` goes, after closing an idle one if that makes room.
   * The total open never exceeds `maxConnections + reserveConnections`: a connection is only
   * added beyond `maxConnections` into the reserve, or in place of one just closed.
   */
  #placeFor(address: string): 'normal' | 'reserve' | ConnectionRefusal {
    const reserveOr = (refusal: ConnectionRefusal) =>
      this.#reserved < this.#reserve || this.#evictOldest(this.#idleReserve) ? 'reserve' : refusal;
    const ofAddress = this.#idleByAddress.get(address);
    if (
      (this.#countByAddress.get(address) ?? 0) >= this.#maxPerAddress &&
      (ofAddress === undefined || !this.#evictOldest(ofAddress))
    ) {
      // An address bound as large as the total (the loopback default) is the total.
      return reserveOr(this.#maxPerAddress < this.#maxConnections ? 'per_address' : 'total');
    }
    if (
      this.#tracked.size - this.#reserved >= this.#maxConnections &&
      !this.#evictOldest(this.#idleFresh) &&
      !this.#evictOldest(this.#idleServed)
    ) {
      return reserveOr('total');
    }
    return 'normal';
  }

  /**
   * Marks the request's connection busy until its response closes; returns false (after
   * answering 503) when it arrived on a reserve connection and `isOwnerRequest` says it is not
   * one of the owner's.
   */
  admitRequest(req: IncomingMessage, res: ServerResponse, isOwnerRequest: () => boolean): boolean {
    const tracked = this.#tracked.get(req.socket);
    if (tracked === undefined) return true;
    if (tracked.isReserve && !isOwnerRequest()) {
      this.#refuse('reserved', tracked.address);
      const body = JSON.stringify({
        error: {
          code: 'SERVER_UNAVAILABLE',
          message:
            'the supervisor is at its connection limit (supervisor.gateway.maxConnections); this connection is kept for /health and the control API — retry shortly',
        },
      });
      res.shouldKeepAlive = false;
      res.writeHead(503, {
        'content-type': 'application/json; charset=utf-8',
        'content-length': Buffer.byteLength(body),
        'retry-after': '1',
        connection: 'close',
      });
      res.end(body);
      return false;
    }
    if (tracked.busy++ === 0) this.#unmarkIdle(tracked);
    tracked.hasServed = true;
    res.once('close', () => {
      if (--tracked.busy === 0 && !tracked.socket.destroyed) this.#markIdle(tracked);
    });
    return true;
  }

  /** Counts what the listener refused itself (a request or headers timeout, a malformed request). */
  countClientError(refusal: 'timeout' | 'malformed', socket: Socket): void {
    this.#refuse(refusal, socket.remoteAddress ?? '');
  }

  stats(): ConnectionStats {
    return {
      open: this.#tracked.size,
      reserved: this.#reserved,
      evicted: this.#evicted,
      refused: { ...this.#refused },
    };
  }

  /** Closes the first (longest idle) connection of `idle`; false when it is empty. */
  #evictOldest(idle: Set<Tracked>): boolean {
    const oldest = idle.values().next();
    if (oldest.done) return false;
    const tracked = oldest.value;
    this.#forget(tracked);
    tracked.socket.destroy();
    this.#evicted++;
    return true;
  }

  #idleSetOf(tracked: Tracked): Set<Tracked> {
    if (tracked.isReserve) return this.#idleReserve;
    return tracked.hasServed ? this.#idleServed : this.#idleFresh;
  }

  #markIdle(tracked: Tracked): void {
    this.#idleSetOf(tracked).add(tracked);
    if (tracked.isReserve) return;
    let ofAddress = this.#idleByAddress.get(tracked.address);
    if (ofAddress === undefined) {
      ofAddress = new Set();
      this.#idleByAddress.set(tracked.address, ofAddress);
    }
    ofAddress.add(tracked);
  }

  #unmarkIdle(tracked: Tracked): void {
    this.#idleSetOf(tracked).delete(tracked);
    const ofAddress = this.#idleByAddress.get(tracked.address);
    if (ofAddress?.delete(tracked) && ofAddress.size === 0) this.#idleByAddress.delete(tracked.address);
  }

  /** Drops a connection from every count (once: on eviction, or when it closes). */
  #forget(tracked: Tracked): void {
    if (this.#tracked.get(tracked.socket) !== tracked) return;
    this.#tracked.delete(tracked.socket);
    this.#unmarkIdle(tracked);
    if (tracked.isReserve) {
      this.#reserved--;
      return;
    }
    const count = (this.#countByAddress.get(tracked.address) ?? 1) - 1;
    if (count === 0) this.#countByAddress.delete(tracked.address);
    else this.#countByAddress.set(tracked.address, count);
  }

  #refuse(refusal: ConnectionRefusal, address: string): void {
    this.#refused[refusal]++;
    if (refusal === 'timeout' || refusal === 'malformed') return;
    const now = Date.now();
    if (now - this.#lastWarnAt < WARN_INTERVAL_MS) return;
    this.#lastWarnAt = now;
    this.#logger.warn(
      { reason: refusal, remote: address, ...this.stats() },
      'refusing connections: the listener is at its connection limit (counted in /metrics)',
    );
  }
}
