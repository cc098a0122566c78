import type { Command } from 'commander';
import { homeOf, isJson } from '../context.ts';
import { print } from '../format.ts';

/** `config validate [FILE]`: every problem of a config file, without a running supervisor. */
export function registerConfig(program: Command): void {
  program
    .command('config')
    .description('configuration')
    .command('validate [file]')
    .description('check a config file (default: the home config) and report every problem')
    .action(async (file: string | undefined, _options: unknown, command: Command) => {
      const paths = homeOf(command);
      // The config schema (zod) is loaded by the commands that read a config, not by every command.
      const { loadConfig } = await import('../../config/load.ts');
      const loaded = await loadConfig({ paths, file });
      const names = Object.keys(loaded.config.mcpServers);
      if (isJson(command)) return print({ ok: true, file: loaded.file ?? null, servers: names });
      print(
        `${loaded.file ?? 'built-in default config'} is valid: ${names.length} server(s): ${names.join(', ')}`,
      );
    });
}
