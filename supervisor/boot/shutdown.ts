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
  /** Every step has run (or the stop is past them): a step added now runs at once. */
  #isDone = false;

  constructor(options: { logger: Logger; deadlineMs: number }) {
    this.#logger = options.logger;
    this.#deadlineMs = options.deadlineMs;
    this.#stopped = new Promise<void>((resolve) => {
      this.#resolveStopped = resolve;
    });
  }

  /** Whether the stop has begun: a deferred start of a part checks this first. */
  get isStopping(): boolean {
    return this.#stopping !== undefined;
  }

  /** Resolves when every step ran, or when the deadline passed. */
  get stopped(): Promise<void> {
    return this.#stopped;
  }

  /**
   * Registers the step that undoes what was just started. Added while the stop runs, it runs next
   * (it undoes the newest part); added once the stop is over, it runs at once: a part that
   * finished starting during the stop is undone all the same, and cannot keep the process alive.
   */
  add(name: string, stop: () => Promise<void> | void): void {
    const step = { name, stop };
    if (this.#isDone) void runStep(step);
    else this.#steps.push(step);
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
      // Newest first, taken one at a time: a step added meanwhile is the newest.
      for (let step = this.#steps.pop(); step; step = this.#steps.pop()) await runStep(step);
    } finally {
      this.#isDone = true;
      clearTimeout(deadline);
      this.#resolveStopped();
    }
  }
}

/** Runs one step; a step that throws is reported and never stops the others. */
async function runStep(step: StopStep): Promise<void> {
  try {
    await step.stop();
  } catch (error) {
    // The log may already be closed; stderr is the last resort.
    process.stderr.write(`mcp-supervisor: stopping ${step.name} failed: ${errorMessage(error)}\n`);
  }
}
