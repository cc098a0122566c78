import { readFile, writeFile } from 'node:fs/promises';
import JSON5 from 'json5';
import { ControlClient } from '../../supervisor/client/control-client.ts';
import { isProcessAlive, readState } from '../../supervisor/client/state-file.ts';
import type { ServerStatus, StatusBody } from '../../supervisor/client/wire-types.ts';
import { type HomePaths, resolveHome } from '../../supervisor/shared/home.ts';
import { type CliProcess, type CliResult, runCli, spawnCli } from './cli.ts';
import { waitFor } from './paths.ts';

export interface SupervisorProcess extends CliProcess {
  readonly home: string;
  readonly paths: HomePaths;
  readonly pid: number;
  readonly port: number;
  readonly client: ControlClient;
  status(): Promise<StatusBody>;
  /** Polls the status until `predicate` holds; fails with the last status after `timeoutMs`. */
  waitForStatus(
    predicate: (body: StatusBody) => boolean,
    what: string,
    timeoutMs?: number,
  ): Promise<StatusBody>;
  /** Runs `mcp-supervisor stop` for this home. */
  stop(): Promise<CliResult>;
}

export interface StartOptions {
  home: string;
  /** Written as `<home>/config.json`; omitted: the built-in default config. */
  config?: object;
  /** Added to the supervisor's environment (`MCP_SUPERVISOR_PORT=0` is set unless given). */
  env?: NodeJS.ProcessEnv;
  /** Extra arguments after `start`. */
  args?: string[];
  /**
   * Servers that must be online before this resolves; default: every enabled one of `config`, else
   * of the home's existing config.json, else of the built-in default.
   */
  waitForOnline?: string[];
  timeoutMs?: number;
}

const DEFAULT_SERVERS = ['everything', 'memory'];

/** Names of the enabled servers of a config object (or of the built-in default config). */
export function enabledServers(config: object | undefined): string[] {
  if (!config) return DEFAULT_SERVERS;
  const servers = (config as { mcpServers?: Record<string, { disabled?: boolean }> }).mcpServers ?? {};
  return Object.entries(servers)
    .filter(([, server]) => !server.disabled)
    .map(([name]) => name);
}

/**
 * Starts `mcp-supervisor start --home HOME` as a real child process on a free port and resolves
 * once its state file names it and its status shows the expected servers online.
 */
export async function startSupervisorProcess(options: StartOptions): Promise<SupervisorProcess> {
  const paths = resolveHome({ home: options.home, env: {} });
  if (options.config) await writeFile(paths.configFile, JSON.stringify(options.config, null, 2));
  const cli = spawnCli(['start', ...(options.args ?? [])], {
    home: options.home,
    env: { MCP_SUPERVISOR_PORT: '0', ...options.env },
  });
  const timeoutMs = options.timeoutMs ?? 60_000;
  const describeLast = () => `exit ${cli.child.exitCode}; stderr: ${cli.stderr().slice(-2000)}`;
  const pid = cli.child.pid ?? 0;
  const state = await waitFor(
    async () => {
      if (cli.child.exitCode !== null || cli.child.signalCode !== null) {
        throw new Error(`the supervisor exited while starting (${describeLast()})`);
      }
      const found = await readState(paths.stateFile);
      return found && found.pid === pid ? found : undefined;
    },
    { timeoutMs, what: `the state file of pid ${pid}`, describeLast },
  ).catch((error: unknown) => {
    cli.child.kill('SIGKILL');
    throw error;
  });
  const client = new ControlClient(paths);
  const status = () => client.request<StatusBody>('GET', '/api/status');
  let last: StatusBody | undefined;
  const waitForStatus = (predicate: (body: StatusBody) => boolean, what: string, waitMs = 60_000) =>
    waitFor(
      async () => {
        last = await status();
        return predicate(last) ? last : undefined;
      },
      { timeoutMs: waitMs, intervalMs: 150, what, describeLast: () => JSON.stringify(last?.servers ?? null) },
    );
  const handle: SupervisorProcess = {
    ...cli,
    home: options.home,
    paths,
    pid,
    port: state.port,
    client,
    status,
    waitForStatus,
    stop: () => runCli(['stop'], { home: options.home }),
  };
  const expected =
    options.waitForOnline ?? enabledServers(options.config ?? (await readConfigFile(paths.configFile)));
  await waitForStatus(
    (body) => expected.every((name) => body.servers.find((s) => s.name === name)?.state === 'online'),
    `servers ${expected.join(', ')} online`,
    timeoutMs,
  );
  return handle;
}

async function readConfigFile(file: string): Promise<object | undefined> {
  try {
    return JSON5.parse(await readFile(file, 'utf8')) as object;
  } catch {
    return undefined;
  }
}

/** Whether the supervisor recorded in the home's state file is alive. */
export async function isSupervisorRunning(paths: HomePaths): Promise<boolean> {
  const state = await readState(paths.stateFile);
  return state !== undefined && isProcessAlive(state.pid);
}

/** One server's row of a status body (fails when absent). */
export function serverRow(body: StatusBody, name: string): ServerStatus {
  const row = body.servers.find((s) => s.name === name);
  if (!row) throw new Error(`no server "${name}" in status: ${body.servers.map((s) => s.name).join(', ')}`);
  return row;
}
