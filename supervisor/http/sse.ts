import type { ServerResponse } from 'node:http';

/** Headers of every event stream; `SseOptions.headers` adds to them or overrides them. */
const STREAM_HEADERS = {
  'content-type': 'text/event-stream',
  'cache-control': 'no-cache, no-transform',
  connection: 'keep-alive',
};

export interface SseOptions {
  /** Added to (or overriding) the stream headers, e.g. the MCP session id. */
  headers?: Record<string, string>;
  /** A `: ping` comment this often, so proxies keep an idle stream open; none when omitted. */
  heartbeatMs?: number;
}

/**
 * The one Server-Sent Events writer: the control API's event and log streams, a gateway POST
 * answered as a stream, and a session's standalone GET stream. Each event is one `write`;
 * the headers leave with the first write (no flushHeaders(): one write fewer per streamed
 * request on the gateway's hot path). Writing to a stream whose client has gone is a no-op.
 */
export class SseWriter {
  readonly #res: ServerResponse;
  #isClosed = false;

  constructor(res: ServerResponse, options: SseOptions = {}) {
    this.#res = res;
    res.writeHead(200, options.headers ? { ...STREAM_HEADERS, ...options.headers } : STREAM_HEADERS);
    res.on('close', () => {
      this.#isClosed = true;
    });
    if (options.heartbeatMs !== undefined) {
      const heartbeat = setInterval(() => this.comment('ping'), options.heartbeatMs);
      heartbeat.unref();
      res.on('close', () => clearInterval(heartbeat));
    }
  }

  get isClosed(): boolean {
    return this.#isClosed || this.#res.destroyed;
  }

  /** Writes `data` as JSON in one event named `event`; false when the stream is gone. */
  send(data: unknown, event = 'message'): boolean {
    if (this.isClosed) return false;
    this.#res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    return true;
  }

  /** A comment line (ignored by clients); the first one also sends the headers. */
  comment(text: string): void {
    if (!this.isClosed) this.#res.write(`: ${text}\n\n`);
  }

  /** Ends the stream, with one last event when `data` is given. */
  end(data?: unknown, event = 'message'): void {
    if (this.isClosed) return;
    this.#isClosed = true;
    this.#res.end(data === undefined ? undefined : `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  }

  /** Calls `listener` once when the client goes away (at once if it already has). */
  onClose(listener: () => void): void {
    if (this.isClosed) listener();
    else this.#res.once('close', listener);
  }
}

/**
 * The control API's event streams (`/api/events`, log follow): headers sent at once with a
 * `: connected` comment (the client's fetch resolves on them) and a heartbeat every 15 s.
 */
export function openEventStream(res: ServerResponse, options: { heartbeatMs?: number } = {}): SseWriter {
  const stream = new SseWriter(res, {
    headers: { 'content-type': 'text/event-stream; charset=utf-8', 'x-accel-buffering': 'no' },
    heartbeatMs: options.heartbeatMs ?? 15_000,
  });
  stream.comment('connected');
  return stream;
}
