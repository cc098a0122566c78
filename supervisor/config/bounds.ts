import { constants as bufferConstants } from 'node:buffer';
import { z } from 'zod';
import { MAX_TIMER_MS } from '../shared/timers.ts';

/**
 * Limits of the platform that config values must respect, each with the reason a user reads when
 * a value crosses it. A value the schema accepts must run: these are where it would not.
 */

/**
 * The longest a server is given to exit after SIGTERM: a stop, restart or reload of it waits that
 * long (PM2's kill_timeout and the supervisor's own process-group kill), so 10 minutes at most.
 */
export const MAX_KILL_TIMEOUT_MS = 600_000;

/** A request body is parsed as one string; V8 cannot make a longer one. */
export const MAX_BODY_BYTES = bufferConstants.MAX_STRING_LENGTH;

/**
 * Ports the Fetch standard blocks (https://fetch.spec.whatwg.org/#port-blocking): browsers, and
 * the fetch of Node the CLI uses, refuse to connect to them, so a supervisor there is unreachable.
 */
export const BAD_PORTS: ReadonlySet<number> = new Set([
  1, 7, 9, 11, 13, 15, 17, 19, 20, 21, 22, 23, 25, 37, 42, 43, 53, 69, 77, 79, 87, 95, 101, 102, 103, 104,
  109, 110, 111, 113, 115, 117, 119, 123, 135, 137, 139, 143, 161, 179, 389, 427, 465, 512, 513, 514, 515,
  526, 530, 531, 532, 540, 548, 554, 556, 563, 587, 601, 636, 989, 990, 993, 995, 1719, 1720, 1723, 2049,
  3659, 4045, 4190, 5060, 5061, 6000, 6566, 6665, 6666, 6667, 6668, 6669, 6679, 6697, 10080,
]);

/** Why a port number 0-65535 cannot be used, or undefined (0 asks the system for a free port). */
export function portProblem(port: number): string | undefined {
  if (!BAD_PORTS.has(port)) return undefined;
  return `port ${port} is one browsers and fetch refuse to connect to (the Fetch standard's bad ports); the CLI and the console could not reach it: pick another`;
}

/** A listening port: 0-65535 without the Fetch standard's bad ports. */
export const portSchema = z
  .number()
  .int()
  .min(0, 'must be a port number 0-65535')
  .max(65_535, 'must be a port number 0-65535')
  .superRefine((port, ctx) => {
    const problem = portProblem(port);
    if (problem) ctx.addIssue({ code: 'custom', message: problem, input: port });
  });

/**
 * Whole milliseconds used as a timer's delay: at least `min` (with `why`), at most what a Node
 * timer can wait.
 */
export function timerMs(min = 1, why?: string) {
  return z
    .number()
    .int()
    .min(min, why ? `must be at least ${min} ms: ${why}` : `must be at least ${min} ms`)
    .max(
      MAX_TIMER_MS,
      `must be at most ${MAX_TIMER_MS} ms (about 24.8 days): a Node timer set longer fires after 1 ms instead`,
    );
}
