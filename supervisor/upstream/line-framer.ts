import { type JSONRPCMessage, JSONRPCMessageSchema } from '@modelcontextprotocol/sdk/types.js';
import { errorMessage, SupervisorError } from '../shared/errors.ts';

const NEWLINE = 0x0a;
const CARRIAGE_RETURN = 0x0d;

/** Lines longer than this are dropped with an error (a runaway peer must not exhaust memory). */
export const DEFAULT_MAX_LINE_BYTES = 64 * 1024 * 1024;

export interface LineFramerOptions {
  /** Called with each complete line, without its `\n` (or `\r\n`); empty lines are skipped. */
  onLine: (line: string) => void;
  /**
   * Called with an {@link OversizedLineError} when a line longer than `maxLineBytes` ends; the
   * line is dropped and framing continues.
   */
  onError: (error: Error) => void;
  maxLineBytes?: number;
}

/** Bytes kept of each end of a dropped line: enough for a JSON-RPC envelope's `id`. */
const KEPT_END_BYTES = 256;

/**
 * A line longer than the limit was dropped. It keeps the line's first and last bytes, so the
 * reader can tell which request the dropped message answered ({@link droppedRequestId}).
 */
export class OversizedLineError extends Error {
  /** Length of the whole dropped line. */
  readonly bytes: number;
  readonly maxLineBytes: number;
  /** Its first bytes (at most 256). */
  readonly head: string;
  /** Its last bytes (at most 256, without a trailing `\r`). */
  readonly tail: string;

  constructor(options: { bytes: number; maxLineBytes: number; head: string; tail: string }) {
    super(`dropped a message of ${options.bytes} bytes, over the limit of ${options.maxLineBytes} bytes`);
    this.name = 'OversizedLineError';
    this.bytes = options.bytes;
    this.maxLineBytes = options.maxLineBytes;
    this.head = options.head;
    this.tail = options.tail;
  }
}

/**
 * Splits a byte stream into UTF-8 lines in time linear in its length: the bytes of an unfinished
 * line are kept as a list of chunks and joined once, when its newline arrives, and each byte is
 * searched for a newline once. (The SDK's `ReadBuffer` concatenates on every chunk, which is
 * quadratic for multi-MiB messages.) A line over the limit is not buffered: only its length and
 * its two ends are kept until its newline, when it is reported.
 */
export class LineFramer {
  readonly #onLine: (line: string) => void;
  readonly #onError: (error: Error) => void;
  readonly #maxLineBytes: number;
  #pending: Buffer[] = [];
  #pendingBytes = 0;
  /** The current line has exceeded the limit; its bytes are dropped up to its newline. */
  #isDiscarding = false;
  #discardedBytes = 0;
  #discardedHead: Buffer = Buffer.alloc(0);
  #discardedTail: Buffer = Buffer.alloc(0);

  constructor(options: LineFramerOptions) {
    const maxLineBytes = options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
    if (!Number.isSafeInteger(maxLineBytes) || maxLineBytes <= 0) {
      throw new RangeError(`maxLineBytes must be a positive integer, got ${maxLineBytes}`);
    }
    this.#onLine = options.onLine;
    this.#onError = options.onError;
    this.#maxLineBytes = maxLineBytes;
  }

  /** Bytes of the unfinished line held so far. */
  get bufferedBytes(): number {
    return this.#pendingBytes;
  }

  push(chunk: Buffer): void {
    let start = 0;
    for (let newline = chunk.indexOf(NEWLINE); newline !== -1; newline = chunk.indexOf(NEWLINE, start)) {
      const tail = chunk.subarray(start, newline);
      start = newline + 1;
      if (this.#isDiscarding) {
        this.#discard(tail);
        this.#reportDropped();
        continue;
      }
      if (this.#pendingBytes + tail.length > this.#maxLineBytes) {
        this.#startDiscarding(tail);
        this.#reportDropped();
        continue;
      }
      const line = this.#pending.length === 0 ? tail : Buffer.concat([...this.#pending, tail]);
      this.#pending = [];
      this.#pendingBytes = 0;
      this.#emit(line);
    }
    if (start >= chunk.length) return;
    const rest = chunk.subarray(start);
    if (this.#isDiscarding) {
      this.#discard(rest);
      return;
    }
    if (this.#pendingBytes + rest.length > this.#maxLineBytes) {
      this.#startDiscarding(rest);
      return;
    }
    this.#pending.push(rest);
    this.#pendingBytes += rest.length;
  }

