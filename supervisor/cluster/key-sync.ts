import { errorMessage } from '../shared/errors.ts';
import type { Logger } from '../shared/logger.ts';
import type { ClientKeyRecord, ClientKeys } from '../store/client-keys.ts';
import type { ClusterConnection } from './connection.ts';
import type { ClusterKeyEvents } from './key-events.ts';
import { reconcileKeys } from './key-records.ts';

/**
 * Keeps this supervisor's client keys (its SQLite) in step with the cluster's (see
 * key-records.ts for why keys stay per host):
 *
 * - a key created or revoked here is published (signed when the cluster has a `keySecret`); when
 *   Redis is unavailable the publish fails, is logged, and the change goes out at the next
 *   reconcile;
 * - a key revoked elsewhere drops out of this host's 5-minute cache at once and is revoked in its
 *   SQLite; a key created elsewhere drops any cached refusal of its token, and is inserted only
 *   when its signature verifies;
 * - each time the connection becomes `connected` (the first time, and after every outage), and
 *   each time the key events are subscribed again, the cluster's key log is read and reconciled: what this host lacks is applied, what the log lacks
 *   or has older is published again (so the others hear of it at once, and a flushed Redis is
 *   re-seeded).
 *
 * Returns a disposable; dispose it before the key events are stopped.
 */
export function syncClientKeys(options: {
  keys: ClientKeys;
  events: ClusterKeyEvents;
  connection: ClusterConnection;
  logger: Logger;
}): { dispose(): void; reconcile(): Promise<void> } {
  const { keys, events, connection, logger } = options;
  let isDisposed = false;

  const publish = (record: ClientKeyRecord): Promise<void> =>
    record.revokedAt === null ? events.publishCreated(record) : events.publishRevoked(record);

  const offChange = keys.onChange(({ record }) => {
    publish(record).catch((error: unknown) => {
      logger.warn(
        { key: record.id, err: errorMessage(error) },
        'cluster: the key change is published when Redis is back',
      );
    });
  });

  const eventSubscription = events.onEvent((event) => {
    keys.applyRemote(event.record, { mayInsert: event.type === 'created' && event.isVerified });
  });

  let running: Promise<void> | undefined;
  let isAgain = false;
  async function reconcileOnce(): Promise<void> {
    const log = await events.readLog();
    const { apply, publish: missing } = reconcileKeys(keys.records(), log, connection.config.keySecret);
    // reconcileKeys only returns creations whose signature verified.
    for (const record of apply) keys.applyRemote(record, { mayInsert: true });
    for (const record of missing) await publish(record);
    if (apply.length + missing.length > 0) {
      logger.info({ applied: apply.length, published: missing.length }, 'cluster: client keys reconciled');
    }
  }
  /** One reconcile at a time; a request while one runs makes one more run after it. */
  function reconcile(): Promise<void> {
    if (running) {
      isAgain = true;
      return running;
    }
    running = (async () => {
      try {
        do {
          isAgain = false;
          if (isDisposed) return;
          await reconcileOnce();
        } while (isAgain);
      } finally {
        running = undefined;
      }
    })();
    return running;
  }

  const reconcileInBackground = () =>
    reconcile().catch((error: unknown) => {
      logger.warn(
        { err: errorMessage(error) },
        'cluster: client keys not reconciled; retried at the next reconnect',
      );
    });
  const stateSubscription = connection.onStateChange((state) => {
    if (state === 'connected') void reconcileInBackground();
  });
  // Events published while the subscription was down are only in the log.
  const subscribedSubscription = events.onSubscribed(() => {
    if (connection.isAvailable()) void reconcileInBackground();
  });

  return {
    reconcile,
    dispose() {
      isDisposed = true;
      offChange();
      eventSubscription.dispose();
      stateSubscription.dispose();
      subscribedSubscription.dispose();
    },
  };
}
