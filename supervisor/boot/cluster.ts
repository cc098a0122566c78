import type { ClusterStatus } from '../client/wire-types.ts';
import { ClusteredGuards } from '../cluster/clustered-guards.ts';
import { resolveClusterConfig } from '../cluster/config.ts';
import { ClusterConnection } from '../cluster/connection.ts';
import { ClusterKeyEvents } from '../cluster/key-events.ts';
import { syncClientKeys } from '../cluster/key-sync.ts';
import type { ClusterSettings } from '../config/schema.ts';
import type { GuardFactory } from '../limits/guards.ts';
import type { Logger } from '../shared/logger.ts';
import type { ClientKeys } from '../store/client-keys.ts';
import type { Shutdown } from './shutdown.ts';

/** What the rest of the supervisor uses of the cluster. */
export interface ClusterWiring {
  /** This supervisor's `hostLabel`: the `host` label of its metrics. */
  readonly host: string;
  /** The guard factory for `ServerGuards`: every server's limits shared through Redis. */
  readonly createGuard: GuardFactory;
  status(): ClusterStatus;
}

/**
 * Starts the cluster's parts when `supervisor.cluster` is configured: the Redis connection (in
 * the background: a supervisor starts whether Redis is up or not), the key events and the client
 * keys' sync. Registers their stop steps, which run after the guards' (registered later): the
 * guards free their shared slots, then the key events stop, then the connection leaves the
 * member list and closes.
 */
export function startCluster(options: {
  settings: ClusterSettings;
  keys: ClientKeys;
  logger: Logger;
  shutdown: Shutdown;
}): ClusterWiring {
  const { keys, logger, shutdown } = options;
  const config = resolveClusterConfig(options.settings);
  const connection = new ClusterConnection({ config, logger });
  connection.start();
  shutdown.add('cluster connection', () => connection.stop());
  const keyEvents = new ClusterKeyEvents({ connection });
  keyEvents.start();
  const sync = syncClientKeys({ keys, events: keyEvents, connection, logger });
  shutdown.add('cluster key events', async () => {
    sync.dispose();
    await keyEvents.stop();
  });
  const guards = new ClusteredGuards({ connection, keyEvents });
  logger.info(
    { cluster: config.id, host: config.hostLabel, redis: connection.stats().redis },
    'cluster configured: limits and client keys shared through Redis',
  );
  return { host: config.hostLabel, createGuard: guards.create, status: () => guards.status() };
}
