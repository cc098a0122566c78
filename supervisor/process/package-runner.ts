/**
 * Servers run through a package runner (`npx -y pkg`, `uvx pkg`, …) first fetch and install the
 * package, which may take a minute on a first start. The supervisor calls that phase `installing`
 * and tells it honestly from what it can see:
 *
 * - the server's command is a package runner ({@link isPackageRunner}), and
 * - the runner has not started anything yet: PM2's process (the runner itself, which the launcher
 *   `exec`s) is still alone in its process group. A runner resolves, downloads and unpacks in its
 *   own process and then starts the package's program as its child, so the first other live member
 *   of the group ends `installing` ({@link watchInstall}); the server is then `starting` until it
 *   answers `initialize`. A runner that `exec`s the program instead stays alone in the group: it
 *   is `installing` until the server speaks MCP.
 *
 * With the package already in the runner's cache, `installing` lasts as long as the runner takes to
 * resolve it (npx: about a second). A lifecycle script that the install runs is a child too, so it
 * counts as `starting`: the states never claim an install that is not happening.
 */
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { processTable } from './process-group.ts';

/** How often an installing server's process group is looked at. */
const INSTALL_POLL_MS = 250;

/** Runners that are always a package runner, by the command's base name. */
const RUNNERS = new Set(['npx', 'pnpx', 'bunx', 'uvx', 'pipx']);
/** Package managers and the subcommand that makes them one: `npm exec`, `pnpm dlx`, `uv tool run`. */
const RUNNER_SUBCOMMANDS: Record<string, readonly string[][]> = {
  npm: [['exec'], ['x']],
  pnpm: [['dlx']],
  yarn: [['dlx']],
  bun: [['x']],
  uv: [['tool', 'run'], ['run']],
};

/**
 * Whether `command args…` runs a package through a package runner that may install it first.
 * Flags before the subcommand are skipped (`npm --yes exec`, `uv --quiet tool run`). Pure.
 */
export function isPackageRunner(command: string | undefined, args: readonly string[] = []): boolean {
  if (!command) return false;
  const base = path
    .basename(command)
    .replace(/\.(cmd|exe|bat)$/i, '')
    .toLowerCase();
  if (RUNNERS.has(base)) return base !== 'pipx' || firstWords(args, 1)[0] === 'run';
  const forms = RUNNER_SUBCOMMANDS[base];
  if (!forms) return false;
  const words = firstWords(args, 2);
  return forms.some((form) => form.every((word, i) => words[i] === word));
}

/** The first `count` arguments that are not flags. */
function firstWords(args: readonly string[], count: number): string[] {
  return args.filter((arg) => !arg.startsWith('-')).slice(0, count);
}

/**
 * Polls process group `pgid` (led by a package runner) until another live process joins it — the
 * runner started the package's program — and then calls `onServerStarted` once. Stops without a
 * call as soon as `isWatching()` turns false (the server spoke, exited or was stopped).
 */
export async function watchInstall(
  pgid: number,
  options: { isWatching: () => boolean; onServerStarted: () => void; intervalMs?: number },
): Promise<void> {
  const intervalMs = options.intervalMs ?? INSTALL_POLL_MS;
  while (options.isWatching()) {
    const table = await processTable();
    if (!options.isWatching()) return;
    if (table?.some((row) => row.pgid === pgid && row.pid !== pgid && !row.isZombie)) {
      options.onServerStarted();
      return;
    }
    await delay(intervalMs, undefined, { ref: false });
  }
}
