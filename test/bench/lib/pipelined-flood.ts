import net from 'node:net';
import { parseRpcBody, toOutcome } from './mcp-http-client.ts';

/** The gateway's documented refusal codes (supervisor/limits/refusals.ts), never renumbered. */
export const REFUSAL_CODES: ReadonlySet<number> = new Set([-32010, -32011, -32012, -32013, -32014]);

export type FloodResults = {
  requests: number;
  sockets: number;
  sessions: number;
  /** Answered with a tool result. */
  results: number;
  /** Answered with a documented refusal, by `data.reason`. */
  refusals: Record<string, number>;
  /** Answered with any other JSON-RPC error, by `code: message` (should stay empty). */
  otherErrors: Record<string, number>;
  /** Not answered within the timeout. */
  hangs: number;
  /** Lost with a socket the server closed, or answered with something that is not JSON-RPC. */
  broken: number;
  totalMs: number;
  /** Time from issuing everything to the first and to the last answer. */
  firstAnswerMs: number | undefined;
  lastAnswerMs: number | undefined;
};

type Head = { status: number; contentType: string; contentLength: number | undefined; isChunked: boolean };

/**
 * An incremental HTTP/1.1 response reader for one socket carrying pipelined requests: responses
 * come back in request order, with a Content-Length body or a chunked one (SSE answers).
 */
class ResponseReader {
  #buffer: Buffer = Buffer.alloc(0);
  #head: Head | undefined;
  #chunks: Buffer[] = [];
  readonly #onResponse: (head: Head, body: string) => void;

  constructor(onResponse: (head: Head, body: string) => void) {
    this.#onResponse = onResponse;
  }

  push(data: Buffer): void {
    this.#buffer = this.#buffer.length === 0 ? data : Buffer.concat([this.#buffer, data]);
    while (this.#step()) {
      // Each step consumes one complete piece (a head, a body, a chunk) from the buffer.
    }
  }

  #step(): boolean {
    if (!this.#head) {
      const end = this.#buffer.indexOf('\r\n\r\n');
      if (end < 0) return false;
      const lines = this.#buffer.subarray(0, end).toString('latin1').split('\r\n');
      this.#buffer = this.#buffer.subarray(end + 4);
      const status = Number(lines[0]?.split(' ')[1]);
      const headers = new Map<string, string>();
      for (const line of lines.slice(1)) {
        const colon = line.indexOf(':');
        headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
      }
      const length = headers.get('content-length');
      this.#head = {
        status,
        contentType: headers.get('content-type') ?? '',
        contentLength: length === undefined ? undefined : Number(length),
        isChunked: (headers.get('transfer-encoding') ?? '').includes('chunked'),
      };
      this.#chunks = [];
      return true;
    }
    const head = this.#head;
    if (!head.isChunked) {
      const length = head.contentLength ?? 0;
      if (this.#buffer.length < length) return false;
      const body = this.#buffer.subarray(0, length).toString('utf8');
      this.#buffer = this.#buffer.subarray(length);
      this.#finish(body);
      return true;
    }
    const lineEnd = this.#buffer.indexOf('\r\n');
    if (lineEnd < 0) return false;
    const size = Number.parseInt(this.#buffer.subarray(0, lineEnd).toString('latin1'), 16);
    // A chunk is `size\r\n data \r\n`; the last one is `0\r\n\r\n` (no trailers are sent).
    if (this.#buffer.length < lineEnd + 2 + size + 2) return false;
    if (size === 0) {
      this.#buffer = this.#buffer.subarray(lineEnd + 4);
      this.#finish(Buffer.concat(this.#chunks).toString('utf8'));
      return true;
    }
    this.#chunks.push(this.#buffer.subarray(lineEnd + 2, lineEnd + 2 + size));
    this.#buffer = this.#buffer.subarray(lineEnd + 2 + size + 2);
    return true;
  }

  #finish(body: string): void {
    const head = this.#head as Head;
    this.#head = undefined;
    this.#onResponse(head, body);
  }
}

/**
 * Issues `requests` tools/call POSTs at once: `sockets` connections are opened first, then every
 * socket gets its share of the requests written back to back (HTTP/1.1 pipelining), each request
 * on one of `sessionIds` in turn. Node's HTTP server hands pipelined requests to the handler as
 * they are parsed, so they are all in flight in the gateway together. Every request is then
 * classified by its answer; one not answered within `timeoutMs` of being issued is a hang.
 */
