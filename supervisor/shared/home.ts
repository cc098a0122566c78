import { createHash } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import envPaths from 'env-paths';

/** Every path the supervisor reads or writes, derived from one home (or the platform's dirs). */
export interface HomePaths {
  /** The folder given by `--home` / `MCP_SUPERVISOR_HOME`, or the platform data dir. */
  readonly root: string;
  readonly configFile: string;
  readonly pm2Home: string;
  /** Unix sockets of the stdio bridges and the supervisor's state file; mode 0700. */
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

/**
 * The run dir sits under the home when socket paths fit there, else in the temp dir under a name
 * derived from the home, so one home always maps to one run dir.
 */
function shortRunDir(root: string): string {
  const inHome = path.join(root, 'run');
  // The longest socket name we create is `<16 hex>.sock`.
  if (Buffer.byteLength(path.join(inHome, 'x'.repeat(16) + '.sock')) <= MAX_SOCKET_PATH_BYTES) return inHome;
  const digest = createHash('sha256').update(root).digest('hex').slice(0, 12);
  return path.join(os.tmpdir(), `mcps-${digest}`);
}

/** A short, stable socket file name for a server. */
export function socketPathFor(paths: HomePaths, serverName: string): string {
  const digest = createHash('sha256').update(serverName).digest('hex').slice(0, 16);
  return path.join(paths.runDir, `${digest}.sock`);
}
