import { EventEmitter } from 'node:events';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ChildProcessLike, Fork } from '../../../app/supervisor-process.ts';
import type { SupervisorView } from '../../../app/supervisor-view.ts';
import { resolveHome } from '../../../supervisor/shared/home.ts';
import { electronMocks, electronState } from '../../helpers/electron-mock.ts';

vi.mock('electron', () => import('../../helpers/electron-mock.ts'));
const { SupervisorProcess, setupSupervisorProcess } = await import('../../../app/supervisor-process.ts');

const TOKEN = 't'.repeat(64);
let root: string;
let paths: ReturnType<typeof resolveHome>;
let api: http.Server | undefined;
let onStop: () => void;

/** A child that behaves as told: it exits when killed, unless `isStubborn`. */
class FakeChild extends EventEmitter implements ChildProcessLike {
  static nextPid = 900_000;
  readonly pid = FakeChild.nextPid++;
  readonly stderr = new PassThrough();
  kills = 0;
  isStubborn = false;
  kill(): boolean {
    this.kills++;
    if (!this.isStubborn) setImmediate(() => this.exit(null));
    return true;
  }
  exit(code: number | null): void {
    this.stderr.end();
    this.emit('exit', code);
  }
}

/** A control API for `pid` on a free port: the state file and the token say where it is. */
async function serveControlApi(pid: number): Promise<void> {
  api = http.createServer((req, res) => {
    if (req.headers.authorization !== `Bearer ${TOKEN}`) return void res.writeHead(401).end('{}');
    if (req.url === '/api/stop') {
      res.writeHead(202).end('{"ok":true}');
      return onStop();
    }
    res
      .writeHead(200, { 'content-type': 'application/json' })
      .end(JSON.stringify({ supervisor: { pid }, servers: [] }));
  });
  await new Promise<void>((resolve) => api?.listen(0, '127.0.0.1', resolve));
  const { port } = api.address() as AddressInfo;
  await writeFile(paths.tokenFile, TOKEN);
  await writeFile(
    paths.stateFile,
    JSON.stringify({ pid, host: '127.0.0.1', port, startedAt: 1, version: 'x' }),
  );
}

function create(
  fork: Fork,
  options: { explicitHome?: string; readyTimeoutMs?: number; stopTimeoutMs?: number } = {},
) {
  const views: SupervisorView[] = [];
  const supervisor = new SupervisorProcess({
    paths,
    entryFile: '/app/dist/app/supervisor-entry.js',
    fork,
    env: async () => ({ PATH: '/opt/homebrew/bin:/usr/bin' }),
    pollMs: 10,
    ...options,
  });
  supervisor.onChange((view) => views.push(view));
  return { supervisor, views };
}

beforeEach(async () => {
  electronState.reset();
  root = await mkdtemp(path.join(os.tmpdir(), 'mcps-app-'));
  paths = resolveHome({ home: root, env: {} });
  onStop = () => {};
});
afterEach(async () => {
  api?.closeAllConnections();
  await new Promise((resolve) => (api ? api.close(resolve) : resolve(undefined)));
  api = undefined;
  await rm(root, { recursive: true, force: true });
});

