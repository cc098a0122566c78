import { spawn } from 'node:child_process';
import { openSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError, Option } from 'commander';
import { onlineOrRecorded } from '../client/offline.ts';
import { loadConfig } from '../config/load.ts';
import { ControlClient, readEventStream } from '../control/client.ts';
import { isProcessAlive, readState } from '../control/state-file.ts';
import { readToken } from '../control/token.ts';
import type { ServerStatus } from '../core/supervisor.ts';
import { EXIT_CODES, errorMessage, isSupervisorError, SupervisorError } from '../errors.ts';
import { type ClientKeyRow, ClientKeys } from '../gateway/client-keys.ts';
import { type HomePaths, resolveHome } from '../home.ts';
import { runDoctor } from './doctor.ts';
import {
  type AlertRow,
  type EventRow,
  formatAlertsTable,
  formatMetricsTable,
  formatStatusTable,
  formatTable,
  type MetricsSummary,
} from './format.ts';

const CLI_FILE = fileURLToPath(new URL('../bin/mcp-supervisor.js', import.meta.url));

interface GlobalOptions {
  home?: string;
  json?: boolean;
}

function homeOf(command: Command): HomePaths {
  const options = command.optsWithGlobals<GlobalOptions>();
  return resolveHome({ home: options.home });
}

function isJson(command: Command): boolean {
  return command.optsWithGlobals<GlobalOptions>().json === true;
}

/** A note for the user on stderr, so that stdout (and --json) stays the answer alone. */
function warn(note: string): void {
  process.stderr.write(`mcp-supervisor: ${note}\n`);
}

function print(value: unknown): void {
  process.stdout.write(typeof value === 'string' ? `${value}\n` : `${JSON.stringify(value, null, 2)}\n`);
}

