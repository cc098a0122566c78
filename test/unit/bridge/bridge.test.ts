import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { setTimeout as delay } from 'node:timers/promises';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runBridge } from '../../../supervisor/process/bridge.ts';
import { SocketClientTransport } from '../../../supervisor/upstream/socket-transport.ts';
import {
  BridgeHarness,
  EVERYTHING_SERVER,
  FIXTURES,
  isAlive,
  readPidFile,
  waitFor,
  waitForFile,
} from './bridge-harness.ts';

const harness = new BridgeHarness();
const clients: Client[] = [];
const sockets: net.Socket[] = [];

beforeEach(() => harness.setup());
afterEach(async () => {
  for (const client of clients.splice(0)) await client.close().catch(() => {});
  for (const socket of sockets.splice(0)) socket.destroy();
  await harness.cleanup();
});

/** A raw connection to the bridge once it listens: what starts a stdio server. */
async function attach(socketPath: string): Promise<net.Socket> {
  await waitForFile(socketPath);
  const socket = net.connect(socketPath);
  sockets.push(socket);
  socket.on('error', () => {});
  await new Promise((resolve) => socket.once('connect', resolve));
  return socket;
}

/** The pids of a process's children (Linux). */
function childPids(pid: number): number[] {
  const text = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim();
  return text === '' ? [] : text.split(' ').map(Number);
}

/** What a process's file descriptor points at, e.g. "socket:[1234]" or "pipe:[5678]". */
function fdTarget(pid: number, fd: number): string {
  return readlinkSync(`/proc/${pid}/fd/${fd}`);
}

/** What every file descriptor of a process points at. */
function fdTargets(pid: number): string[] {
  return readdirSync(`/proc/${pid}/fd`).flatMap((fd) => {
    try {
      return [fdTarget(pid, Number(fd))];
    } catch {
      return [];
    }
  });
}

async function connect(socketPath: string): Promise<Client> {
  const client = new Client({ name: 'bridge-test', version: '1.0.0' });
  clients.push(client);
  await client.connect(new SocketClientTransport({ path: socketPath, connectTimeoutMs: 5_000 }));
  return client;
}

function textOf(result: Awaited<ReturnType<Client['callTool']>>): string {
  const [first] = result.content as Array<{ type: string; text?: string }>;
  return first?.text ?? '';
}

