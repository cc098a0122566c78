import { execFileSync } from 'node:child_process';
import { constants, existsSync, openSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { isSupervisorError } from '../../../supervisor/shared/errors.ts';
import { FifoClientTransport } from '../../../supervisor/upstream/fifo-transport.ts';
import { RequestChannel } from '../../../supervisor/upstream/request-channel.ts';

let dir: string;
let stdinPath: string;
let stdoutPath: string;
const peers: Peer[] = [];
const transports: FifoClientTransport[] = [];

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'mcps-ft-'));
  stdinPath = path.join(dir, 's.in');
  stdoutPath = path.join(dir, 's.out');
  execFileSync('mkfifo', ['-m', '600', stdinPath, stdoutPath]);
});
afterEach(async () => {
  for (const transport of transports.splice(0)) await transport.close();
  for (const peer of peers.splice(0)) {
    peer.input.destroy();
    peer.output.destroy();
  }
  await rm(dir, { recursive: true, force: true });
});

/** The server's side of the pair: what it reads (`input`) and what it writes (`output`). */
interface Peer {
  input: net.Socket;
  output: net.Socket;
}

/**
 * Opens the server's ends as the launcher's shell does: stdout first (it waits for the
 * transport's reader), then stdin. Non-blocking opens, retried on ENXIO, so the test never blocks.
 */