  /** Drops an unfinished line (when the stream it came from has closed). */
  reset(): void {
    this.#pending = [];
    this.#pendingBytes = 0;
    this.#isDiscarding = false;
  }

  #emit(line: Buffer): void {
    const end = line.length > 0 && line[line.length - 1] === CARRIAGE_RETURN ? line.length - 1 : line.length;
    if (end === 0) return;
    this.#onLine(line.toString('utf8', 0, end));
  }

  /** The line held so far plus `piece` is over the limit: keep its ends, drop the rest. */
  #startDiscarding(piece: Buffer): void {
    const held = Buffer.concat([...this.#pending, piece.subarray(0, KEPT_END_BYTES)]);
    this.#discardedHead = Buffer.from(held.subarray(0, KEPT_END_BYTES));
    this.#discardedBytes = this.#pendingBytes;
    this.#discardedTail = Buffer.alloc(0);
    for (const part of this.#pending) this.#keepTail(part);
    this.#pending = [];
    this.#pendingBytes = 0;
    this.#isDiscarding = true;
    this.#discard(piece);
  }

  #discard(piece: Buffer): void {
    this.#discardedBytes += piece.length;
    this.#keepTail(piece);
  }

  #keepTail(piece: Buffer): void {
    if (piece.length >= KEPT_END_BYTES) {
      this.#discardedTail = Buffer.from(piece.subarray(piece.length - KEPT_END_BYTES));
    } else if (piece.length > 0) {
      const joined = Buffer.concat([this.#discardedTail, piece]);
      this.#discardedTail = joined.subarray(Math.max(0, joined.length - KEPT_END_BYTES));
    }
  }

  #reportDropped(): void {
    let tail = this.#discardedTail;
    let bytes = this.#discardedBytes;
    if (tail.length > 0 && tail[tail.length - 1] === CARRIAGE_RETURN) {
      tail = tail.subarray(0, tail.length - 1);
      bytes--;
    }
    const error = new OversizedLineError({
      bytes,
      maxLineBytes: this.#maxLineBytes,
      head: this.#discardedHead.toString('utf8'),
      tail: tail.toString('utf8'),
    });
    this.#isDiscarding = false;
    this.#discardedHead = Buffer.alloc(0);
    this.#discardedTail = Buffer.alloc(0);
    this.#discardedBytes = 0;
    this.#onError(error);
  }
}

/** A JSON string or number, as a JSON-RPC id is written. */
const JSON_ID = String.raw`("(?:[^"\\]|\\.)*"|-?\d+)`;
/** The envelope's `id` as its first member, or after `"jsonrpc":"2.0"`. */
const ID_AT_START = new RegExp(String.raw`^\{\s*(?:"jsonrpc"\s*:\s*"2\.0"\s*,\s*)?"id"\s*:\s*` + JSON_ID);
/** The envelope's `id` as its last member (the MCP SDK writes `{ result, jsonrpc, id }`). */
const ID_AT_END = new RegExp(String.raw`,\s*"id"\s*:\s*` + JSON_ID + String.raw`\s*\}\s*$`);

/**
 * The id of the response a dropped line was, read from its ends (the envelope's first or last
 * member); undefined when neither end shows one (a notification, a request, or an id in the
 * middle). Only the envelope's own members can match: a nested object's `id` is followed by two
 * closing braces, not one.
 */
