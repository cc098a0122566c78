import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { renderEnvFile, writeEnvFile } from '../../../supervisor/process/server-launch.ts';
import { isSupervisorError } from '../../../supervisor/shared/errors.ts';
import { FifoClientTransport } from '../../../supervisor/upstream/fifo-transport.ts';
import { EVERYTHING_SERVER, type Launched, LaunchHarness } from './launch-harness.ts';

const TRANSPORT_URL = new URL('../../../supervisor/upstream/fifo-transport.ts', import.meta.url).href;
const harness = new LaunchHarness();
const clients: Client[] = [];
const transports: FifoClientTransport[] = [];

beforeEach(() => harness.setup());
afterEach(async () => {
  for (const client of clients.splice(0)) await client.close().catch(() => {});
  for (const transport of transports.splice(0)) await transport.close();
  await harness.cleanup();
});

function transportTo(launched: Launched): FifoClientTransport {
  const transport = new FifoClientTransport({ ...launched.fifos!, connectTimeoutMs: 5_000 });
  transports.push(transport);
  return transport;
}

async function connect(launched: Launched): Promise<Client> {
  const client = new Client({ name: 'launch-test', version: '1.0.0' });
  clients.push(client);
  await client.connect(transportTo(launched));
  return client;
}

function textOf(result: Awaited<ReturnType<Client['callTool']>>): string {
  const [first] = result.content as Array<{ type: string; text?: string }>;
  return first?.text ?? '';
}

/** What a process's file descriptor points at, e.g. "pipe:[1234]"; undefined when it is closed. */
function fdTarget(pid: number, fd: number): string | undefined {
  try {
    return readlinkSync(`/proc/${pid}/fd/${fd}`);
  } catch {
    return undefined;
  }
}

function environOf(pid: number): Record<string, string> {
  return Object.fromEntries(
    readFileSync(`/proc/${pid}/environ`, 'utf8')
      .split('\0')
      .filter(Boolean)
      .map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)]),
  );
}

describe('renderEnvFile', () => {
  it('single-quotes every value so nothing in it is expanded', () => {
    expect(renderEnvFile({ A: "it's $HOME `x` \\ \n two" })).toBe(
      `export A='it'\\''s $HOME \`x\` \\ \n two'\n`,
    );
  });

  it('refuses a name a shell cannot export, naming it and what to do', () => {
    const error = (() => {
      try {
        renderEnvFile({ GOOD: '1', 'bad-name': '2', '9LIVES': '3' }, 'server "x"');
      } catch (caught) {
        return caught;
      }
    })();
    expect(isSupervisorError(error, 'CONFIG_INVALID')).toBe(true);
    expect((error as Error).message).toBe(
      'env of server "x": "bad-name", "9LIVES" cannot be passed to a process (a variable name is letters, digits and "_", not starting with a digit); rename it in the config',
    );
  });

  it('is written with mode 0600', async () => {
    const file = path.join(harness.dir, 'x.env');
    await writeEnvFile(file, { TOKEN: 'secret' });
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });
});