describe('bridge with a stdio MCP server', () => {
  it('starts the server for the first connection, with that connection as its stdin and stdout', async () => {
    const spec = harness.spec({ command: process.execPath, args: [EVERYTHING_SERVER, 'stdio'] });
    const bridge = await harness.start(spec);
    await waitForFile(spec.socketPath!);
    expect((await stat(spec.socketPath!)).mode & 0o777).toBe(0o600);
    // Nothing runs until a client connects.
    await delay(200);
    expect(childPids(bridge.process.pid!)).toEqual([]);

    const first = await connect(spec.socketPath!);
    const { tools } = await first.listTools();
    expect(tools.map((tool) => tool.name)).toContain('echo');
    expect(textOf(await first.callTool({ name: 'echo', arguments: { message: 'hello' } }))).toBe(
      'Echo: hello',
    );

    // The server reads and writes the connection itself; the bridge keeps only its listener.
    const [server] = childPids(bridge.process.pid!);
    expect(fdTarget(server!, 0)).toMatch(/^socket:/);
    expect(fdTarget(server!, 1)).toBe(fdTarget(server!, 0));
    expect(fdTarget(server!, 2)).not.toBe(fdTarget(server!, 0));
    expect(fdTargets(bridge.process.pid!)).not.toContain(fdTarget(server!, 0));

    // A second connection is closed by the bridge; the first one is unaffected.
    const intruder = net.connect(spec.socketPath!);
    intruder.on('error', () => {});
    await new Promise((resolve) => intruder.once('close', resolve));
    expect(bridge.stderr()).toContain('refused a second connection');
    expect(textOf(await first.callTool({ name: 'echo', arguments: { message: 'still here' } }))).toBe(
      'Echo: still here',
    );
    expect(bridge.process.exitCode).toBeNull();
  });

  it('gives the child exactly the spec environment, not its own', async () => {
    const spec = harness.spec({ command: process.execPath, args: [EVERYTHING_SERVER, 'stdio'] });
    spec.env = { ...spec.env, FOO: 'bar' };
    await harness.start(spec, { ...process.env, MCPS_TEST_SECRET: 'x' });
    await waitForFile(spec.socketPath!);
    const client = await connect(spec.socketPath!);
    const env = JSON.parse(textOf(await client.callTool({ name: 'get-env', arguments: {} })));
    expect(env.FOO).toBe('bar');
    expect(env).not.toHaveProperty('MCPS_TEST_SECRET');
  });

  it('delivers everything the server writes, far more than a pipe holds', async () => {
    // 2 MiB of notifications, written as soon as the server starts.
    const script =
      'const line = JSON.stringify({ jsonrpc: "2.0", method: "n", params: { pad: "p".repeat(1000) } }) + "\\n";' +
      'for (let i = 0; i < 2000; i++) process.stdout.write(line);' +
      'setInterval(() => {}, 1000);';
    const spec = harness.spec({ command: process.execPath, args: ['-e', script] });
    await harness.start(spec);
    await waitForFile(spec.socketPath!);
    const transport = new SocketClientTransport({ path: spec.socketPath!, connectTimeoutMs: 5_000 });
    let count = 0;
    transport.onmessage = () => count++;
    await transport.start();
    await expect.poll(() => count, { timeout: 10_000 }).toBe(2000);
    await transport.close();
  });

  it("ends the server's input when its client leaves", async () => {
    const spec = harness.spec({
      command: process.execPath,
      args: ['-e', 'process.stdin.on("data", () => {}).on("end", () => process.exit(7))'],
    });
    const bridge = await harness.start(spec);
    const client = await attach(spec.socketPath!);
    await waitFor('the server to start', () =>
      childPids(bridge.process.pid!).length > 0 ? true : undefined,
    );
    client.end();
    expect((await bridge.exited).code).toBe(7);
  });

  it('removes its socket and exits when the child exits', async () => {
    const spec = harness.spec({
      command: process.execPath,
      args: ['-e', 'setTimeout(() => process.exit(5), 500)'],
    });
    const bridge = await harness.start(spec);
    const client = await attach(spec.socketPath!);
    const closed = new Promise((resolve) => client.once('close', resolve));
    expect((await bridge.exited).code).toBe(5);
    await expect(stat(spec.socketPath!)).rejects.toMatchObject({ code: 'ENOENT' });
    // The client sees the end of the server's output.
    await closed;
  });

  it('exits 0 and removes its socket when stopped before anyone connected', async () => {
    const spec = harness.spec({ command: process.execPath, args: [EVERYTHING_SERVER, 'stdio'] });
    const bridge = await harness.start(spec);
    await waitForFile(spec.socketPath!);
    bridge.process.kill('SIGTERM');
    expect((await bridge.exited).code).toBe(0);
    await expect(stat(spec.socketPath!)).rejects.toMatchObject({ code: 'ENOENT' });
  });
});