export function droppedRequestId(error: OversizedLineError): string | number | undefined {
  const match = ID_AT_START.exec(error.head) ?? ID_AT_END.exec(error.tail);
  if (!match?.[1]) return undefined;
  try {
    const id: unknown = JSON.parse(match[1]);
    return typeof id === 'string' || typeof id === 'number' ? id : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Parses one line as a JSON-RPC message. Throws a `SyntaxError` for invalid JSON and an `Error`
 * naming the problem for JSON that is not a JSON-RPC 2.0 message.
 *
 * Only the envelope is checked here; the SDK's `Protocol` checks each message against the schema
 * of its kind again, and re-running the full zod schema on multi-MiB results here would double
 * that cost for nothing.
 */
export function decodeJsonRpcLine(line: string): JSONRPCMessage {
  const value: unknown = JSON.parse(line);
  if (!isJsonRpcEnvelope(value)) {
    // Let the SDK's schema say precisely what is wrong.
    JSONRPCMessageSchema.parse(value);
    throw new Error('not a JSON-RPC 2.0 message');
  }
  return value;
}

/**
 * The wire form of a message: one line of JSON.
 *
 * @throws SupervisorError('BAD_REQUEST') when the message cannot be written as JSON — a value
 * nested deeper than the stack allows (JSON.parse takes any depth, JSON.stringify does not:
 * ~5 000 levels), which only a caller can have sent. It is the caller's error: nothing was sent.
 */
export function encodeJsonRpcMessage(message: JSONRPCMessage): string {
  try {
    return `${JSON.stringify(message)}\n`;
  } catch (error) {
    throw unencodableError(error);
  }
}

/** The caller's error for a message JSON.stringify refused. */
export function unencodableError(error: unknown): SupervisorError {
  const why =
    error instanceof RangeError
      ? 'it is nested too deeply; send flatter arguments'
      : `${errorMessage(error)}; send plain JSON values`;
  return new SupervisorError('BAD_REQUEST', `the request cannot be encoded as JSON: ${why}`, {
    cause: error,
  });
}

function isJsonRpcEnvelope(value: unknown): value is JSONRPCMessage {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const message = value as Record<string, unknown>;
  if (message.jsonrpc !== '2.0') return false;
  const hasId = typeof message.id === 'string' || typeof message.id === 'number';
  if (typeof message.method === 'string') return message.id === undefined || hasId;
  if ('result' in message) return hasId && typeof message.result === 'object' && message.result !== null;
  if ('error' in message) {
    const error = message.error as Record<string, unknown> | null;
    return (
      (hasId || message.id === undefined) &&
      typeof error === 'object' &&
      error !== null &&
      typeof error.code === 'number' &&
      typeof error.message === 'string'
    );
  }
  return false;
}

export interface JsonRpcLineDecoderOptions {
  onMessage: (message: JSONRPCMessage) => void;
  /** A malformed or oversized line; the decoder carries on with the next line. */
  onError: (error: Error) => void;
  maxLineBytes?: number;
}

/** Bytes in, JSON-RPC messages out: a {@link LineFramer} and {@link decodeJsonRpcLine}. */
export class JsonRpcLineDecoder {
  readonly #framer: LineFramer;

  constructor(options: JsonRpcLineDecoderOptions) {
    const { onMessage, onError } = options;
    this.#framer = new LineFramer({
      maxLineBytes: options.maxLineBytes,
      onError,
      onLine: (line) => {
        let message: JSONRPCMessage;
        try {
          message = decodeJsonRpcLine(line);
        } catch (error) {
          onError(
            new Error(`ignored a malformed message (${(error as Error).message}): ${preview(line)}`, {
              cause: error,
            }),
          );
          return;
        }
        onMessage(message);
      },
    });
  }

  get bufferedBytes(): number {
    return this.#framer.bufferedBytes;
  }

  push(chunk: Buffer): void {
    this.#framer.push(chunk);
  }

  reset(): void {
    this.#framer.reset();
  }
}

function preview(line: string): string {
  return line.length <= 200 ? line : `${line.slice(0, 200)}… (${line.length} characters)`;
}
