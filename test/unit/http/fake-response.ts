import { EventEmitter } from 'node:events';

/** Just enough of a ServerResponse for the SSE writer: records the head and every write. */
export class FakeResponse extends EventEmitter {
  destroyed = false;
  status = 0;
  headers: Record<string, string> = {};
  chunks: string[] = [];
  isEnded = false;
  writeHead(status: number, headers: Record<string, string> = {}) {
    this.status = status;
    this.headers = headers;
    return this;
  }
  flushHeaders() {}
  write(chunk: string) {
    this.chunks.push(chunk);
    return true;
  }
  end(chunk?: string) {
    if (chunk) this.chunks.push(chunk);
    this.isEnded = true;
    return this;
  }
  /** The JSON-RPC messages written as SSE events. */
  messages(): { id?: unknown; method?: string; params?: Record<string, unknown> }[] {
    return this.chunks
      .join('')
      .split('\n\n')
      .filter((event) => event.startsWith('event: message'))
      .map((event) => JSON.parse(event.slice(event.indexOf('data: ') + 6)));
  }
  /** The client going away. */
  drop() {
    this.destroyed = true;
    this.emit('close');
  }
}
