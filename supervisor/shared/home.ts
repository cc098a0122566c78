import { createHash, randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import envPaths from 'env-paths';

/** Every path the supervisor reads or writes, derived from one home (or the platform's dirs). */
export interface HomePaths {
  /** The folder given by `--home` / `MCP_SUPERVISOR_HOME`, or the platform data dir. */
  readonly root: string;
  readonly configFile: string;
  readonly pm2Home: string;
  /**
   * Per-start files of the servers (env files, FIFO pairs), the PM2 daemon's lifeline socket and
   * hook script; mode 0700.
   */
  readonly runDir: string;
  readonly logDir: string;
  readonly serverLogDir: string;
  readonly databaseFile: string;
  /** Bearer token of the control API; mode 0600. */
  readonly tokenFile: string;
  /** `{ pid, port, host, startedAt }` of the running supervisor. */
  readonly stateFile: string;
}

/** Unix domain socket paths are limited to ~104 bytes (macOS) / 108 (Linux). */
const MAX_SOCKET_PATH_BYTES = 100;

export function resolveHome(options: { home?: string; env?: NodeJS.ProcessEnv } = {}): HomePaths {
  const env = options.env ?? process.env;
  const explicit = options.home ?? env.MCP_SUPERVISOR_HOME;
  if (explicit) return homeUnder(path.resolve(explicit));
  const dirs = envPaths('mcp-supervisor', { suffix: '' });
  const root = dirs.data;
  return { ...homeUnder(root), configFile: path.join(dirs.config, 'config.json'), logDir: dirs.log };
}

function homeUnder(root: string): HomePaths {
  const logDir = path.join(root, 'logs');
  return {
    root,
    configFile: path.join(root, 'config.json'),
    pm2Home: path.join(root, 'pm2'),
    runDir: shortRunDir(root),
    logDir,
    serverLogDir: path.join(logDir, 'servers'),
    databaseFile: path.join(root, 'supervisor.db'),
    tokenFile: path.join(root, 'control-token'),
    stateFile: path.join(root, 'supervisor.json'),
  };
}

/** The one Unix socket of the run dir (see `process/lifeline.ts`). */
export const LIFELINE_SOCKET_NAME = 'pm2-lifeline.sock';

/**
 * The run dir sits under the home when its socket path fits there, else in the temp dir under a
 * name derived from the home, so one home always maps to one run dir.
 */
function shortRunDir(root: string): string {
  const inHome = path.join(root, 'run');
  if (Buffer.byteLength(path.join(inHome, LIFELINE_SOCKET_NAME)) <= MAX_SOCKET_PATH_BYTES) return inHome;
  const digest = createHash('sha256').update(root).digest('hex').slice(0, 12);
  return path.join(os.tmpdir(), `mcps-${digest}`);
}

/** The files of one start of a server in the run dir. */
export interface StartFiles {
  /** The server's environment, read by its launcher (see `process/server-launch.ts`). */
  envFile: string;
  /** The FIFO pair of a stdio server. */
  stdinPath: string;
  stdoutPath: string;
}

const START_FILE = /^[0-9a-f]{16}\.[0-9a-f]{8}\.(env|in|out)$/;

/**
 * Fresh names for the files of one start of a server: its name hashed (any name gives a short,
 * safe file name), then an id of this start, so no two starts share a FIFO.
 */
export function startFilesFor(
  paths: HomePaths,
  serverName: string,
  startId = randomBytes(4).toString('hex'),
): StartFiles {
  const digest = createHash('sha256').update(serverName).digest('hex').slice(0, 16);
  const stem = path.join(paths.runDir, `${digest}.${startId}`);
  return { envFile: `${stem}.env`, stdinPath: `${stem}.in`, stdoutPath: `${stem}.out` };
}

/** Whether a file name in the run dir is one of {@link startFilesFor}'s (a crashed run may leave them). */
export function isStartFileName(name: string): boolean {
  return START_FILE.test(name);
}

/** The PM2 log files of a server: its stdout and its stderr. */
export function serverLogFiles(paths: HomePaths, serverName: string): { out: string; err: string } {
  return {
    out: path.join(paths.serverLogDir, `${serverName}.out.log`),
    err: path.join(paths.serverLogDir, `${serverName}.err.log`),
  };
}