describe('the launcher with a stdio MCP server', () => {
  it('execs into the server, whose stdin and stdout are the FIFO pair, and it answers', async () => {
    const launched = await harness.launch({ command: process.execPath, args: [EVERYTHING_SERVER, 'stdio'] });
    const client = await connect(launched);
    const { tools } = await client.listTools();
    expect(tools.map((tool) => tool.name)).toContain('echo');
    expect(textOf(await client.callTool({ name: 'echo', arguments: { message: 'hello' } }))).toBe(
      'Echo: hello',
    );

    // The pid PM2 would watch is the server itself: no shell, no Node process in between.
    const pid = launched.process.pid!;
    expect(readlinkSync(`/proc/${pid}/exe`)).toBe(readlinkSync(`/proc/${process.pid}/exe`));
    expect(readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')).toContain(EVERYTHING_SERVER);
    expect(fdTarget(pid, 0)).toBe(`${launched.fifos!.stdinPath} (deleted)`);
    expect(fdTarget(pid, 1)).toBe(`${launched.fifos!.stdoutPath} (deleted)`);
    // stderr is still PM2's (its log); PM2's IPC channel is closed.
    expect(fdTarget(pid, 2)).not.toBe(fdTarget(pid, 0));
    expect(fdTarget(pid, 3) ?? 'closed').not.toMatch(/^socket:/);
    // It leads its own process group, as PM2 spawns it.
    expect(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')[2]).toBe(String(pid));
    // The pair's files are gone once the server holds its ends.
    expect(readdirSync(harness.dir).filter((name) => name.endsWith('.in') || name.endsWith('.out'))).toEqual(
      [],
    );
  });

  it('gives the server exactly the env file’s environment, none of PM2’s', async () => {
    const launched = await harness.launch({
      command: process.execPath,
      args: [EVERYTHING_SERVER, 'stdio'],
      env: { FOO: "bar 'quoted' $HOME" },
    });
    const client = await connect(launched);
    const env = JSON.parse(textOf(await client.callTool({ name: 'get-env', arguments: {} })));
    expect(env.FOO).toBe("bar 'quoted' $HOME");
    const names = Object.keys(environOf(launched.process.pid!)).sort();
    // PWD is the shell's; nothing of what PM2 put in the environment (pm_id, NODE_CHANNEL_FD, …).
    expect(names).toEqual(['FOO', 'HOME', 'PATH', 'PWD']);
  });

  it('delivers everything the server writes, far more than a pipe holds', async () => {
    const script =
      'const line = JSON.stringify({ jsonrpc: "2.0", method: "n", params: { pad: "p".repeat(1000) } }) + "\\n";' +
      'for (let i = 0; i < 2000; i++) process.stdout.write(line);' +
      'setInterval(() => {}, 1000);';
    const launched = await harness.launch({ command: process.execPath, args: ['-e', script] });
    const transport = transportTo(launched);
    let count = 0;
    transport.onmessage = () => count++;
    await transport.start();
    await expect.poll(() => count, { timeout: 10_000 }).toBe(2000);
  });

  it("ends the server's input when the transport closes", async () => {
    const launched = await harness.launch({
      command: process.execPath,
      args: ['-e', 'process.stdin.on("data", () => {}).on("end", () => process.exit(7))'],
    });
    const transport = transportTo(launched);
    await transport.start();
    await transport.close();
    expect((await launched.exited).code).toBe(7);
  });

  it("ends the server's input when the process holding the transport dies (kill -9 of the supervisor)", async () => {
    const launched = await harness.launch({
      command: process.execPath,
      args: ['-e', 'process.stdin.on("data", () => {}).on("end", () => process.exit(9))'],
    });
    const script = `
      const { FifoClientTransport } = await import(${JSON.stringify(TRANSPORT_URL)});
      const transport = new FifoClientTransport({ ...${JSON.stringify(launched.fifos)}, connectTimeoutMs: 5000 });
      await transport.start();
      process.stdout.write('open\\n');
      setInterval(() => {}, 1000);`;
    const holder = spawn(process.execPath, ['--input-type=module', '-e', script], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    await once(holder.stdout!, 'data');
    holder.kill('SIGKILL');
    expect((await launched.exited).code).toBe(9);
  });

  it('closes the transport when the server exits, with its own exit code and its stderr in the log', async () => {
    const launched = await harness.launch({
      command: process.execPath,
      args: ['-e', 'console.error("child says goodbye"); setTimeout(() => process.exit(3), 200)'],
    });
    const transport = transportTo(launched);
    let closes = 0;
    transport.onclose = () => closes++;
    await transport.start();
    expect((await launched.exited).code).toBe(3);
    await expect.poll(() => closes).toBe(1);
    expect(launched.stderr()).toContain('child says goodbye');
  });

  it('is ended by the signal that kills the server (PM2 sees the signal)', async () => {
    const launched = await harness.launch({
      command: process.execPath,
      args: ['-e', 'process.kill(process.pid, "SIGKILL")'],
    });
    await transportTo(launched)
      .start()
      .catch(() => {});
    expect(await launched.exited).toEqual({ code: null, signal: 'SIGKILL' });
  });
});

describe('the launcher’s failures', () => {
  it('exits 127 naming the command and PATH when it is not found', async () => {
    const launched = await harness.launch({ command: 'mcps-no-such-command', args: [] });
    expect((await launched.exited).code).toBe(127);
    expect(launched.stderr()).toMatch(
      /^\[mcp-supervisor\] command "mcps-no-such-command" was not found; check "command" in the server's config and that it is on PATH \(.+\)\n$/,
    );
    // It never opened the pair: the transport's start would wait (and be aborted by the exit).
    expect(existsSync(launched.fifos!.stdinPath)).toBe(true);
  });

  it('exits 127 for a missing absolute path, 126 for a file that cannot be executed', async () => {
    const missing = await harness.launch({ command: path.join(harness.dir, 'nope'), args: [] });
    expect((await missing.exited).code).toBe(127);
    const notExecutable = await harness.launch({ command: path.join(harness.dir, '0.env'), args: [] });
    await transportTo(notExecutable).start();
    expect((await notExecutable.exited).code).toBe(126);
    expect(notExecutable.stderr()).toMatch(/Permission denied/);
  });

  it('exits 1 with a message when the cwd is missing', async () => {
    const cwd = path.join(harness.dir, 'no-such-dir');
    const launched = await harness.launch({ command: process.execPath, args: ['-e', '0'], cwd });
    expect((await launched.exited).code).toBe(1);
    expect(launched.stderr()).toBe(
      `[mcp-supervisor] cwd "${cwd}" is not a directory; check "cwd" in the server's config\n`,
    );
  });
});

describe('the launcher with an HTTP server', () => {
  it('leaves the server’s stdout to PM2 (its log) and gives it no input', async () => {
    const launched = await harness.launch({
      command: process.execPath,
      args: [
        '-e',
        'console.log("listening"); process.stdin.on("end", () => { console.log("no input"); process.exit(0); }).resume()',
      ],
      isHttp: true,
    });
    expect((await launched.exited).code).toBe(0);
    expect(launched.stdout()).toBe('listening\nno input\n');
  });
});