export function buildProgram(): Command {
  const program = new Command('mcp-supervisor')
    .description(
      'Run local MCP servers under a private PM2, serve them through one gateway, stop them cleanly.',
    )
    .option(
      '--home <dir>',
      'put config, PM2 home, sockets, logs and database under this folder (env MCP_SUPERVISOR_HOME)',
    )
    .option('--json', 'print machine-readable JSON')
    .showHelpAfterError('(run mcp-supervisor --help for usage)')
    .exitOverride();

  program
    .command('start')
    .description('start the supervisor in the foreground (Ctrl-C stops everything)')
    .option(
      '-c, --config <file>',
      'config file (default: <config dir>/config.json, else the built-in default)',
    )
    .option('-d, --detach', 'run in the background and return once it answers')
    .action(async (options: { config?: string; detach?: boolean }, command: Command) => {
      const paths = homeOf(command);
      if (options.detach) return startDetached(paths, options.config, isJson(command));
      const { runSupervisor } = await import('../service.ts');
      const running = await runSupervisor({ paths, configFile: options.config, logToStdout: true });
      let signals = 0;
      const onSignal = (signal: NodeJS.Signals) => {
        signals++;
        if (signals > 1) {
          process.stderr.write(`mcp-supervisor: ${signal} again, exiting without a clean stop\n`);
          process.exit(1);
        }
        void running.stop(signal);
      };
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
      process.on('SIGHUP', () => void running.reload().catch(() => {}));
      await running.stopped;
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    });

  program
    .command('stop')
    .description('stop the running supervisor: servers, PM2 daemon, everything')
    .option('--timeout <ms>', 'how long to wait for the last process to go', '60000')
    .action(async (options: { timeout: string }, command: Command) => {
      const paths = homeOf(command);
      const state = await readState(paths.stateFile);
      await new ControlClient(paths).request('POST', '/api/stop');
      const deadline = Date.now() + Number(options.timeout);
      while (state && isProcessAlive(state.pid) && Date.now() < deadline) await sleep(100);
      if (state && isProcessAlive(state.pid)) {
        throw new SupervisorError(
          'TIMEOUT',
          `the supervisor (pid ${state.pid}) is still stopping after ${options.timeout} ms`,
        );
      }
      if (isJson(command)) print({ ok: true, stopped: state?.pid ?? null });
      else print('stopped');
    });

  program
    .command('status')
    .description('state, pid, uptime, restarts, CPU, RSS and tool count of each server')
    .action(async (_options: unknown, command: Command) => {
      const body = await new ControlClient(homeOf(command)).request<{
        servers: ServerStatus[];
        supervisor: unknown;
      }>('GET', '/api/status');
      if (isJson(command)) print(body);
      else print(formatStatusTable(body.servers));
    });

  const server = program.command('server').description('start, stop or restart one server');
  for (const action of ['start', 'stop', 'restart'] as const) {
    server
      .command(`${action} <name>`)
      .description(`${action} one server`)
      .action(async (name: string, _options: unknown, command: Command) => {
        const body = await new ControlClient(homeOf(command)).request<{ server?: ServerStatus }>(
          'POST',
          `/api/servers/${encodeURIComponent(name)}/${action}`,
        );
        if (isJson(command)) print(body);
        else print(`${name}: ${body.server?.state ?? 'done'}`);
      });
  }

  program
    .command('logs <name>')
    .description("a server's stdout and stderr (PM2 log files)")
    .option('-n, --lines <n>', 'how many lines', '50')
    .option('-f, --follow', 'keep printing new lines')
    .option('--stderr', 'only stderr')
    .action(
      async (
        name: string,
        options: { lines: string; follow?: boolean; stderr?: boolean },
        command: Command,
      ) => {
        const lines = Number(options.lines);
        if (!Number.isInteger(lines) || lines < 0) {
          throw new SupervisorError('BAD_REQUEST', `--lines must be a whole number, got "${options.lines}"`);
        }
        const paths = homeOf(command);
        const client = new ControlClient(paths);
        const stream = options.stderr ? 'err' : 'all';
        const query = `stream=${stream}&lines=${lines}`;
        let isStopped = false;
        const body = await onlineOrRecorded(
          paths,
          () =>
            client.request<{ lines: { stream: string; line: string }[] }>(
              'GET',
              `/api/servers/${encodeURIComponent(name)}/logs?${query}`,
            ),
          (recorded) => recorded.logs(name, { lines, stream }),
          (note) => {
            isStopped = true;
            warn(note);
          },
        );
        const json = isJson(command);
        for (const entry of body.lines) print(json ? JSON.stringify(entry) : entry.line);
        if (!options.follow) return;
        if (isStopped)
          return warn('not following: nothing writes to the logs while the supervisor is stopped');
        const abort = new AbortController();
        process.once('SIGINT', () => abort.abort());
        const response = await client.fetch(
          'GET',
          `/api/servers/${encodeURIComponent(name)}/logs/follow?${query}`,
          {
            signal: abort.signal,
          },
        );
        if (!response.ok) throw new SupervisorError('CONTROL_API', `log follow failed: ${response.status}`);
        await readEventStream(response, (_event, data) => {
          const { stream: source, lines: newLines } = data as { stream: string; lines: string[] };
          for (const line of newLines) print(json ? JSON.stringify({ stream: source, line }) : line);
        }).catch((error: unknown) => {
          if ((error as Error).name !== 'AbortError') throw error;
        });
      },
    );

  program
    .command('reload')
    .description('re-read the config file: start added, restart changed, stop removed servers')
    .action(async (_options: unknown, command: Command) => {
      const body = await new ControlClient(homeOf(command)).request<{ result: Record<string, unknown> }>(
        'POST',
        '/api/reload',
      );
      if (isJson(command)) return print(body);
      const r = body.result as { added?: string[]; removed?: string[]; changed?: string[] };
      const parts = [
        r.added?.length ? `added ${r.added.join(', ')}` : '',
        r.changed?.length ? `restarted ${r.changed.join(', ')}` : '',
        r.removed?.length ? `stopped ${r.removed.join(', ')}` : '',
      ].filter(Boolean);
      print(parts.length > 0 ? `reloaded: ${parts.join('; ')}` : 'config unchanged');
    });

  program
    .command('config')
    .description('configuration')
    .command('validate [file]')
    .description('check a config file (default: the home config) and report every problem')
    .action(async (file: string | undefined, _options: unknown, command: Command) => {
      const paths = homeOf(command);
      const loaded = await loadConfig({ paths, file });
      const names = Object.keys(loaded.config.mcpServers);
      if (isJson(command)) return print({ ok: true, file: loaded.file ?? null, servers: names });
      print(
        `${loaded.file ?? 'built-in default config'} is valid: ${names.length} server(s): ${names.join(', ')}`,
      );
    });

  program
    .command('doctor')
    .description('check Node, the home, PM2, the config and the running supervisor')
    .action(async (_options: unknown, command: Command) => {
      const checks = await runDoctor(homeOf(command));
      if (isJson(command)) print(checks);
      else for (const check of checks) print(`${check.ok ? 'ok  ' : 'FAIL'} ${check.name}: ${check.detail}`);
      if (checks.some((check) => !check.ok)) process.exitCode = 1;
    });

  program
    .command('connect [server]')
    .description(
      'a stdio MCP server relaying to the running supervisor (all servers, or one), for clients that spawn a command',
    )
    .option(
      '--key <token>',
      'a client key (default: the home control token, which opens every server); env MCP_SUPERVISOR_KEY',
    )
    .action(async (serverName: string | undefined, options: { key?: string }, command: Command) => {
      const { runConnect } = await import('../gateway/connect.ts');
      await runConnect({
        paths: homeOf(command),
        ...(serverName ? { server: serverName } : {}),
        ...((options.key ?? process.env.MCP_SUPERVISOR_KEY)
          ? { key: options.key ?? process.env.MCP_SUPERVISOR_KEY }
          : {}),
      });
    });

  const keys = program
    .command('keys')
    .description('client keys for the gateway (bearer tokens, stored hashed)');
  keys
    .command('create <name>')
    .description('create a key; its token is shown once')
    .option('--servers <list>', 'comma-separated servers the key may use (default: all)')
    .action(async (name: string, options: { servers?: string }, command: Command) => {
      const servers = options.servers
        ? options.servers
            .split(',')
            .map((s) => s.trim())
            .filter(Boolean)
        : null;
      const created = await withKeys(homeOf(command), {
        remote: (client) =>
          client.request<{ token: string; key: unknown }>('POST', '/api/keys', {
            body: JSON.stringify({ name, servers }),
          }),
        local: (store) => store.create(name, servers),
      });
      if (isJson(command)) return print(created);
      print(
        `created key "${name}"${servers ? ` for ${servers.join(', ')}` : ' for all servers'}; its token (shown once):`,
      );
      print(created.token);
    });
  keys
    .command('list')
    .description('list keys (never their tokens)')
    .action(async (_options: unknown, command: Command) => {
      const list = await withKeys(homeOf(command), {
        remote: async (client) => (await client.request<{ keys: ClientKeyRow[] }>('GET', '/api/keys')).keys,
        local: (store) => store.list(),
      });
      if (isJson(command)) return print({ keys: list });
      if (list.length === 0) return print('no client keys; create one with: mcp-supervisor keys create NAME');
      print(
        formatTable(
          ['NAME', 'ID', 'PREFIX', 'SERVERS', 'CREATED', 'STATE'],
          list.map((k) => [
            k.name,
            k.id,
            `${k.prefix}…`,
            k.servers ? k.servers.join(',') : 'all',
            new Date(k.createdAt).toISOString(),
            k.revokedAt ? 'revoked' : 'active',
          ]),
        ),
      );
    });
  keys
    .command('revoke <idOrName>')
    .description('revoke a key at once')
    .action(async (idOrName: string, _options: unknown, command: Command) => {
      const revoked = await withKeys(homeOf(command), {
        remote: async (client) =>
          (
            await client.request<{ revoked: number }>(
              'POST',
              `/api/keys/${encodeURIComponent(idOrName)}/revoke`,
            )
          ).revoked,
        local: (store) => {
          const count = store.revoke(idOrName);
          if (count === 0)
            throw new SupervisorError('BAD_REQUEST', `no active key with id or name "${idOrName}"`);
          return count;
        },
      });
      if (isJson(command)) return print({ ok: true, revoked });
      print(`revoked ${revoked} key(s)`);
    });

  program
    .command('metrics')
    .description('requests, errors, latency percentiles, CPU and RSS per server')
    .option('--server <name>', 'only this server')
    .option('--since <duration>', 'window: 15m, 1h, 7d …', '1h')
    .action(async (options: { server?: string; since: string }, command: Command) => {
      const query = windowQuery(options);
      const paths = homeOf(command);
      const body: MetricsSummary = await onlineOrRecorded(
        paths,
        () => new ControlClient(paths).request<MetricsSummary>('GET', `/api/metrics/summary?${query}`),
        (recorded) => recorded.summary(options),
        warn,
      );
      if (isJson(command)) return print(body);
      print(formatMetricsTable(body, options.since));
    });

  program
    .command('alerts')
    .description('firing alerts (--all: history); -f follows new ones')
    .option('--all', 'resolved alerts too')
    .option('-f, --follow', 'print alerts as they fire and resolve')
    .action(async (options: { all?: boolean; follow?: boolean }, command: Command) => {
      const paths = homeOf(command);
      const client = new ControlClient(paths);
      const json = isJson(command);
      let isStopped = false;
      const body: { alerts: AlertRow[] } = await onlineOrRecorded(
        paths,
        () => client.request<{ alerts: AlertRow[] }>('GET', `/api/alerts${options.all ? '?all=true' : ''}`),
        (recorded) => recorded.alerts({ all: options.all === true }),
        (note) => {
          isStopped = true;
          warn(note);
        },
      );
      if (json) print(options.follow ? JSON.stringify(body) : body);
      else print(formatAlertsTable(body.alerts));
      if (!options.follow) return;
      if (isStopped) return warn('not following: no alert fires while the supervisor is stopped');
      const abort = new AbortController();
      process.once('SIGINT', () => abort.abort());
      const response = await client.fetch('GET', '/api/events', { signal: abort.signal });
      await readEventStream(response, (event, data) => {
        if (event !== 'alert') return;
        const { type, alert } = data as { type: string; alert: AlertRow };
        print(
          json
            ? JSON.stringify(data)
            : `${new Date().toISOString()}  ${type === 'alert.fired' ? 'FIRED   ' : 'RESOLVED'}  ${alert.key}  ${alert.message}`,
        );
      }).catch((error: unknown) => {
        if ((error as Error).name !== 'AbortError') throw error;
      });
    });

  program
    .command('events')
    .description('server lifecycle events: start, exit, restart, crash loop, stop')
    .option('--server <name>', 'only this server')
    .option('--since <duration>', 'window', '24h')
    .action(async (options: { server?: string; since: string }, command: Command) => {
      const query = windowQuery(options);
      const paths = homeOf(command);
      const body: { events: EventRow[] } = await onlineOrRecorded(
        paths,
        () => new ControlClient(paths).request<{ events: EventRow[] }>('GET', `/api/events/history?${query}`),
        (recorded) => recorded.events(options),
        warn,
      );
      if (isJson(command)) return print(body);
      if (body.events.length === 0) return print(`no server events in the last ${options.since}`);
      print(
        formatTable(
          ['TIME', 'SERVER', 'EVENT', 'EXIT', 'DETAIL'],
          body.events.map((e) => [
            new Date(e.ts).toISOString(),
            e.server,
            e.kind,
            e.exitCode === null || e.exitCode === undefined ? '' : String(e.exitCode),
            e.detail ? JSON.stringify(e.detail).slice(0, 60) : '',
          ]),
        ),
      );
    });

  program
    .command('dashboard')
    .description('print the dashboard URL (with the control token in its fragment, never sent over the wire)')
    .action(async (_options: unknown, command: Command) => {
      const paths = homeOf(command);
      const client = new ControlClient(paths);
      await client.request('GET', '/api/status');
      const token = await readToken(paths.tokenFile);
      const url = `${await client.baseUrl()}/ui/#token=${token}`;
      print(isJson(command) ? { url } : url);
    });

  program.addOption(new Option('--no-color', 'plain output').hideHelp());
  return program;
}

