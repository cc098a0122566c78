import type { IncomingMessage } from 'node:http';
import { SupervisorError } from '../shared/errors.ts';
import type { HomePaths } from '../shared/home.ts';
import { connectHost } from '../shared/hosts.ts';
import { http } from '../shared/node-http.ts';
import { sleep } from '../shared/timers.ts';
import { isProcessAlive, readState, type SupervisorState } from './state-file.ts';
import { readToken } from './token.ts';

/**
 * How long a request waits for a supervisor that has claimed its home but whose control API does
 * not listen yet (it reads its config and opens its database first: well under a second).
 */
const LISTEN_WAIT_MS = 10_000;

/**
 * The control API as the CLI (and the desktop app) sees it: finds the running supervisor of a
 * home through its state file and authenticates with the home's token.
 */
export class ControlClient {
  readonly #paths: HomePaths;
  #target: { state: SupervisorState; token: string } | undefined;

  constructor(paths: HomePaths) {
    this.#paths = paths;
  }

  async baseUrl(): Promise<string> {
    const { state } = await this.#resolve();
    // A supervisor listening on every interface (0.0.0.0, ::) is reached on loopback.
    const reachable = connectHost(state.host);
    const host = reachable.includes(':') ? `[${reachable}]` : reachable;
    return `http://${host}:${state.port}`;
  }

  /**
   * One authenticated JSON request; resolves with the answer's body, rejects with the
   * `SupervisorError` the supervisor answered (its code and message), `NOT_RUNNING` when nothing
   * answers, and the signal's reason when it aborts (default: after 120 s). Over `node:http`, not
   * `fetch`: a first `fetch` sets up undici's fetch and web streams, 25-35 ms of CPU and ~25 ms of
   * wall time more for a fresh CLI process (measured: one request, 3 runs each), paid by every
   * `stop` and `start -d`.
   */
  async request<T>(
    method: string,
    path: string,
    options: { body?: string; signal?: AbortSignal } = {},
  ): Promise<T> {
    const response = await this.#send(method, path, options);
    const chunks: Buffer[] = [];
    try {
      for await (const chunk of response) chunks.push(chunk as Buffer);
    } catch (error) {
      throw this.#failure(error, options.signal);
    }
    const status = response.statusCode ?? 0;
    const text = Buffer.concat(chunks).toString('utf8');
    let body: unknown;
    try {
      body = text ? JSON.parse(text) : {};
    } catch {
      throw new SupervisorError(
        'CONTROL_API',
        `the supervisor answered ${status} with a body that is not JSON`,
      );
    }
    if (status < 200 || status > 299) {
      const error = (body as { error?: { code?: string; message?: string } }).error;
      const code = (error?.code ?? 'CONTROL_API') as ConstructorParameters<typeof SupervisorError>[0];
      throw new SupervisorError(code, error?.message ?? `the supervisor answered ${status}`);
    }
    return body as T;
  }

  /**
   * An authenticated GET of an event stream (SSE) over `node:http`, for {@link readEventStream};
   * it ends when the supervisor closes it or `signal` aborts. Rejects like {@link request} when
   * the supervisor cannot be reached or answers an error status.
   */
  async openStream(path: string, options: { signal: AbortSignal }): Promise<AsyncIterable<Uint8Array>> {
    const response = await this.#send('GET', path, options);
    const status = response.statusCode ?? 0;
    if (status < 200 || status > 299) {
      response.resume();
      throw new SupervisorError('CONTROL_API', `the supervisor answered ${status} to GET ${path}`);
    }
    return response;
  }