async function openPeer(): Promise<Peer> {
  let outputFd: number | undefined;
  while (outputFd === undefined) {
    try {
      outputFd = openSync(stdoutPath, constants.O_WRONLY | constants.O_NONBLOCK);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENXIO') throw error;
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
  }
  const inputFd = openSync(stdinPath, constants.O_RDONLY | constants.O_NONBLOCK);
  const peer = {
    input: new net.Socket({ fd: inputFd, readable: true, writable: false }),
    output: new net.Socket({ fd: outputFd, readable: false, writable: true }),
  };
  peer.input.pause();
  peer.input.on('error', () => {});
  peer.output.on('error', () => {});
  peers.push(peer);
  return peer;
}

function transport(
  options: Partial<ConstructorParameters<typeof FifoClientTransport>[0]> = {},
): FifoClientTransport {
  const created = new FifoClientTransport({ stdinPath, stdoutPath, connectTimeoutMs: 2_000, ...options });
  transports.push(created);
  return created;
}

function readLines(socket: net.Socket, count: number): Promise<string[]> {
  return new Promise((resolve) => {
    let text = '';
    socket.setEncoding('utf8').on('data', (chunk: string) => {
      text += chunk;
      // Only finished lines: the text after the last newline is still arriving.
      const lines = text.split('\n').slice(0, -1);
      if (lines.length >= count) resolve(lines);
    });
    socket.resume();
  });
}

// The real timers, for `within` in tests that fake them.
const realSetTimeout = setTimeout;
const realClearTimeout = clearTimeout;

/** Fails after `ms` instead of letting a lost message hang the test until vitest's timeout. */
function within<T>(promise: Promise<T>, ms = 2_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = realSetTimeout(() => reject(new Error(`nothing after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => realClearTimeout(timer));
}

/** Everything the peer receives until the client ends the connection. */
function readAll(socket: net.Socket): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    socket.setEncoding('utf8').on('data', (chunk: string) => {
      text += chunk;
    });
    socket.once('end', () => resolve(text));
    socket.resume();
  });
}

function catchSync(run: () => void): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  return undefined;
}

/** A started client and the server side of its pair. */
async function connectedPair(): Promise<{ client: FifoClientTransport; peer: Peer }> {
  const client = transport();
  const [peer] = await Promise.all([openPeer(), client.start()]);
  return { client, peer };
}

describe('FifoClientTransport', () => {
  it('fails to start with SERVER_UNAVAILABLE when there is no FIFO', async () => {
    const error = await transport({ stdoutPath: path.join(dir, 'none.out') })
      .start()
      .catch((e: unknown) => e);
    expect(isSupervisorError(error, 'SERVER_UNAVAILABLE')).toBe(true);
    expect((error as Error).message).toContain('not running');
  });

  it('fails to start with TIMEOUT when the server never opens its stdin, and leaves the FIFOs', async () => {
    const startedAt = Date.now();
    const error = await transport({ connectTimeoutMs: 300 })
      .start()
      .catch((e: unknown) => e);
    expect(isSupervisorError(error, 'TIMEOUT')).toBe(true);
    expect((error as Error).message).toContain(stdinPath);
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(290);
    expect(existsSync(stdinPath) && existsSync(stdoutPath)).toBe(true);
  });

  it('stops waiting for the server when its signal aborts', async () => {
    const controller = new AbortController();
    const starting = transport({ connectTimeoutMs: 10_000, signal: controller.signal }).start();
    setTimeout(() => controller.abort(new Error('stopped')), 50);
    await expect(within(starting)).rejects.toThrow('stopped');
  });

  it('unlinks both FIFOs once the server holds its ends, so no one else can join the pair', async () => {
    const { client } = await connectedPair();
    expect(existsSync(stdinPath)).toBe(false);
    expect(existsSync(stdoutPath)).toBe(false);
    const second = transport();
    await expect(second.start()).rejects.toMatchObject({ code: 'SERVER_UNAVAILABLE' });
    expect(() => client.write({ jsonrpc: '2.0', method: 'still/here' })).not.toThrow();
  });

  it('refuses a second start', async () => {
    const { client } = await connectedPair();
    await expect(client.start()).rejects.toThrow(/already started/);
  });

  it('exchanges newline-delimited messages and reports a malformed line without closing', async () => {
    const client = transport();
    const received: JSONRPCMessage[] = [];
    const errors: Error[] = [];
    client.onmessage = (message) => received.push(message);
    client.onerror = (error) => errors.push(error);
    const [peer] = await Promise.all([openPeer(), client.start()]);

    const lines = readLines(peer.input, 1);
    await client.send({ jsonrpc: '2.0', id: 1, method: 'ping' });
    expect(JSON.parse((await lines)[0]!)).toEqual({ jsonrpc: '2.0', id: 1, method: 'ping' });

    peer.output.write('garbage\n{"jsonrpc":"2.0","id":1,');
    peer.output.write('"result":{}}\n');
    await expect.poll(() => received.length).toBe(1);
    expect(received[0]).toEqual({ jsonrpc: '2.0', id: 1, result: {} });
    expect(errors).toHaveLength(1);
  });

  it('calls onclose exactly once, when closed locally', async () => {
    const { client: local, peer } = await connectedPair();
    let localCloses = 0;
    local.onclose = () => localCloses++;
    peer.input.resume();
    await local.close();
    await local.close();
    expect(localCloses).toBe(1);
  });

  it('calls onclose exactly once when the server closes its stdout (it exited)', async () => {
    const { client: remote, peer } = await connectedPair();
    let remoteCloses = 0;
    remote.onclose = () => remoteCloses++;
    peer.output.end();
    await expect.poll(() => remoteCloses).toBe(1);
    await remote.close();
    expect(remoteCloses).toBe(1);
    await expect(remote.send({ jsonrpc: '2.0', method: 'x' })).rejects.toMatchObject({
      code: 'SERVER_UNAVAILABLE',
    });
  });

  it('resolves a large send once the peer has read it', async () => {
    const { client, peer } = await connectedPair();
    const text = 'z'.repeat(4 * 1024 * 1024);
    let isSent = false;
    const sent = client.send({ jsonrpc: '2.0', method: 'big', params: { text } }).then(() => {
      isSent = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 100));
    // The peer reads nothing, so the pipe fills and the send waits.
    expect(isSent).toBe(false);
    const lines = readLines(peer.input, 1);
    await sent;
    expect(JSON.parse((await lines)[0]!).params.text).toHaveLength(text.length);
  });

  it('rejects bad options naming them', () => {
    expect(() => new FifoClientTransport({ stdinPath: '', stdoutPath, connectTimeoutMs: 1 })).toThrow(
      /stdinPath/,
    );
    expect(() => new FifoClientTransport({ stdinPath, stdoutPath: '', connectTimeoutMs: 1 })).toThrow(
      /stdoutPath/,
    );
    expect(() => new FifoClientTransport({ stdinPath, stdoutPath, connectTimeoutMs: 0 })).toThrow(
      /connectTimeoutMs/,
    );
  });

  it('write() sends newline-delimited JSON; many writes in one tick arrive intact and in order', async () => {
    const { client, peer } = await connectedPair();
    const messages: JSONRPCMessage[] = [];
    for (let n = 0; n < 50; n++) {
      messages.push({ jsonrpc: '2.0', id: `sv1-${n}`, method: 'tools/call', params: { n } });
    }
    // Text a naive framing would break: newlines, non-ASCII, and one line bigger than a pipe buffer.
    messages.splice(10, 0, {
      jsonrpc: '2.0',
      method: 'notifications/message',
      params: { text: 'two\nlines\r\n and ünïcödé 🚀' },
    });
    messages.splice(30, 0, {
      jsonrpc: '2.0',
      id: 'big',
      method: 'tools/call',
      params: { text: 'y'.repeat(512 * 1024) },
    });
    const lines = readLines(peer.input, messages.length);
    for (const message of messages) client.write(message);
    const received = await within(lines);
    expect(received).toHaveLength(messages.length);
    expect(received.map((line) => JSON.parse(line))).toEqual(messages);
  });

  it('write() flushes on its own, turn after turn, without a later write to push it out', async () => {
    const { client, peer } = await connectedPair();
    let text = '';
    peer.input.setEncoding('utf8').on('data', (chunk: string) => {
      text += chunk;
    });
    peer.input.resume();
    const lineCount = () => text.split('\n').length - 1;
    for (let n = 0; n < 3; n++) {
      client.write({ jsonrpc: '2.0', id: n, method: 'ping' });
      await expect.poll(lineCount, { timeout: 2_000 }).toBe(n + 1);
      // A timer's turn, then an I/O turn: each write stands alone.
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    expect(
      text
        .split('\n')
        .slice(0, -1)
        .map((line) => JSON.parse(line)),
    ).toEqual([
      { jsonrpc: '2.0', id: 0, method: 'ping' },
      { jsonrpc: '2.0', id: 1, method: 'ping' },
      { jsonrpc: '2.0', id: 2, method: 'ping' },
    ]);
  });

  it('write() corks the socket once per turn and uncorks it after, so a turn’s messages leave together', async () => {
    const { client, peer } = await connectedPair();
    const cork = vi.spyOn(net.Socket.prototype, 'cork');
    const uncork = vi.spyOn(net.Socket.prototype, 'uncork');
    try {
      const lines = readLines(peer.input, 5);
      for (let n = 0; n < 3; n++) client.write({ jsonrpc: '2.0', id: n, method: 'first-turn' });
      expect(cork).toHaveBeenCalledTimes(1);
      expect(uncork).not.toHaveBeenCalled();
      await new Promise((resolve) => setImmediate(resolve));
      expect(uncork).toHaveBeenCalledTimes(1);
      expect(uncork.mock.contexts[0]).toBe(cork.mock.contexts[0]);

      await new Promise((resolve) => setTimeout(resolve, 5));
      client.write({ jsonrpc: '2.0', id: 3, method: 'second-turn' });
      client.write({ jsonrpc: '2.0', id: 4, method: 'second-turn' });
      expect(cork).toHaveBeenCalledTimes(2);
      await new Promise((resolve) => setImmediate(resolve));
      expect(uncork).toHaveBeenCalledTimes(2);
      expect((await within(lines)).map((line) => JSON.parse(line).id)).toEqual([0, 1, 2, 3, 4]);
    } finally {
      cork.mockRestore();
      uncork.mockRestore();
    }
  });

  it('write() and send() keep their order on the wire', async () => {
    const { client, peer } = await connectedPair();
    const lines = readLines(peer.input, 3);
    client.write({ jsonrpc: '2.0', id: 'a', method: 'first' });
    const sent = client.send({ jsonrpc: '2.0', id: 1, method: 'second' });
    client.write({ jsonrpc: '2.0', id: 'b', method: 'third' });
    await within(sent);
    expect((await within(lines)).map((line) => JSON.parse(line).method)).toEqual([
      'first',
      'second',
      'third',
    ]);
  });

  it("close() ends the server's input and returns without waiting for the server to close its end", async () => {
    const { client, peer } = await connectedPair();
    // The peer reads to the end but never closes its side, as a server that runs on after its
    // input ends. Timers are faked and never advanced, so close() cannot lean on its timeout.
    const everything = readAll(peer.input);
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      client.write({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 'sv1-1' } });
      await within(client.close());
    } finally {
      vi.useRealTimers();
    }
    expect(await within(everything)).toContain('sv1-1');
  });

  it('a message written just before close() still reaches the peer', async () => {
    const { client, peer } = await connectedPair();
    const everything = readAll(peer.input);
    client.write({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 'sv1-0' } });
    await client.close();
    expect(await within(everything)).toBe(
      `${JSON.stringify({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 'sv1-0' } })}\n`,
    );
  });

  it('write() throws SERVER_UNAVAILABLE before start, while connecting, and after close', async () => {
    const message: JSONRPCMessage = { jsonrpc: '2.0', id: 'sv1-0', method: 'ping' };
    const unstarted = transport();
    const beforeStart = catchSync(() => unstarted.write(message));
    expect(isSupervisorError(beforeStart, 'SERVER_UNAVAILABLE')).toBe(true);
    expect((beforeStart as Error).message).toContain(stdinPath);

    const client = transport();
    const starting = client.start();
    const whileConnecting = catchSync(() => client.write(message));
    expect(isSupervisorError(whileConnecting, 'SERVER_UNAVAILABLE')).toBe(true);
    const [peer] = await Promise.all([openPeer(), starting]);
    // Read, so the flush on close() completes: close() then needs no timeout.
    peer.input.resume();
    expect(catchSync(() => client.write(message))).toBeUndefined();

    await client.close();
    const afterClose = catchSync(() => client.write(message));
    expect(isSupervisorError(afterClose, 'SERVER_UNAVAILABLE')).toBe(true);
  });

  it('write() throws SERVER_UNAVAILABLE once the server has closed its stdout', async () => {
    const { client, peer } = await connectedPair();
    let closes = 0;
    client.onclose = () => closes++;
    peer.output.end();
    await expect.poll(() => closes, { timeout: 2_000 }).toBe(1);
    const error = catchSync(() => client.write({ jsonrpc: '2.0', id: 'sv1-0', method: 'ping' }));
    expect(isSupervisorError(error, 'SERVER_UNAVAILABLE')).toBe(true);
  });

  it('intercept keeps the messages it returns true for from onmessage and lets the others through, in order', async () => {
    const { client, peer } = await connectedPair();
    const log: string[] = [];
    const intercepted: JSONRPCMessage[] = [];
    const received: JSONRPCMessage[] = [];
    client.intercept = (message) => {
      intercepted.push(message);
      const id = (message as { id?: unknown }).id;
      log.push(`intercept ${String(id)}`);
      return typeof id === 'string';
    };
    client.onmessage = (message) => {
      received.push(message);
      log.push(`onmessage ${String((message as { id?: unknown }).id)}`);
    };
    const messages: JSONRPCMessage[] = [
      { jsonrpc: '2.0', id: 'sv1-0', result: { a: 1 } },
      { jsonrpc: '2.0', id: 1, result: { b: 2 } },
      { jsonrpc: '2.0', method: 'notifications/tools/list_changed' },
      { jsonrpc: '2.0', id: 'sv1-1', error: { code: -1, message: 'no' } },
      { jsonrpc: '2.0', id: 2, method: 'roots/list' },
      { jsonrpc: '2.0', id: 'sv1-2', result: {} },
      { jsonrpc: '2.0', id: 3, result: {} },
    ];
    const text = messages.map((message) => `${JSON.stringify(message)}\n`).join('');
    // One chunk with several messages, then a line split across two chunks.
    peer.output.write(text.slice(0, text.length - 10));
    await new Promise((resolve) => setTimeout(resolve, 20));
    peer.output.write(text.slice(text.length - 10));

    await expect.poll(() => intercepted.length, { timeout: 2_000 }).toBe(messages.length);
    await expect.poll(() => received.length, { timeout: 2_000 }).toBe(4);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(intercepted).toEqual(messages);
    expect(received).toEqual([messages[1], messages[2], messages[4], messages[6]]);
    // Every message is seen by intercept before it reaches onmessage.
    for (const id of ['1', 'undefined', '2', '3']) {
      expect(log.indexOf(`intercept ${id}`)).toBeLessThan(log.indexOf(`onmessage ${id}`));
    }
    expect(log).not.toContain('onmessage sv1-0');
  });

  it('carries a RequestChannel: its answers and progress are taken, the SDK client’s messages go on', async () => {
    const { client, peer } = await connectedPair();
    const channel = new RequestChannel({
      server: 'srv',
      generation: 2,
      send: (message) => client.write(message),
    });
    client.intercept = (message) => channel.intercept(message);
    const received: JSONRPCMessage[] = [];
    client.onmessage = (message) => received.push(message);

    const lines = readLines(peer.input, 2);
    const progress: Record<string, unknown>[] = [];
    const first = channel.request(
      'tools/call',
      { name: 'a' },
      { timeoutMs: 5_000, onProgress: (p) => progress.push(p) },
    );
    const second = channel.request('tools/call', { name: 'b' }, { timeoutMs: 5_000 });
    const requests = (await within(lines)).map((line) => JSON.parse(line));
    expect(requests.map((request) => request.params.name)).toEqual(['a', 'b']);
    const [firstId, secondId] = requests.map((request) => request.id as string);
    expect(firstId).toMatch(/^sv2-/);
    expect(requests[0].params._meta).toEqual({ progressToken: firstId });

    const replies: JSONRPCMessage[] = [
      { jsonrpc: '2.0', method: 'notifications/progress', params: { progressToken: firstId!, progress: 1 } },
      { jsonrpc: '2.0', id: secondId!, result: { content: [{ type: 'text', text: 'b' }] } },
      { jsonrpc: '2.0', id: 7, result: {} },
      { jsonrpc: '2.0', id: firstId!, error: { code: -32602, message: 'bad', data: { x: 1 } } },
    ];
    peer.output.write(replies.map((message) => `${JSON.stringify(message)}\n`).join(''));

    await expect(within(second)).resolves.toEqual({ content: [{ type: 'text', text: 'b' }] });
    await expect(within(first)).rejects.toMatchObject({ code: -32602, message: 'bad', data: { x: 1 } });
    expect(progress).toEqual([{ progressToken: firstId, progress: 1 }]);
    await expect.poll(() => received.length, { timeout: 2_000 }).toBe(1);
    expect(received).toEqual([{ jsonrpc: '2.0', id: 7, result: {} }]);
    expect(channel.pendingCount).toBe(0);
  });
});
