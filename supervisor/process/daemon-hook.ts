/**
 * Loaded into the private PM2 daemon when the supervisor launches it (`NODE_OPTIONS=--import …`,
 * see `pm2-manager.ts`); a no-op in any other process. It gives the daemon two things PM2 lacks:
 *
 * - **A lifeline to its owner.** The daemon connects to the supervisor's lifeline socket and says
 *   who it is. The connection is the liveness of both ends, with no polling and no pid to reuse:
 *   when the supervisor dies (even by SIGKILL) the daemon sees it close, stops every server's whole
 *   process group (SIGTERM, SIGKILL after the server's kill timeout) and exits; when the daemon
 *   dies, the supervisor sees it close at once and restarts it (see `lifeline.ts`).
 * - **How a process really ended.** In fork mode PM2 reports a process killed by a signal as
 *   `exit_code` 0 and drops the signal and the pid; the hook records both on the process's
 *   `pm2_env` (under {@link EXIT_INFO_KEY}) before PM2 announces the exit.
 *
 * Runs as plain JavaScript inside PM2 (types stripped once into the run dir): it imports only
 * Node's modules and `process-group.ts` (with the pure `shared/proc-stat.ts`).
 */
import { createRequire } from 'node:module';
import net from 'node:net';
import path from 'node:path';
import { terminateGroup } from './process-group.ts';

/** The environment variable that names the lifeline socket; set only for the daemon's launch. */
export const LIFELINE_ENV = 'MCP_SUPERVISOR_LIFELINE';
/** The key of `pm2_env` where the hook records `{ pid, signal }` of an exit. */
export const EXIT_INFO_KEY = 'mcps_exit';
/** What the daemon writes first on the lifeline: one JSON line. */
export interface LifelineHello {
  pid: number;
}

/** How long PM2's own exit may take once every group is gone, before the daemon just exits. */
const EXIT_GRACE_MS = 5_000;
const DEFAULT_KILL_TIMEOUT_MS = 5_000;

interface Pm2Process {
  process?: { pid?: number };
  pm2_env?: { name?: string; kill_timeout?: number; [EXIT_INFO_KEY]?: unknown };
}
interface God {
  clusters_db: Record<string, Pm2Process | null | undefined>;
  handleExit: (clu: Pm2Process, exitCode: number, signal?: string | null) => unknown;
}

function isPm2Daemon(): boolean {
  const main = process.argv[1];
  return (
    main !== undefined && path.basename(main) === 'Daemon.js' && path.basename(path.dirname(main)) === 'lib'
  );
}

function install(lifelinePath: string): void {
  // Whatever the daemon starts must neither load this hook nor find the lifeline.
  delete process.env[LIFELINE_ENV];
  process.env.NODE_OPTIONS = withoutThisHook(process.env.NODE_OPTIONS ?? '');
  const god = createRequire(process.argv[1]!)('./God.js') as God;
  const handleExit = god.handleExit;
  god.handleExit = function recordExit(this: unknown, clu, exitCode, signal) {
    if (clu?.pm2_env) clu.pm2_env[EXIT_INFO_KEY] = { pid: clu.process?.pid ?? 0, signal: signal ?? null };
    return handleExit.call(this, clu, exitCode, signal);
  };

  const log = (message: string) => process.stderr.write(`[mcp-supervisor daemon hook] ${message}\n`);
  let isShuttingDown = false;
  const shutdown = (reason: string) => {
    if (isShuttingDown) return;
    isShuttingDown = true;
    log(`${reason}; stopping every server and the daemon`);
    const running = Object.values(god.clusters_db).filter((proc) => (proc?.process?.pid ?? 0) > 0);
    void Promise.all(
      running.map((proc) =>
        terminateGroup(proc!.process!.pid!, {
          killTimeoutMs: proc!.pm2_env?.kill_timeout ?? DEFAULT_KILL_TIMEOUT_MS,
          onKill: () => log(`${proc!.pm2_env?.name} ignored SIGTERM; killed it`),
        }),
      ),
    ).finally(() => {
      // PM2's own exit deletes what is left and removes its pid file; the timer is the backstop.
      setTimeout(() => process.exit(0), EXIT_GRACE_MS).unref();
      process.kill(process.pid, 'SIGTERM');
    });
  };

  const lifeline = net.connect(lifelinePath);
  lifeline.once('connect', () => {
    const hello: LifelineHello = { pid: process.pid };
    lifeline.write(`${JSON.stringify(hello)}\n`);
  });
  // Nothing is ever read; the connection only tells that the other end is alive.
  lifeline.resume();
  lifeline.on('error', () => {});
  lifeline.once('close', () => shutdown('the supervisor that owns this daemon is gone'));
}

/** NODE_OPTIONS without the `--import` of this file, for the daemon's children. */
function withoutThisHook(options: string): string {
  const self = import.meta.url;
  return options
    .split(' ')
    .filter((part) => part !== `--import=${self}`)
    .join(' ')
    .trim();
}

if (isPm2Daemon()) {
  const lifelinePath = process.env[LIFELINE_ENV];
  if (lifelinePath) install(lifelinePath);
}