describe('supervisor process', () => {
  it('shows why a start failed (port in use), and keeps the output in detached.out', async () => {
    const child = new FakeChild();
    const { supervisor, views } = create(() => {
      setImmediate(() => {
        child.stderr.write(
          'mcp-supervisor: port 7420 on 127.0.0.1 is in use; set supervisor.port or MCP_SUPERVISOR_PORT to a free port\n',
        );
        setImmediate(() => child.exit(9));
      });
      return child;
    });
    const view = await supervisor.start();
    expect(view).toEqual({
      phase: 'down',
      reason:
        'port 7420 on 127.0.0.1 is in use; set supervisor.port or MCP_SUPERVISOR_PORT to a free port (the supervisor exited with code 9 while starting)',
      isFailure: true,
      canStart: true,
      logFile: path.join(paths.logDir, 'detached.out'),
    });
    expect(views.map((v) => v.phase)).toEqual(['starting', 'down']);
    await vi.waitFor(async () =>
      expect(await readFile(supervisor.outputFile, 'utf8')).toMatch(
        /started by the desktop app\nmcp-supervisor: port 7420/,
      ),
    );
  });

  it('passes --home only when the user chose one, and the login shell environment', async () => {
    const calls: Parameters<Fork>[] = [];
    const fork: Fork = (...args) => {
      calls.push(args);
      const child = new FakeChild();
      setImmediate(() => child.exit(1));
      return child;
    };
    await create(fork).supervisor.start();
    await create(fork, { explicitHome: root }).supervisor.start();
    expect(calls.map(([file, args]) => [file, args])).toEqual([
      ['/app/dist/app/supervisor-entry.js', ['start']],
      ['/app/dist/app/supervisor-entry.js', ['start', '--home', root]],
    ]);
    expect(calls[0]?.[2]).toEqual({
      env: { PATH: '/opt/homebrew/bin:/usr/bin' },
      stdio: ['ignore', 'ignore', 'pipe'],
      serviceName: 'mcp-supervisor',
    });
  });

  it('attaches to a supervisor the CLI runs, and leaves it running at quit', async () => {
    await serveControlApi(process.pid);
    const fork = vi.fn<Fork>();
    const { supervisor } = create(fork);
    const view = await supervisor.start();
    expect(view).toEqual({
      phase: 'running',
      isOwned: false,
      origin: api && `http://127.0.0.1:${(api.address() as AddressInfo).port}`,
      pid: process.pid,
    });
    expect(supervisor.client).toBeDefined();
    expect(fork).not.toHaveBeenCalled();
    const stop = vi.fn();
    onStop = stop;
    await supervisor.stop();
    expect(stop).not.toHaveBeenCalled();
  });

  it('gives the console its connection while running, and none while down', async () => {
    await serveControlApi(process.pid);
    const { supervisor } = create(vi.fn<Fork>());
    expect(await supervisor.connection()).toBeUndefined();
    expect(supervisor.unavailableReason).toBe('it is starting');
    await supervisor.start();
    expect(await supervisor.connection()).toEqual({ baseUrl: supervisor.origin, token: TOKEN });
    await rm(paths.stateFile);
    await supervisor.recheck();
    expect(supervisor.origin).toBeUndefined();
    expect(supervisor.unavailableReason).toBe(`the supervisor for ${root} has stopped`);
    expect(await supervisor.connection()).toBeUndefined();
  });

  it('does not start a second one while a live process holds the home without answering', async () => {
    await writeFile(
      paths.stateFile,
      JSON.stringify({ pid: process.pid, host: '127.0.0.1', port: 1, startedAt: 1 }),
    );
    await writeFile(paths.tokenFile, TOKEN);
    const fork = vi.fn<Fork>();
    const view = await create(fork).supervisor.start();
    expect(view).toMatchObject({ phase: 'down', isFailure: true, canStart: false });
    expect(view.phase === 'down' && view.reason).toMatch(
      new RegExp(`^a supervisor \\(pid ${process.pid}\\) runs for ${root} but does not answer: `),
    );
    expect(fork).not.toHaveBeenCalled();
  });

  it('starts one, shows it running, and at quit waits for its clean stop', async () => {
    const child = new FakeChild();
    const { supervisor, views } = create(() => {
      setImmediate(() => void serveControlApi(child.pid));
      return child;
    });
    const view = await supervisor.start();
    expect(view).toMatchObject({ phase: 'running', isOwned: true, pid: child.pid });
    onStop = () => setTimeout(() => child.exit(0), 50);
    await supervisor.stop();
    expect(child.kills).toBe(0);
    expect(views.map((v) => v.phase)).toEqual(['starting', 'running', 'stopping', 'down']);
    expect(supervisor.view).toEqual({ phase: 'down', reason: 'stopped', isFailure: false, canStart: false });
  });

  it('shows a supervisor that died with its reason, and that one stopped from the CLI is no failure', async () => {
    const child = new FakeChild();
    const { supervisor } = create(() => {
      setImmediate(() => void serveControlApi(child.pid));
      return child;
    });
    await supervisor.start();
    child.stderr.write(
      'file:///app/dist/supervisor/service.js:10\nTypeError: Cannot read properties of undefined\n',
    );
    setImmediate(() => child.exit(1));
    await vi.waitFor(() => expect(supervisor.view.phase).toBe('down'));
    expect(supervisor.view).toMatchObject({
      reason: 'the supervisor exited with code 1: TypeError: Cannot read properties of undefined',
      isFailure: true,
      canStart: true,
    });

    const second = new FakeChild();
    const other = create(() => {
      setImmediate(() => void api?.close(() => serveControlApi(second.pid)));
      return second;
    });
    await other.supervisor.start();
    second.exit(0);
    await vi.waitFor(() => expect(other.supervisor.view).toMatchObject({ phase: 'down', isFailure: false }));
  });

  it('kills a supervisor that does not stop by the deadline', async () => {
    const child = new FakeChild();
    const { supervisor } = create(
      () => {
        setImmediate(() => void serveControlApi(child.pid));
        return child;
      },
      { stopTimeoutMs: 100 },
    );
    await supervisor.start();
    await supervisor.stop();
    expect(child.kills).toBe(1);
  });

  it('gives up on a start that never answers, and kills it', async () => {
    const child = new FakeChild();
    const view = await create(() => child, { readyTimeoutMs: 200 }).supervisor.start();
    expect(view).toMatchObject({
      phase: 'down',
      reason: 'the supervisor did not answer within 1 s; see its log',
    });
    expect(child.kills).toBe(1);
  });

  it('turns a vanished CLI supervisor into down on recheck', async () => {
    await serveControlApi(process.pid);
    const { supervisor } = create(vi.fn<Fork>());
    await supervisor.start();
    await rm(paths.stateFile);
    expect(await supervisor.recheck()).toEqual({
      phase: 'down',
      reason: `the supervisor for ${root} has stopped`,
      isFailure: false,
      canStart: true,
    });
  });

  it('holds the quit until the clean stop settled', async () => {
    const supervisor = setupSupervisorProcess({
      paths,
      entryFile: '/x.js',
      env: async () => ({}),
    });
    const stop = vi.spyOn(supervisor, 'stop').mockResolvedValue();
    const event = { preventDefault: vi.fn() };
    electronState.appListeners.emit('before-quit', event);
    expect(event.preventDefault).toHaveBeenCalledOnce();
    expect(stop).toHaveBeenCalledOnce();
    await vi.waitFor(() => expect(electronMocks.quit).toHaveBeenCalledOnce());
    const again = { preventDefault: vi.fn() };
    electronState.appListeners.emit('before-quit', again);
    expect(again.preventDefault).not.toHaveBeenCalled();
  });

  it('refuses bad options by name', () => {
    expect(() => create(vi.fn<Fork>(), { stopTimeoutMs: -1 })).toThrow(
      'stopTimeoutMs must be a positive number of milliseconds, got -1',
    );
  });
});
