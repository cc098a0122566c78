import { chmod, mkdir, rm } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { SupervisorError } from '../shared/errors.ts';
import type { LifelineHello } from './daemon-hook.ts';

/** Longest first line a daemon may send; anything longer is not one of ours. */
const MAX_HELLO_BYTES = 1_024;

/** One PM2 daemon's end of the lifeline. */
export interface DaemonLink {
  /** The daemon's pid, as it said in its hello. */
  readonly pid: number;
  /** Resolves when the connection closes: the daemon has exited (or closed it on purpose). */
  readonly closed: Promise<void>;
}

/**
 * The supervisor's end of the lifeline to its PM2 daemon (see `daemon-hook.ts`): a Unix socket in
 * the run dir (mode 0600 in a 0700 dir) to which each daemon the supervisor launches connects once.
 * The daemon watches the connection to die with its owner; the supervisor watches it to notice at
 * once that the daemon died — a kill -9 of the daemon otherwise leaves PM2's client retrying its
 * RPC socket forever, with every call hanging.
 *
 * `listen() → nextDaemon() … → close()`; the constructor does no IO.
 */
export class Lifeline {
  readonly socketPath: string;
  readonly #server: net.Server;
  readonly #links: DaemonLink[] = [];
  readonly #waiters: ((link: DaemonLink) => void)[] = [];
  readonly #sockets = new Set<net.Socket>();
  readonly #firstContact: Promise<void>;
  #markContact!: () => void;

  constructor(options: { socketPath: string }) {
    this.socketPath = options.socketPath;
    this.#server = net.createServer((socket) => this.#accept(socket));
    this.#firstContact = new Promise((resolve) => {
      this.#markContact = resolve;
    });
  }

  /**
   * Resolves when a daemon first says hello: its hook runs, so the process is up and booting PM2
   * (its hello comes before PM2's own start, ~0.5 s of it). Never rejects.
   */
  get firstContact(): Promise<void> {
    return this.#firstContact;
  }

  get isListening(): boolean {
    return this.#server.listening;
  }

  /** Listens on the socket path, replacing a stale file a crashed run left there. */
  async listen(): Promise<void> {
    if (this.#server.listening) return;
    await mkdir(path.dirname(this.socketPath), { recursive: true, mode: 0o700 });
    await rm(this.socketPath, { force: true });
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(this.socketPath, () => {
        this.#server.off('error', reject);
        resolve();
      });
    });
    await chmod(this.socketPath, 0o600);
  }

  /**
   * The next daemon to connect (one already connected and not yet taken, or the next one), or a
   * `PROCESS_MANAGER` error after `timeoutMs`.
   */
  nextDaemon(timeoutMs: number): Promise<DaemonLink> {
    const ready = this.#links.shift();
    if (ready) return Promise.resolve(ready);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        const index = this.#waiters.indexOf(waiter);
        if (index >= 0) this.#waiters.splice(index, 1);
        reject(
          new SupervisorError(
            'PROCESS_MANAGER',
            `the PM2 daemon did not report on its lifeline (${this.socketPath}) within ${timeoutMs} ms; see pm2/pm2.log in the home`,
          ),
        );
      }, timeoutMs);
      timer.unref();
      const waiter = (link: DaemonLink) => {
        clearTimeout(timer);
        resolve(link);
      };
      this.#waiters.push(waiter);
    });
  }

  /** Stops listening and drops every connection (a daemon still attached then shuts down). */
  async close(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    if (this.#server.listening) await new Promise<void>((resolve) => this.#server.close(() => resolve()));
    await rm(this.socketPath, { force: true });
  }

  #accept(socket: net.Socket): void {
    this.#sockets.add(socket);
    const closed = new Promise<void>((resolve) => {
      socket.once('close', () => {
        this.#sockets.delete(socket);
        resolve();
      });
    });
    socket.on('error', () => {});
    let text = '';
    const onData = (chunk: Buffer) => {
      text += chunk.toString('utf8');
      const end = text.indexOf('\n');
      if (end < 0) {
        if (text.length > MAX_HELLO_BYTES) socket.destroy();
        return;
      }
      socket.off('data', onData);
      // The connection stays open for the daemon's life; what follows is never read.
      socket.resume();
      const pid = parseHello(text.slice(0, end));
      if (pid === undefined) {
        socket.destroy();
        return;
      }
      const link: DaemonLink = { pid, closed };
      this.#markContact();
      const waiter = this.#waiters.shift();
      if (waiter) waiter(link);
      else this.#links.push(link);
    };
    socket.on('data', onData);
  }
}

function parseHello(line: string): number | undefined {
  try {
    const hello = JSON.parse(line) as Partial<LifelineHello>;
    return Number.isInteger(hello.pid) && (hello.pid as number) > 1 ? hello.pid : undefined;
  } catch {
    return undefined;
  }
}
