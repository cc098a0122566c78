import type { ServerResponse } from 'node:http';

/**
 * Set on the socket of an open event stream: its `end`. An event stream never ends on its own, so
 * the listener ends it at once when it closes instead of waiting out the grace it gives requests.
 */
export const OPEN_EVENT_STREAM = Symbol('open event stream');

/** A Server-Sent Events stream on `res`, with a comment heartbeat so proxies keep it open. */
export function openEventStream(res: ServerResponse, options: { heartbeatMs?: number } = {}) {
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  });
  res.write(': connected\n\n');
  const heartbeat = setInterval(() => res.write(': ping\n\n'), options.heartbeatMs ?? 15_000);
  heartbeat.unref();
  let isClosed = false;
  const closeListeners = new Set<() => void>();
  const socket = res.socket as (typeof res.socket & { [OPEN_EVENT_STREAM]?: () => void }) | null;
  if (socket) socket[OPEN_EVENT_STREAM] = () => res.end();
  res.on('close', () => {
    if (socket) delete socket[OPEN_EVENT_STREAM];
    isClosed = true;
    clearInterval(heartbeat);
    for (const listener of closeListeners) listener();
  });
  return {
    send(event: string, data: unknown): void {
      if (isClosed) return;
      res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    },
    onClose(listener: () => void): void {
      if (isClosed) listener();
      else closeListeners.add(listener);
    },
    close(): void {
      if (!isClosed) res.end();
    },
    get isClosed() {
      return isClosed;
    },
  };
}

export type EventStream = ReturnType<typeof openEventStream>;
