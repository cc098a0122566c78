/**
 * How the supervisor runs a process of its own, outside PM2 (the gateway's tool probe,
 * `upstream/tool-probe.ts`), so that it cannot outlive the supervisor: the lean design's guarantee
 * for PM2-run servers — input closed, then the whole process group stopped by something that sees
 * the supervisor's end through a connection the kernel closes (the daemon's lifeline, see
 * `daemon-hook.ts`) — given to a process PM2 does not run.
 *
 * The process is spawned as `/bin/sh -c TETHER_SCRIPT …`, detached, so it leads a process group of
 * its own, with a tether on descriptor {@link TETHER_FD}: a pipe whose other end only the
 * supervisor holds. The shell forks a watcher that blocks reading the tether, then `exec`s the
 * command with the tether closed: the process the supervisor spawned — its pid, stdin, stdout and
 * exit — is the command itself. When the tether ends (the supervisor closed it, or the kernel did
 * because the supervisor died, even by SIGKILL), the watcher gives the group `stepMs` to leave after
 * its input closed, sends SIGTERM to the whole group, and after `stepMs` more SIGKILL, itself
 * included. Whatever the command started (`npx` → node) stays in the group, so it goes too. The
 * watcher is one forked shell, asleep until then, and never touches the command's stdio.
 *
 * Windows is not supported.
 */

const SHELL = '/bin/sh';

/** The child's descriptor the tether is passed on: spawn with `stdio[TETHER_FD] = 'pipe'`. */
export const TETHER_FD = 3;

/**
 * The launcher. Positional parameters: $1 the escalation step in seconds, $2… the command and its
 * arguments. The watcher ignores SIGTERM (it sends it to its own group); `sleep` is looked up on a
 * PATH that also holds the system's directories, because the command's environment may set none.
 */
export const TETHER_SCRIPT = [
  '{',
  "  trap '' TERM",
  '  PATH="$PATH:/usr/bin:/bin"',
  `  while read -r _ <&${TETHER_FD}; do :; done`,
  '  sleep "$1"; kill -TERM 0',
  '  sleep "$1"; kill -KILL 0',
  '} </dev/null >/dev/null 2>&1 &',
  'shift',
  `exec "$@" ${TETHER_FD}<&-`,
].join('\n');

export interface TetheredSpec {
  /** The shell's `$0`: how the watcher shows in `ps`. */
  name: string;
  command: string;
  args: readonly string[];
  /** Time from the tether's end to SIGTERM of the group, and from SIGTERM to SIGKILL. */
  stepMs: number;
}

/**
 * The program and arguments to spawn (detached, with a pipe on {@link TETHER_FD}) for `spec`.
 * Throws a `RangeError` naming `stepMs` when it is not a positive number. Pure.
 */
export function tetheredCommand(spec: TetheredSpec): { command: string; args: string[] } {
  if (!Number.isFinite(spec.stepMs) || spec.stepMs <= 0) {
    throw new RangeError(`stepMs must be a positive number of milliseconds, got ${spec.stepMs}`);
  }
  const stepSeconds = (Math.ceil(spec.stepMs) / 1_000).toFixed(3);
  return {
    command: SHELL,
    args: ['-c', TETHER_SCRIPT, spec.name, stepSeconds, spec.command, ...spec.args],
  };
}
