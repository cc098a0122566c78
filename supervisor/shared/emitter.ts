import { errorMessage } from './errors.ts';
import { type Logger, silentLogger } from './logger.ts';

export type Listener<T> = (event: T) => void;

/**
 * A minimal typed event emitter. A throwing listener is logged and does not stop the others nor
 * reach the emitter's caller.
 */
export class TypedEmitter<T> {
  readonly #listeners = new Set<Listener<T>>();
  readonly #logger: Logger;

  constructor(logger: Logger = silentLogger) {
    this.#logger = logger;
  }

  /** Subscribes; returns the function that unsubscribes. */
  on(listener: Listener<T>): () => void {
    this.#listeners.add(listener);
    return () => this.off(listener);
  }

  off(listener: Listener<T>): void {
    this.#listeners.delete(listener);
  }

  emit(event: T): void {
    for (const listener of [...this.#listeners]) {
      try {
        listener(event);
      } catch (error) {
        this.#logger.error({ err: errorMessage(error) }, 'event listener failed');
      }
    }
  }
}
