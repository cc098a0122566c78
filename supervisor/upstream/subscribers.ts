/**
 * Who wants the updates of which resource: each URI with the downstream subscribers (a 2025
 * session, a 2026 listen stream) that asked for it. The first subscriber of a URI is the one that
 * subscribes upstream and the last one to leave unsubscribes, so one client's `unsubscribe` never
 * ends another's subscription on the shared upstream connection.
 */
export class Subscribers {
  readonly #byUri = new Map<string, Set<string>>();

  /** Adds `subscriber` to `uri`; true when it is the URI's first (subscribe upstream). */
  add(uri: string, subscriber: string): boolean {
    const subscribers = this.#byUri.get(uri);
    if (subscribers) {
      subscribers.add(subscriber);
      return false;
    }
    this.#byUri.set(uri, new Set([subscriber]));
    return true;
  }

  /** Removes `subscriber` from `uri`; true when it was the URI's last (unsubscribe upstream). */
  remove(uri: string, subscriber: string): boolean {
    const subscribers = this.#byUri.get(uri);
    if (!subscribers?.delete(subscriber) || subscribers.size > 0) return false;
    this.#byUri.delete(uri);
    return true;
  }

  /** Every URI someone subscribed to. */
  uris(): string[] {
    return [...this.#byUri.keys()];
  }
}
