import type { ChildProcess } from 'node:child_process';
import { EXIT_CODES, SupervisorError } from '../shared/errors.ts';
import type { HomePaths } from '../shared/home.ts';
import { printProgress } from './format.ts';

/**
 * SIGINT and SIGTERM (a `stop`, Ctrl-C) while `start -d` runs: before the supervisor is launched
 * they are noted (and {@link StopRequests.throwIfAny} ends the start), after it they are passed on
 * to it; a second one leaves at once.
 */
export type StopRequests = {
  readonly count: number;
  /** Throws NOT_RUNNING when a stop came: nothing was launched, nothing runs. */
  throwIfAny(): void;
  /** The supervisor launched: stops from now on go to it. */
  passTo(child: ChildProcess): void;
  dispose(): void;
};

export function listenForStops(paths: HomePaths): StopRequests {
  let count = 0;
  let target: ChildProcess | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    if (++count > 1) process.exit(EXIT_CODES.INTERNAL);
    if (target && target.exitCode === null && target.signalCode === null) target.kill('SIGTERM');
    printProgress(`${signal}: stopping the supervisor`);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    get count() {
      return count;
    },
    throwIfAny() {
      if (count > 0) throw stoppedWhileStarting(paths);
    },
    passTo(child) {
      target = child;
    },
    dispose() {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}

export function stoppedWhileStarting(paths: HomePaths): SupervisorError {
  return new SupervisorError(
    'NOT_RUNNING',
    `the supervisor was stopped while it started (a stop or a signal); nothing runs for home ${paths.root}`,
  );
}
