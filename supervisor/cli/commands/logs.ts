import type { Command } from 'commander';
import { ControlClient, readEventStream } from '../../client/control-client.ts';
import { SupervisorError } from '../../shared/errors.ts';
import { isAbortError } from '../../shared/timers.ts';
import { homeOf, isJson } from '../context.ts';
import { print, printError } from '../format.ts';
import { onlineOrRecorded } from '../online-or-recorded.ts';

/**
 * `logs NAME [-n N] [-f] [--stderr]`: a server's PM2 log files, optionally followed. With the
 * supervisor stopped, the files are read directly (and not followed: nothing writes to them).
 */
export function registerLogs(program: Command): void {
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
            printError(note);
          },
        );
        const json = isJson(command);
        for (const entry of body.lines) print(json ? JSON.stringify(entry) : entry.line);
        if (!options.follow) return;
        if (isStopped)
          return printError('not following: nothing writes to the logs while the supervisor is stopped');
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
          if (!isAbortError(error)) throw error;
        });
      },
    );
}
