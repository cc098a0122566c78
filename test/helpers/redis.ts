import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { freePort, sleep } from './paths.ts';

/** A redis-server this test started on a loopback port; never a shared or system one. */
export interface RedisServer {
  readonly port: number;
  /** `redis://127.0.0.1:<port>` */
  readonly url: string;
  /** Its pid, or undefined while it is stopped. */
  readonly pid: number | undefined;
  /** SIGKILLs it (a crash: no clean shutdown) and waits until it is gone. */
  kill(): Promise<void>;
  /** Starts it again on the same port, empty (no persistence); resolves once it answers PING. */
  restart(): Promise<void>;
  /** SIGSTOP: the socket stays open but nothing is answered (a slow or wedged Redis). */
  pause(): void;
  /** SIGCONT after {@link pause}. */
  resume(): void;
  /** Runs one command with redis-cli (e.g. `['FLUSHALL']`) and returns its output. */
  cli(args: string[]): string;
  /** Kills it and removes its temp dir. Idempotent. */
  stop(): Promise<void>;
}

const INSTALL_HINT = 'install it with: apt-get install redis-server';

function findRedisServer(): string {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter).concat(['/usr/bin', '/usr/sbin'])) {
    const file = path.join(dir, 'redis-server');
    try {
      execFileSync(file, ['--version'], { stdio: 'ignore' });
      return file;
    } catch {
      // not here
    }
  }
  throw new Error(`redis-server is not installed; these tests need a real Redis: ${INSTALL_HINT}`);
}

/** Resolves once `PING` on the port is answered with `+PONG`, or rejects after `timeoutMs`. */
async function waitForPong(port: number, timeoutMs: number, child: ChildProcess, logFile: string) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) break;
    const isUp = await new Promise<boolean>((resolve) => {
      const socket = net.connect({ host: '127.0.0.1', port });
      socket.setTimeout(500);
      socket.once('connect', () => socket.write('PING\r\n'));
      socket.once('data', (data) => {
        socket.destroy();
        resolve(data.toString().startsWith('+PONG'));
      });
      socket.once('timeout', () => {
        socket.destroy();
        resolve(false);
      });
      socket.once('error', () => resolve(false));
    });
    if (isUp) return;
    await sleep(25);
  }
  let log = '';
  try {
    log = readFileSync(logFile, 'utf8').split('\n').slice(-15).join('\n');
  } catch {
    // no log yet
  }
  throw new Error(`redis-server on port ${port} did not answer PING within ${timeoutMs} ms:\n${log}`);
}

/**
 * Starts Debian's `redis-server` on a free 127.0.0.1 port in a temp dir: no persistence (no RDB,
 * no AOF), bounded memory and clients, protected mode. The process is SIGKILLed when `stop()` is
 * called and, as a last resort, when the test process exits. Fails with the package to install
 * when redis-server is missing.
 */
export async function startRedis(options: { maxMemoryMb?: number } = {}): Promise<RedisServer> {
  const binary = findRedisServer();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mcps-redis-'));
  const logFile = path.join(dir, 'redis.log');
  const port = await freePort();
  let child: ChildProcess | undefined;
  let isStopped = false;

  const launch = async () => {
    const args = [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--protected-mode',
      'yes',
      '--save',
      '',
      '--appendonly',
      'no',
      '--dir',
      dir,
      '--logfile',
      logFile,
      '--daemonize',
      'no',
      '--databases',
      '1',
      '--maxclients',
      '256',
      '--maxmemory',
      `${options.maxMemoryMb ?? 64}mb`,
      '--maxmemory-policy',
      'noeviction',
    ];
    const started = spawn(binary, args, { stdio: 'ignore' });
    started.once('error', () => undefined);
    child = started;
    await waitForPong(port, 10_000, started, logFile);
  };

  const killNow = async () => {
    const current = child;
    child = undefined;
    if (!current || current.exitCode !== null || current.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => current.once('exit', () => resolve()));
    current.kill('SIGCONT');
    current.kill('SIGKILL');
    await exited;
  };

  const onExit = () => child?.kill('SIGKILL');
  process.once('exit', onExit);
  await launch();

  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    get pid() {
      return child?.pid;
    },
    kill: killNow,
    async restart() {
      await killNow();
      await launch();
    },
    pause() {
      child?.kill('SIGSTOP');
    },
    resume() {
      child?.kill('SIGCONT');
    },
    cli(args) {
      return execFileSync('redis-cli', ['-h', '127.0.0.1', '-p', String(port), ...args], {
        encoding: 'utf8',
        timeout: 5_000,
      });
    },
    async stop() {
      if (isStopped) return;
      isStopped = true;
      await killNow();
      process.off('exit', onExit);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