/**
 * Key commands go through the running supervisor (so a revoke clears its cache at once), or
 * straight to the database when none runs.
 */
async function withKeys<T>(
  paths: HomePaths,
  how: { remote: (client: ControlClient) => Promise<T>; local: (keys: ClientKeys) => T },
): Promise<T> {
  const state = await readState(paths.stateFile);
  if (state && isProcessAlive(state.pid)) return how.remote(new ControlClient(paths));
  const { openStore } = await import('../store/db.ts');
  const store = openStore(paths.databaseFile);
  try {
    return how.local(new ClientKeys(store.db));
  } finally {
    store.close();
  }
}

async function startDetached(paths: HomePaths, config: string | undefined, json: boolean): Promise<void> {
  const previous = await readState(paths.stateFile);
  if (previous && isProcessAlive(previous.pid)) {
    throw new SupervisorError(
      'ALREADY_RUNNING',
      `a supervisor (pid ${previous.pid}) is already running for home ${paths.root}`,
    );
  }
  await mkdir(paths.logDir, { recursive: true, mode: 0o700 });
  const output = openSync(path.join(paths.logDir, 'detached.out'), 'a');
  const args = [
    ...process.execArgv,
    CLI_FILE,
    'start',
    '--home',
    paths.root,
    ...(config ? ['--config', config] : []),
  ];
  const child = spawn(process.execPath, args, {
    detached: true,
    stdio: ['ignore', output, output],
    env: { ...process.env, LOG_FORMAT: process.env.LOG_FORMAT ?? 'json' },
  });
  child.unref();
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    const state = await readState(paths.stateFile);
    if (state && state.pid === child.pid) {
      const url = `http://${state.host}:${state.port}`;
      if (json) print({ ok: true, pid: child.pid, url });
      else print(`started (pid ${child.pid}), control API and gateway at ${url}`);
      return;
    }
    if (child.exitCode !== null || (child.pid !== undefined && !isProcessAlive(child.pid))) {
      throw new SupervisorError(
        'INTERNAL',
        `the supervisor exited at start; see ${path.join(paths.logDir, 'detached.out')}`,
      );
    }
    await sleep(100);
  }
  throw new SupervisorError('TIMEOUT', 'the supervisor did not come up within 120 s');
}

/** `since=…[&server=…]` for the metrics and events reads. */
function windowQuery(options: { server?: string; since: string }): URLSearchParams {
  return new URLSearchParams({ since: options.since, ...(options.server ? { server: options.server } : {}) });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Runs the CLI; returns the process exit code (documented in the README). */
export async function main(argv: string[] = process.argv): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version') return 0;
      if (error.code === 'commander.help' || error.exitCode === 0) return 0;
      return EXIT_CODES.USAGE;
    }
    const message = errorMessage(error);
    process.stderr.write(`mcp-supervisor: ${message}\n`);
    return isSupervisorError(error) ? EXIT_CODES[error.code] : EXIT_CODES.INTERNAL;
  }
}
