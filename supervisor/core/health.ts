import { errorMessage } from '../shared/errors.ts';
import type { Logger } from '../shared/logger.ts';
import type { ServerRuntime } from './server-runtime.ts';

export interface ServerHealth {
  status: 'ok' | 'failing' | 'unknown';
  /** Round trip of the last successful ping, ms. */
  lastPingMs: number | undefined;
  lastCheckedAt: number | undefined;
  consecutiveFailures: number;
  lastError: string | undefined;
}

/**
 * MCP `ping` to every online server each `intervalMs`, through its upstream session: the answer
 * comes from the real server, not from its process table, so a hung server shows as failing even while its
 * process lives. After `restartAfterFailures` failures in a row a managed server is restarted.
 */
export class HealthChecker {
  readonly #servers: () => Iterable<ServerRuntime>;
  readonly #logger: Logger;
  readonly #intervalMs: number;
  readonly #timeoutMs: number;
  readonly #restartAfterFailures: number;
  readonly #health = new Map<string, ServerHealth>();
  #timer: NodeJS.Timeout | undefined;
  #isRunning = false;

  constructor(options: {
    servers: () => Iterable<ServerRuntime>;
    logger: Logger;
    intervalMs: number;
    timeoutMs?: number;
    restartAfterFailures?: number;
  }) {
    this.#servers = options.servers;
    this.#logger = options.logger;
    this.#intervalMs = options.intervalMs;
    this.#timeoutMs = options.timeoutMs ?? Math.min(10_000, options.intervalMs);
    this.#restartAfterFailures = options.restartAfterFailures ?? 3;
  }

  start(): void {
    this.#timer = setInterval(() => void this.checkAll(), this.#intervalMs);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  health(server: string): ServerHealth {
    return (
      this.#health.get(server) ?? {
        status: 'unknown',
        lastPingMs: undefined,
        lastCheckedAt: undefined,
        consecutiveFailures: 0,
        lastError: undefined,
      }
    );
  }

  /** One round of pings, all servers in parallel; a round still running is not overlapped. */
  async checkAll(): Promise<void> {
    if (this.#isRunning) return;
    this.#isRunning = true;
    try {
      const servers = [...this.#servers()];
      const names = new Set(servers.map((s) => s.name));
      for (const name of this.#health.keys()) if (!names.has(name)) this.#health.delete(name);
      await Promise.all(servers.filter((s) => s.state === 'online').map((s) => this.#check(s)));
    } finally {
      this.#isRunning = false;
    }
  }

  async #check(server: ServerRuntime): Promise<void> {
    const previous = this.health(server.name);
    const startedAt = performance.now();
    try {
      await server.upstream.ping(this.#timeoutMs);
      this.#health.set(server.name, {
        status: 'ok',
        lastPingMs: performance.now() - startedAt,
        lastCheckedAt: Date.now(),
        consecutiveFailures: 0,
        lastError: undefined,
      });
    } catch (error) {
      if (server.state !== 'online') return;
      const failures = previous.consecutiveFailures + 1;
      this.#health.set(server.name, {
        status: 'failing',
        lastPingMs: previous.lastPingMs,
        lastCheckedAt: Date.now(),
        consecutiveFailures: failures,
        lastError: errorMessage(error),
      });
      this.#logger.warn({ server: server.name, failures, err: error }, 'health ping failed');
      if (server.isManaged && failures >= this.#restartAfterFailures) {
        this.#logger.error({ server: server.name }, `no answer to ${failures} pings in a row; restarting it`);
        this.#health.delete(server.name);
        server.restart().catch(() => {});
      }
    }
  }
}
