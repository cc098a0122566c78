import { Pool } from 'undici';
import { BENCH_PROTOCOL_VERSION, type RpcOutcome, toOutcome } from './mcp-http-client.ts';

type Waiter = { resolve: (message: unknown) => void; reject: (error: Error) => void };

/**
 * The bench's client for MCP's older HTTP+SSE transport (mcp-hub's `/mcp`): a GET opens the
 * event stream, whose first `endpoint` event names the URL to POST messages to; each POST is
 * answered 202 and its JSON-RPC answer arrives as a `message` event on the stream.
 *
 * Built like {@link LeanMcpClient} so the peers are measured with the same costs on the client
 * side: POSTs through undici's `Pool.dispatch` with one keep-alive connection per concurrent
 * caller and no pipelining; the stream on a connection of its own; each event parsed once.
 */
export class SseMcpClient {
  readonly #origin: string;
  readonly #streamPath: string;
  readonly #pool: Pool;
  readonly #streamPool: Pool;
  readonly #waiting = new Map<number, Waiter>();
  #postPath: string | undefined;
  #nextId = 1;
  #buffer = '';
  #onEndpoint: ((path: string) => void) | undefined;
  #closedWith: Error | undefined;

  constructor(options: { url: string; maxSockets: number }) {
    const url = new URL(options.url);
    this.#origin = url.origin;
    this.#streamPath = url.pathname + url.search;
    this.#pool = new Pool(url.origin, { connections: options.maxSockets, pipelining: 1 });
    this.#streamPool = new Pool(url.origin, { connections: 1, pipelining: 1, bodyTimeout: 0 });
  }

  /** Opens the stream, then `initialize` and `notifications/initialized`. */
  async connect(signal?: AbortSignal): Promise<Record<string, unknown>> {
    const endpoint = new Promise<string>((resolve, reject) => {
      this.#onEndpoint = resolve;
      signal?.addEventListener('abort', () => reject(signal.reason), { once: true });
    });
    this.#openStream();
    const target = new URL(await endpoint, `${this.#origin}${this.#streamPath}`);
    this.#postPath = target.pathname + target.search;
    const outcome = await this.request('initialize', {
      protocolVersion: BENCH_PROTOCOL_VERSION,
      capabilities: {},
      clientInfo: { name: 'gateway-bench', version: '0.0.0' },
    });
    if (outcome.kind === 'error') throw new Error(`initialize failed: ${outcome.code} ${outcome.message}`);
    await this.#post(JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }));
    return outcome.result;
  }

  async request(method: string, params: Record<string, unknown>): Promise<RpcOutcome> {
    if (this.#closedWith) throw this.#closedWith;
    const id = this.#nextId++;
    const answer = new Promise<unknown>((resolve, reject) => this.#waiting.set(id, { resolve, reject }));
    const status = await this.#post(JSON.stringify({ jsonrpc: '2.0', id, method, params }));
    if (status !== 202 && status !== 200) {
      this.#waiting.delete(id);
      throw new Error(`POST answered HTTP ${status}`);
    }
    return toOutcome(await answer, 200);
  }

  callTool(name: string, args: Record<string, unknown>): Promise<RpcOutcome> {
    return this.request('tools/call', { name, arguments: args });
  }

  async close(): Promise<void> {
    this.#fail(new Error('the client was closed'));
    await Promise.allSettled([this.#pool.destroy(), this.#streamPool.destroy()]);
  }

  #fail(error: Error): void {
    this.#closedWith ??= error;
    for (const waiter of this.#waiting.values()) waiter.reject(error);
    this.#waiting.clear();
  }

  #openStream(): void {
    this.#streamPool.dispatch(
      {
        origin: this.#origin,
        path: this.#streamPath,
        method: 'GET',
        headers: ['accept', 'text/event-stream'],
      },
      {
        onRequestStart: () => {},
        onResponseStart: (_controller, statusCode) => {
          if (statusCode !== 200) this.#fail(new Error(`the event stream answered HTTP ${statusCode}`));
        },
        onResponseData: (_controller, chunk) => this.#onChunk(chunk.toString('utf8')),
        onResponseEnd: () => this.#fail(new Error('the event stream ended')),
        onResponseError: (_controller, error) => this.#fail(error),
      },
    );
  }

  /** Splits the stream into events (blank-line separated) and hands each on. */
  #onChunk(text: string): void {
    this.#buffer += text;
    for (let end = this.#buffer.indexOf('\n\n'); end !== -1; end = this.#buffer.indexOf('\n\n')) {
      const event = this.#buffer.slice(0, end);
      this.#buffer = this.#buffer.slice(end + 2);
      let name = 'message';
      let data = '';
      for (const line of event.split('\n')) {
        if (line.startsWith('event:')) name = line.slice(6).trim();
        else if (line.startsWith('data:')) data += line.slice(line[5] === ' ' ? 6 : 5);
      }
      if (name === 'endpoint') this.#onEndpoint?.(data);
      else if (name === 'message' && data !== '') {
        const message = JSON.parse(data) as { id?: unknown };
        const waiter = typeof message.id === 'number' ? this.#waiting.get(message.id) : undefined;
        if (waiter) {
          this.#waiting.delete(message.id as number);
          waiter.resolve(message);
        }
      }
    }
  }

  #post(body: string): Promise<number> {
    return new Promise((resolve, reject) => {
      let status = 0;
      this.#pool.dispatch(
        {
          origin: this.#origin,
          path: this.#postPath as string,
          method: 'POST',
          headers: ['content-type', 'application/json'],
          body,
        },
        {
          onRequestStart: () => {},
          onResponseStart: (_controller, statusCode) => {
            status = statusCode;
          },
          onResponseData: () => {},
          onResponseEnd: () => resolve(status),
          onResponseError: (_controller, error) => reject(error),
        },
      );
    });
  }
}