export async function floodPipelined(options: {
  port: number;
  path: string;
  sessionIds: readonly string[];
  sockets: number;
  requests: number;
  toolName: string;
  timeoutMs: number;
  /** Sent as the `authorization` header of every request (the gateway's auth on). */
  authorization?: string;
}): Promise<FloodResults> {
  const { sessionIds, sockets: socketCount, requests } = options;
  const results: FloodResults = {
    requests,
    sockets: socketCount,
    sessions: sessionIds.length,
    results: 0,
    refusals: {},
    otherErrors: {},
    hangs: 0,
    broken: 0,
    totalMs: 0,
    firstAnswerMs: undefined,
    lastAnswerMs: undefined,
  };
  const connected = await Promise.all(
    Array.from(
      { length: socketCount },
      () =>
        new Promise<net.Socket>((resolve, reject) => {
          const socket = net.connect({ host: '127.0.0.1', port: options.port, noDelay: true });
          socket.once('connect', () => resolve(socket));
          socket.once('error', reject);
        }),
    ),
  );
  let issuedAt = 0;
  let settled = 0;
  let onAllSettled: () => void = () => undefined;
  const allSettled = new Promise<void>((resolve) => {
    onAllSettled = resolve;
  });
  const settle = () => {
    settled++;
    if (settled === requests) onAllSettled();
  };
  const answered = () => {
    const atMs = performance.now() - issuedAt;
    results.firstAnswerMs ??= Math.round(atMs);
    results.lastAnswerMs = Math.round(atMs);
  };

  const perSocket: number[][] = connected.map(() => []);
  for (let id = 1; id <= requests; id++) perSocket[id % socketCount]?.push(id);
  connected.forEach((socket, index) => {
    const ids = perSocket[index] as number[];
    let next = 0;
    const reader = new ResponseReader((head, body) => {
      const id = ids[next++];
      if (id === undefined) return;
      answered();
      try {
        const outcome = toOutcome(parseRpcBody(body, head.contentType, id), head.status);
        if (outcome.kind === 'result') results.results++;
        else {
          const reason = (outcome.data as { reason?: unknown } | undefined)?.reason;
          if (REFUSAL_CODES.has(outcome.code) && typeof reason === 'string') {
            results.refusals[reason] = (results.refusals[reason] ?? 0) + 1;
          } else {
            const key = `${outcome.code}: ${outcome.message.slice(0, 120)}`;
            results.otherErrors[key] = (results.otherErrors[key] ?? 0) + 1;
          }
        }
      } catch {
        results.broken++;
      }
      settle();
    });
    socket.on('data', (data: Buffer) => reader.push(data));
    const lose = () => {
      // Whatever this socket still owed is lost with it.
      while (next < ids.length) {
        next++;
        results.broken++;
        settle();
      }
    };
    socket.on('close', lose);
    socket.on('error', () => undefined);
  });

  const authorization = options.authorization ? `authorization: ${options.authorization}\r\n` : '';
  issuedAt = performance.now();
  connected.forEach((socket, index) => {
    const sessionId = sessionIds[index % sessionIds.length] as string;
    const wire = (perSocket[index] as number[]).map((id) => {
      const body = JSON.stringify({
        jsonrpc: '2.0',
        id,
        method: 'tools/call',
        params: { name: options.toolName, arguments: { message: `flood ${id}` } },
      });
      return (
        `POST ${options.path} HTTP/1.1\r\nhost: 127.0.0.1:${options.port}\r\n` +
        'content-type: application/json\r\naccept: application/json, text/event-stream\r\n' +
        authorization +
        `mcp-session-id: ${sessionId}\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`
      );
    });
    socket.write(wire.join(''));
  });

  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(true), options.timeoutMs);
  });
  const isTimedOut = await Promise.race([allSettled.then(() => false), timedOut]);
  clearTimeout(timer);
  results.totalMs = Math.round(performance.now() - issuedAt);
  if (isTimedOut) results.hangs = requests - settled;
  for (const socket of connected) {
    socket.removeAllListeners('close');
    socket.destroy();
  }
  return results;
}
