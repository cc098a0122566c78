import type { Command } from 'commander';
import { homeOf } from '../context.ts';

/** `connect [SERVER] [--key TOKEN]`: a stdio MCP server relaying to the running supervisor. */
export function registerConnect(program: Command): void {
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
      // Loaded here: the SDK transports are for this command only.
      const { runConnect } = await import('../connect-relay.ts');
      await runConnect({
        paths: homeOf(command),
        ...(serverName ? { server: serverName } : {}),
        ...((options.key ?? process.env.MCP_SUPERVISOR_KEY)
          ? { key: options.key ?? process.env.MCP_SUPERVISOR_KEY }
          : {}),
      });
    });
}
