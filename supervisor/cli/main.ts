import { Command, CommanderError, Option } from 'commander';
import { EXIT_CODES, errorMessage, isSupervisorError } from '../shared/errors.ts';
import { registerAlerts } from './commands/alerts.ts';
import { registerClientCommand } from './commands/client.ts';
import { registerConfig } from './commands/config.ts';
import { registerConnect } from './commands/connect.ts';
import { registerDashboard } from './commands/dashboard.ts';
import { registerDoctor } from './commands/doctor.ts';
import { registerEvents } from './commands/events.ts';
import { registerImportCommand } from './commands/import.ts';
import { registerKeys } from './commands/keys.ts';
import { registerLogs } from './commands/logs.ts';
import { registerMetrics } from './commands/metrics.ts';
import { registerReload } from './commands/reload.ts';
import { registerServer } from './commands/server.ts';
import { registerStart } from './commands/start.ts';
import { registerStatus } from './commands/status.ts';
import { registerStop } from './commands/stop.ts';
import { printError } from './format.ts';

/**
 * The CLI: the global options, then every command from `commands/<command>.ts`, in the order
 * `--help` lists them. Output goes through `format.ts`.
 */
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

  registerStart(program);
  registerStop(program);
  registerStatus(program);
  registerServer(program);
  registerLogs(program);
  registerReload(program);
  registerConfig(program);
  registerDoctor(program);
  registerConnect(program);
  registerKeys(program);
  registerMetrics(program);
  registerAlerts(program);
  registerEvents(program);
  registerDashboard(program);
  registerImportCommand(program);
  registerClientCommand(program);

  program.addOption(new Option('--no-color', 'plain output').hideHelp());
  return program;
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
    printError(errorMessage(error));
    return isSupervisorError(error) ? EXIT_CODES[error.code] : EXIT_CODES.INTERNAL;
  }
}
