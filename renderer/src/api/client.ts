import { SseParser } from '../lib/sse-parse.ts';
import type { Failure } from '../lib/words.ts';
import { describeFailure } from '../lib/words.ts';
import type { Connection } from './connection.ts';

/** A failed control API call, with what went wrong in a form the page can word and act on. */
export class ApiError extends Error {
  readonly failure: Failure;
  constructor(failure: Failure) {
    super(describeFailure(failure));
    this.name = 'ApiError';
    this.failure = failure;
  }
}

/** Told after every call whether the supervisor answered (and how it failed when not). */
export type OutcomeListener = (outcome: { ok: true } | { ok: false; failure: Failure }) => void;

export interface RequestOptions {
  body?: string | object;
  signal?: AbortSignal;
  timeoutMs?: number;
  /** Statuses that carry an answer the caller reads (e.g. 422 from a config check). */
  acceptStatuses?: number[];
}

/**
 * The control API as the console calls it: bearer token on every request, JSON in and out, every
 * failure classified (unreachable, token rejected, refused, an HTTP error with the supervisor's
 * own message) so the page says what happened instead of "Failed to fetch".
 */
export class Api {
  readonly connection: Connection;
  readonly #onOutcome: OutcomeListener;

  constructor(connection: Connection, onOutcome: OutcomeListener) {
    this.connection = connection;
    this.#onOutcome = onOutcome;
  }

  async json<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const response = await this.#fetch(method, path, options);
    const text = await response.text();
    let body: unknown;
    try {
      body = text === '' ? {} : JSON.parse(text);
    } catch {
      return this.#fail({ kind: 'bad-response', status: response.status });
    }
    if (!response.ok && !options.acceptStatuses?.includes(response.status)) {
      const error = (body as { error?: { code?: string; message?: string } }).error;
      if (response.status === 401) return this.#fail({ kind: 'unauthorized' });
      if (response.status === 403)
        return this.#fail({ kind: 'forbidden', message: error?.message ?? 'forbidden' });
      this.#onOutcome({ ok: true });
      throw new ApiError({
        kind: 'http',
        status: response.status,
        code: error?.code ?? null,
        message: error?.message ?? '',
      });
    }
    this.#onOutcome({ ok: true });
    return body as T;
  }

  get<T>(path: string, options: Omit<RequestOptions, 'body'> = {}): Promise<T> {
    return this.json<T>('GET', path, options);
  }

  post<T>(path: string, body?: string | object, options: Omit<RequestOptions, 'body'> = {}): Promise<T> {
    return this.json<T>('POST', path, { ...options, ...(body === undefined ? {} : { body }) });
  }

  /**
   * Reads an SSE stream until it ends or `signal` aborts, calling `onEvent` for each event (its
   * data parsed as JSON). Resolves when the stream ends; rejects with an ApiError when it cannot
   * be opened. `onOpen` runs once the supervisor answered.
   */
  async stream(
    path: string,
    onEvent: (event: string, data: unknown) => void,
    options: { signal: AbortSignal; onOpen?: () => void },
  ): Promise<void> {
    const response = await this.#fetch('GET', path, { signal: options.signal, timeoutMs: 0 });
    if (response.status === 401) return this.#fail({ kind: 'unauthorized' });
    if (!response.ok || !response.body) {
      this.#onOutcome({ ok: true });
      throw new ApiError({
        kind: 'http',
        status: response.status,
        code: null,
        message: `stream ${path} answered ${response.status}`,
      });
    }
    this.#onOutcome({ ok: true });
    options.onOpen?.();
    const parser = new SseParser();
    const decoder = new TextDecoder();
    const reader = response.body.getReader();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        for (const event of parser.feed(decoder.decode(value, { stream: true }))) {
          try {
            onEvent(event.event, JSON.parse(event.data));
          } catch (error) {
            console.error('console: bad event on', path, error);
          }
        }
      }
    } catch (error) {
      if (options.signal.aborted) return;
      this.#onOutcome({ ok: false, failure: this.#unreachable(error) });
      return;
    } finally {
      reader.releaseLock();
    }
  }

  async #fetch(method: string, path: string, options: RequestOptions): Promise<Response> {
    const timeoutMs = options.timeoutMs ?? 20_000;
    const signals = [options.signal, timeoutMs > 0 ? AbortSignal.timeout(timeoutMs) : undefined].filter(
      (s): s is AbortSignal => s !== undefined,
    );
    const body =
      options.body === undefined
        ? undefined
        : typeof options.body === 'string'
          ? options.body
          : JSON.stringify(options.body);
    try {
      return await fetch(`${this.connection.baseUrl}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${this.connection.token}`,
          ...(body !== undefined
            ? { 'content-type': typeof options.body === 'string' ? 'text/plain' : 'application/json' }
            : {}),
        },
        ...(body !== undefined ? { body } : {}),
        ...(signals.length > 0 ? { signal: AbortSignal.any(signals) } : {}),
        cache: 'no-store',
      });
    } catch (error) {
      if (options.signal?.aborted) throw error;
      return this.#fail(this.#unreachable(error));
    }
  }

  #unreachable(error: unknown): Failure {
    const detail = (error as Error)?.name === 'TimeoutError' ? 'no answer in time' : 'no connection';
    return { kind: 'unreachable', baseUrl: this.connection.baseUrl, detail };
  }

  #fail(failure: Failure): never {
    this.#onOutcome({ ok: false, failure });
    throw new ApiError(failure);
  }
}
