import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isSupervisorError } from '../../../supervisor/errors.ts';
import { SocketClientTransport } from '../../../supervisor/upstream/socket-transport.ts';

let dir: string;
let socketPath: string;
let server: net.Server | undefined;
const peers: net.Socket[] = [];
const transports: SocketClientTransport[] = [];

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'mcps-st-'));
  socketPath = path.join(dir, 's.sock');
});
afterEach(async () => {
  for (const transport of transports.splice(0)) await transport.close();
  for (const peer of peers.splice(0)) peer.destroy();
  if (server) await new Promise((resolve) => server!.close(resolve));
  server = undefined;
  await rm(dir, { recursive: true, force: true });
});

/** A fake bridge listening on `socketPath`. */
async function listen(): Promise<void> {
  server = net.createServer((peer) => peers.push(peer));
  await new Promise<void>((resolve) => server!.listen(socketPath, resolve));
}

/** The server side of the next connection. */
function nextConnection(): Promise<net.Socket> {
  return new Promise((resolve) => server!.once('connection', resolve));
}

function transport(): SocketClientTransport {
  const created = new SocketClientTransport({ path: socketPath, connectTimeoutMs: 2_000 });
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

describe('SocketClientTransport', () => {
  it('fails to start with SERVER_UNAVAILABLE when no socket exists', async () => {
    const error = await transport()
      .start()
      .catch((e: unknown) => e);
    expect(isSupervisorError(error, 'SERVER_UNAVAILABLE')).toBe(true);
    expect((error as Error).message).toContain('not running');
  });

  it('exchanges newline-delimited messages and reports a malformed line without closing', async () => {
    await listen();
    const connected = nextConnection();
    const client = transport();
    const received: JSONRPCMessage[] = [];
    const errors: Error[] = [];
    client.onmessage = (message) => received.push(message);
    client.onerror = (error) => errors.push(error);
    await client.start();
    const peer = await connected;

    const lines = readLines(peer, 1);
    await client.send({ jsonrpc: '2.0', id: 1, method: 'ping' });
    expect(JSON.parse((await lines)[0]!)).toEqual({ jsonrpc: '2.0', id: 1, method: 'ping' });

    peer.write('garbage\n{"jsonrpc":"2.0","id":1,');
    peer.write('"result":{}}\n');
    await expect.poll(() => received.length).toBe(1);
    expect(received[0]).toEqual({ jsonrpc: '2.0', id: 1, result: {} });
    expect(errors).toHaveLength(1);
  });

  it('calls onclose exactly once, when closed locally or by the peer', async () => {
    await listen();
    let connected = nextConnection();
    const local = transport();
    let localCloses = 0;
    local.onclose = () => localCloses++;
    await local.start();
    await connected;
    await local.close();
    await local.close();
    expect(localCloses).toBe(1);

    connected = nextConnection();
    const remote = transport();
    let remoteCloses = 0;
    remote.onclose = () => remoteCloses++;
    await remote.start();
    (await connected).end();
    await expect.poll(() => remoteCloses).toBe(1);
    await remote.close();
    expect(remoteCloses).toBe(1);
    await expect(remote.send({ jsonrpc: '2.0', method: 'x' })).rejects.toMatchObject({
      code: 'SERVER_UNAVAILABLE',
    });
  });

  it('resolves a large send once the peer has read it', async () => {
    await listen();
    const connected = nextConnection();
    const client = transport();
    await client.start();
    const peer = await connected;
    peer.pause();
    const text = 'z'.repeat(4 * 1024 * 1024);
    let isSent = false;
    const sent = client.send({ jsonrpc: '2.0', method: 'big', params: { text } }).then(() => {
      isSent = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 100));
    // The peer reads nothing, so the kernel buffers fill and the send waits.
    expect(isSent).toBe(false);
    const lines = readLines(peer, 1);
    await sent;
    expect(JSON.parse((await lines)[0]!).params.text).toHaveLength(text.length);
  });

  it('rejects bad options naming them', () => {
    expect(() => new SocketClientTransport({ path: '', connectTimeoutMs: 1 })).toThrow(/path/);
    expect(() => new SocketClientTransport({ path: socketPath, connectTimeoutMs: 0 })).toThrow(
      /connectTimeoutMs/,
    );
  });
});
