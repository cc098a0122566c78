/**
 * Why a supervisor the app started is gone, in one line a user can act on: pure, tested without
 * processes. The CLI prints its fatal errors as `mcp-supervisor: <what to do>` on stderr (e.g.
 * `port 7420 on 127.0.0.1 is in use; set supervisor.port …`), so that line is the reason; other
 * stderr output (a Node crash) is the fallback, the exit code the last resort.
 */

const CLI_PREFIX = 'mcp-supervisor: ';

export function describeSupervisorExit(exit: {
  exitCode: number | null;
  /** The last lines it wrote to stderr, oldest first. */
  stderrLines: readonly string[];
  /** Whether it had answered before it exited (a death, not a failed start). */
  wasRunning: boolean;
}): string {
  const lines = exit.stderrLines.map((line) => line.trim()).filter((line) => line !== '');
  const cliLine = lines.findLast((line) => line.startsWith(CLI_PREFIX));
  const code = exit.exitCode === null ? 'was killed' : `exited with code ${exit.exitCode}`;
  const what = exit.wasRunning ? `the supervisor ${code}` : `the supervisor ${code} while starting`;
  if (cliLine) return `${cliLine.slice(CLI_PREFIX.length)} (${what})`;
  // A Node crash prints the stack after the message: the first `Error:` line says the most.
  const errorLine = lines.find((line) => /^\w*Error\b/.test(line)) ?? lines.at(-1);
  return errorLine ? `${what}: ${errorLine}` : what;
}

/** Keeps the last `maxLines` complete lines of a stream (a partial last line is kept apart). */
export class LineTail {
  readonly #maxLines: number;
  readonly #lines: string[] = [];
  #partial = '';

  constructor(maxLines = 50) {
    if (!Number.isInteger(maxLines) || maxLines < 1) {
      throw new RangeError(`maxLines must be a positive integer, got ${maxLines}`);
    }
    this.#maxLines = maxLines;
  }

  push(text: string): void {
    const parts = (this.#partial + text).split('\n');
    this.#partial = parts.pop() ?? '';
    for (const line of parts) {
      this.#lines.push(line.replace(/\r$/, ''));
      if (this.#lines.length > this.#maxLines) this.#lines.shift();
    }
  }

  /** The kept lines, with the partial last line if any. */
  lines(): string[] {
    return this.#partial === '' ? [...this.#lines] : [...this.#lines, this.#partial];
  }
}
