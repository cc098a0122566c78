import { spawn } from 'node:child_process';
import { openSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { isProcessAlive, readState } from '../../client/state-file.ts';
import { SupervisorError } from '../../shared/errors.ts';
import type { HomePaths } from '../../shared/home.ts';
import { sleep } from '../../shared/timers.ts';
import { homeOf, isJson } from '../context.ts';
import { print, printError } from '../format.ts';

const CLI_FILE = fileURLToPath(new URL('../../bin/mcp-supervisor.js', import.meta.url));

/** `start [-c FILE] [-d]`: the supervisor in the foreground (Ctrl-C stops it), or detached. */
export function registerStart(program: Command): void {
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
      const { runSupervisor } = await import('../../boot/run.ts');
      const running = await runSupervisor({ paths, configFile: options.config, logToStdout: true });
      let signals = 0;
      const onSignal = (signal: NodeJS.Signals) => {
        signals++;
        if (signals > 1) {
          printError(`${signal} again, exiting without a clean stop`);
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