describe('bridge exit codes', () => {
  it('exits with the child exit code and forwards its stderr', async () => {
    const spec = harness.spec({
      command: process.execPath,
      args: ['-e', 'console.error("child says goodbye"); process.exit(3)'],
    });
    const bridge = await harness.start(spec);
    await attach(spec.socketPath!);
    expect((await bridge.exited).code).toBe(3);
    expect(bridge.stderr()).toContain('child says goodbye');
  });

  it('exits with 128 + signal number when the child is killed by a signal', async () => {
    const spec = harness.spec({
      command: process.execPath,
      args: ['-e', 'process.kill(process.pid, "SIGKILL")'],
      socketPath: undefined,
    });
    const bridge = await harness.start(spec);
    expect((await bridge.exited).code).toBe(128 + 9);
  });

  it('exits 127 naming the command when it is not found', async () => {
    const spec = harness.spec({ command: 'mcps-no-such-command', args: [] });
    const bridge = await harness.start(spec);
    const client = await attach(spec.socketPath!);
    const closed = new Promise((resolve) => client.once('close', resolve));
    expect((await bridge.exited).code).toBe(127);
    await closed;
    expect(bridge.stderr()).toMatch(/command "mcps-no-such-command" was not found; check "command".*PATH/);
    await expect(stat(spec.socketPath!)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('exits 2 with a message for an invalid spec', async () => {
    const spec = harness.spec({ command: process.execPath, args: [], killTimeoutMs: -1 });
    const bridge = await harness.start(spec);
    expect((await bridge.exited).code).toBe(2);
    expect(bridge.stderr()).toContain('killTimeoutMs');
  });
});

describe('bridge stop', () => {
  it('on SIGTERM stops the child and its grandchild', async () => {
    const pidFile = path.join(harness.dir, 'grandchild.pid');
    const spec = harness.spec({
      command: process.execPath,
      args: [path.join(FIXTURES, 'spawn-grandchild.mjs'), pidFile],
    });
    const bridge = await harness.start(spec);
    await attach(spec.socketPath!);
    const grandchild = await readPidFile(pidFile);
    harness.trackPid(grandchild);
    expect(isAlive(grandchild)).toBe(true);

    bridge.process.kill('SIGTERM');
    await bridge.exited;
    await waitFor('the grandchild to exit', () => (isAlive(grandchild) ? undefined : true), 5_000);
  });

  it('stops a grandchild started by a shell', async () => {
    const pidFile = path.join(harness.dir, 'grandchild.pid');
    const sleeper = path.join(FIXTURES, 'sleeper.mjs');
    const spec = harness.spec({
      command: 'sh',
      args: ['-c', `"${process.execPath}" "${sleeper}" "${pidFile}" & wait`],
      socketPath: undefined,
    });
    const bridge = await harness.start(spec);
    const grandchild = await readPidFile(pidFile);
    harness.trackPid(grandchild);

    bridge.process.kill('SIGINT');
    await bridge.exited;
    await waitFor('the grandchild to exit', () => (isAlive(grandchild) ? undefined : true), 5_000);
  });

  it('SIGKILLs a process group that ignores SIGTERM after killTimeoutMs', async () => {
    const pidFile = path.join(harness.dir, 'grandchild.pid');
    const killTimeoutMs = 1_000;
    const spec = harness.spec({
      command: process.execPath,
      args: [path.join(FIXTURES, 'spawn-grandchild.mjs'), pidFile, '--ignore-term'],
      killTimeoutMs,
    });
    const bridge = await harness.start(spec);
    await attach(spec.socketPath!);
    const grandchild = await readPidFile(pidFile);
    harness.trackPid(grandchild);
    const startedAt = Date.now();
    bridge.process.kill('SIGTERM');
    const { code } = await bridge.exited;
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(killTimeoutMs - 50);
    expect(code).toBe(128 + 9);
    await waitFor('the grandchild to exit', () => (isAlive(grandchild) ? undefined : true), 5_000);
    expect(bridge.stderr()).toContain('did not exit');
  });

  it('kills what a child left behind when it exits on its own', async () => {
    const pidFile = path.join(harness.dir, 'grandchild.pid');
    const sleeper = path.join(FIXTURES, 'sleeper.mjs');
    const spec = harness.spec({
      command: 'sh',
      args: ['-c', `"${process.execPath}" "${sleeper}" "${pidFile}" & sleep 1; exit 4`],
    });
    const bridge = await harness.start(spec);
    await attach(spec.socketPath!);
    const grandchild = await readPidFile(pidFile);
    harness.trackPid(grandchild);
    expect((await bridge.exited).code).toBe(4);
    await waitFor('the grandchild to exit', () => (isAlive(grandchild) ? undefined : true), 5_000);
  });
});

describe('runBridge in process', () => {
  it('forwards an HTTP-mode child stdout and stops it when the signal aborts', async () => {
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    let output = '';
    stdout.setEncoding('utf8').on('data', (text: string) => {
      output += text;
    });
    stderr.resume();
    const controller = new AbortController();
    const spec = harness.spec({
      command: process.execPath,
      args: ['-e', 'console.log("listening"); setInterval(() => {}, 1000)'],
      socketPath: undefined,
    });
    const exitCode = runBridge(spec, { signal: controller.signal, stdout, stderr });
    await expect.poll(() => output).toContain('listening');
    controller.abort();
    expect(await exitCode).toBe(128 + 15);
  });
});
