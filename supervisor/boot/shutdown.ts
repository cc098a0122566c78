import { errorMessage } from '../shared/errors.ts';
import type { Logger } from '../shared/logger.ts';

type StopStep = { readonly name: string; readonly stop: () => Promise<void> | void };

/**
 * The clean stop as named steps. Each part registers its step when it starts, so the steps are
 * in start order; `stop()` undoes them in reverse, each on its own (a step that throws is
 * reported and the next one still runs), within one deadline after which `stopped` resolves
 * anyway so the process can exit.
 */
export class Shutdown {
  readonly #steps: StopStep[] = [];
  readonly #logger: Logger;
  readonly #deadlineMs: number;
  readonly #stopped: Promise<void>;
  #resolveStopped!: () => void;
  #stopping: Promise<void> | undefined;

  constructor(options: { logger: Logger; deadlineMs: number }) {
    this.#logger = options.logger;
    this.#deadlineMs = options.deadlineMs;
    this.#stopped = new Promise<void>((resolve) => {
      this.#resolveStopped = resolve;
    });
  }

  /** Resolves when every step ran, or when the deadline passed. */
  get stopped(): Promise<void> {
    return this.#stopped;
  }

  /** Registers the step that undoes what was just started. */
  add(name: string, stop: () => Promise<void> | void): void {
    this.#steps.push({ name, stop });
  }

  /** Runs the steps in reverse order, once; later calls return the same promise. */
  stop(reason: string): Promise<void> {
    this.#stopping ??= this.#run(reason);
    return this.#stopping;
  }

  async #run(reason: string): Promise<void> {
    this.#logger.info({ reason }, 'stopping');
    const deadline = setTimeout(() => {
      this.#logger.error(`clean stop did not finish within ${this.#deadlineMs} ms`);
      this.#resolveStopped();
    }, this.#deadlineMs);
    deadline.unref();
    try {
      for (const step of this.#steps.toReversed()) {
        try {
          await step.stop();
        } catch (error) {
          // The log may already be closed; stderr is the last resort.
          process.stderr.write(`mcp-supervisor: stopping ${step.name} failed: ${errorMessage(error)}\n`);
        }
      }
    } finally {
      clearTimeout(deadline);
      this.#resolveStopped();
    }
  }
}
