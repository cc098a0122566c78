import type { Command } from 'commander';
import type { RunningSupervisor } from '../../boot/run.ts';
import type { HomePaths } from '../../shared/home.ts';
import { isAbortError } from '../../shared/timers.ts';
import { homeOf, isJson } from '../context.ts';
import { printError } from '../format.ts';
import { takeHandoff } from '../home-handoff.ts';

/** Default for how long `start -d` waits for the servers' first start (an `npx` install). */
const WAIT_TIMEOUT_MS = 600_000;

/** `start [-c FILE] [-d]`: the supervisor in the foreground (Ctrl-C stops it), or detached. */
export function registerStart(program: Command): void {
  program
    .command('start')
    .description('start the supervisor in the foreground (Ctrl-C stops everything)')
    .option(
      '-c, --config <file>',
      'config file (default: <config dir>/config.json, else the built-in default)',
    )
    .option(
      '-d, --detach',
      'run in the background; return once every server is online or has failed (progress on stderr)',
    )
    .option('--no-wait', 'with -d: return as soon as the control API answers')
    .option('--strict', 'with -d: exit 7 when a server did not come online')
    .option('--timeout <ms>', 'with -d: how long to wait for the servers', String(WAIT_TIMEOUT_MS))
    .action(
      async (
        options: { config?: string; detach?: boolean; wait: boolean; strict?: boolean; timeout: string },
        command: Command,
      ) => {
        const paths = homeOf(command);
        if (!options.detach) return startForeground(paths, options.config);
        const timeoutMs = Number(options.timeout);
        if (!Number.isInteger(timeoutMs) || timeoutMs < 1) {
          throw new Error(`--timeout must be a positive number of milliseconds, got "${options.timeout}"`);
        }
        const { startDetached } = await import('../start-detached.ts');
        await startDetached(paths, {
          config: options.config,
          json: isJson(command),
          wait: options.wait,
          isStrict: options.strict === true,
          timeoutMs,
        });
      },
    );
}

/**
 * The supervisor in this process until it stops. SIGINT and SIGTERM stop it at any instant, the
 * start included (a second one exits at once); SIGHUP reloads the config (one asked while starting
 * is done once started). A stop during the start exits 0, like any clean stop.
 */
async function startForeground(paths: HomePaths, configFile: string | undefined): Promise<void> {
  const handoff = takeHandoff();
  const abort = new AbortController();
  let running: RunningSupervisor | undefined;
  let signals = 0;
  let isReloadAsked = false;
  const onSignal = (signal: NodeJS.Signals) => {
    signals++;
    if (signals > 1) {
      printError(`${signal} again, exiting without a clean stop`);
      process.exit(1);
    }
    abort.abort(new Error(signal));
  };
  const onHangup = () => {
    if (running) void running.reload('signal').catch(() => {});
    else isReloadAsked = true;
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('SIGHUP', onHangup);
  try {
    const { runSupervisor } = await import('../../boot/run.ts');
    // Stopped before the home was even claimed: nothing to undo.
    if (abort.signal.aborted) return;
    running = await runSupervisor({
      paths,
      configFile,
      logToStdout: true,
      signal: abort.signal,
      ...(handoff ? { handoff } : {}),
    });
    if (isReloadAsked) void running.reload('signal').catch(() => {});
    await running.stopped;
  } catch (error) {
    // Stopped while starting (a signal, `mcp-supervisor stop`): everything it started is gone.
    if (!isAbortError(error)) throw error;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.off('SIGHUP', onHangup);
  }
}