  /** A raw authenticated request through `fetch` (the desktop app's SSE streams). */
  async fetch(
    method: string,
    path: string,
    options: { body?: string; signal?: AbortSignal } = {},
  ): Promise<Response> {
    const { token } = await this.#resolve();
    const url = `${await this.baseUrl()}${path}`;
    try {
      return await fetch(url, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          ...(options.body ? { 'content-type': 'application/json' } : {}),
        },
        body: options.body,
        signal: options.signal ?? AbortSignal.timeout(120_000),
      });
    } catch (error) {
      if ((error as Error).name === 'AbortError' || (error as Error).name === 'TimeoutError') throw error;
      throw this.#notRunning(error);
    }
  }

  #send(
    method: string,
    path: string,
    options: { body?: string; signal?: AbortSignal },
  ): Promise<IncomingMessage> {
    const signal = options.signal ?? AbortSignal.timeout(120_000);
    return this.#resolve().then(
      ({ state, token }) =>
        new Promise<IncomingMessage>((resolve, reject) => {
          signal.throwIfAborted();
          const headers: Record<string, string> = { authorization: `Bearer ${token}` };
          if (options.body) {
            headers['content-type'] = 'application/json';
            headers['content-length'] = String(Buffer.byteLength(options.body));
          }
          const request = http.request({
            host: connectHost(state.host),
            port: state.port,
            method,
            path,
            headers,
            signal,
            // One request per command: a kept-alive socket would only hold the CLI open.
            agent: false,
          });
          request.once('response', resolve);
          request.once('error', (error) => reject(this.#failure(error, signal)));
          request.end(options.body);
        }),
    );
  }

  /** What a failed request rejects with: the signal's reason when it aborted, else NOT_RUNNING. */
  #failure(error: unknown, signal: AbortSignal | undefined): unknown {
    if (signal?.aborted) return signal.reason;
    if (error instanceof SupervisorError) return error;
    return this.#notRunning(error);
  }

  async #resolve(): Promise<{ state: SupervisorState; token: string }> {
    if (this.#target) return this.#target;
    let state = await readState(this.#paths.stateFile);
    const deadline = Date.now() + LISTEN_WAIT_MS;
    while (state && state.port === 0 && isProcessAlive(state.pid) && Date.now() < deadline) {
      await sleep(50);
      state = await readState(this.#paths.stateFile);
    }
    if (state && state.port === 0 && isProcessAlive(state.pid)) {
      throw new SupervisorError(
        'CONTROL_API',
        `the supervisor (pid ${state.pid}) for home ${this.#paths.root} is starting and its control API did not listen within ${LISTEN_WAIT_MS / 1000} s; see its log`,
      );
    }
    const token = await readToken(this.#paths.tokenFile);
    if (!state || state.port === 0 || !token) throw this.#notRunning();
    this.#target = { state, token };
    return this.#target;
  }

  #notRunning(cause?: unknown): SupervisorError {
    return new SupervisorError(
      'NOT_RUNNING',
      `no supervisor is running for home ${this.#paths.root}; start one with: mcp-supervisor start --home ${this.#paths.root}`,
      { cause },
    );
  }
}

/**
 * Reads an SSE stream (a `fetch` response, or {@link ControlClient.openStream}'s), calling `onEvent`
 * for each complete event until the stream ends.
 */
export async function readEventStream(
  response: Response | AsyncIterable<Uint8Array>,
  onEvent: (event: string, data: unknown) => void,
): Promise<void> {
  // Not `instanceof Response`: touching that global sets up fetch, which the CLI avoids.
  const body =
    Symbol.asyncIterator in response
      ? response
      : (response.body as unknown as AsyncIterable<Uint8Array> | null);
  if (!body) return;
  const decoder = new TextDecoder();
  let buffer = '';
  for await (const chunk of body) {
    buffer += decoder.decode(chunk, { stream: true });
    let boundary = buffer.indexOf('\n\n');
    while (boundary >= 0) {
      const block = buffer.slice(0, boundary);
      buffer = buffer.slice(boundary + 2);
      let event = 'message';
      const data: string[] = [];
      for (const line of block.split('\n')) {
        if (line.startsWith('event: ')) event = line.slice(7);
        else if (line.startsWith('data: ')) data.push(line.slice(6));
      }
      if (data.length > 0) onEvent(event, JSON.parse(data.join('\n')));
      boundary = buffer.indexOf('\n\n');
    }
  }
}
