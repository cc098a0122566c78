import type { Command } from 'commander';
import { type HomePaths, resolveHome } from '../shared/home.ts';

/** Options every command takes (`mcp-supervisor [--home DIR] [--json] <command>`). */
interface GlobalOptions {
  home?: string;
  json?: boolean;
}

/** The home a command works on: `--home`, else `MCP_SUPERVISOR_HOME`, else the platform's. */
export function homeOf(command: Command): HomePaths {
  const options = command.optsWithGlobals<GlobalOptions>();
  return resolveHome({ home: options.home });
}

/** Whether `--json` was given. */
export function isJson(command: Command): boolean {
  return command.optsWithGlobals<GlobalOptions>().json === true;
}

/** `since=…[&server=…]` for the metrics and events reads. */
export function windowQuery(options: { server?: string; since: string }): URLSearchParams {
  return new URLSearchParams({ since: options.since, ...(options.server ? { server: options.server } : {}) });
}
