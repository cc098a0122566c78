import type { ServerResponse } from 'node:http';

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
  res.on('close', () => {
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
