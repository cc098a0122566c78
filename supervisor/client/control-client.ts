import { SupervisorError } from '../shared/errors.ts';
import type { HomePaths } from '../shared/home.ts';
import { connectHost } from '../shared/hosts.ts';
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

  async request<T>(
    method: string,
    path: string,
    options: { body?: string; signal?: AbortSignal } = {},
  ): Promise<T> {
    const response = await this.fetch(method, path, options);
    const text = await response.text();
    let body: unknown;
    try {
      body = text ? JSON.parse(text) : {};
    } catch {
      throw new SupervisorError(
        'CONTROL_API',
        `the supervisor answered ${response.status} with a body that is not JSON`,
      );
    }
    if (!response.ok) {
      const error = (body as { error?: { code?: string; message?: string } }).error;
      const code = (error?.code ?? 'CONTROL_API') as ConstructorParameters<typeof SupervisorError>[0];
      throw new SupervisorError(code, error?.message ?? `the supervisor answered ${response.status}`);
    }
    return body as T;
  }

  /** A raw authenticated request (for SSE streams). */
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

/** Reads an SSE response, calling `onEvent` for each complete event until the stream ends. */
export async function readEventStream(
  response: Response,
  onEvent: (event: string, data: unknown) => void,
): Promise<void> {
  if (!response.body) return;
  const decoder = new TextDecoder();
  let buffer = '';
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
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
