import type { ClusterStatus } from '../client/wire-types.ts';
import type { ServerGuard, ServerGuardOptions } from '../limits/server-guard.ts';
import { type ClusteredGuard, createClusteredGuard } from './clustered-guard.ts';
import type { ClusterConnection } from './connection.ts';
import type { ClusterKeyEvents } from './key-events.ts';

/**
 * The clustered guards of one supervisor: the guard factory `ServerGuards` is given when a
 * cluster is configured (every server's limits then shared through the cluster's Redis), and the
 * registry the cluster status reads each server's view from. A guard leaves the registry when it
 * is disposed (server removed, or replaced by a reload).
 */
export class ClusteredGuards {
  readonly #connection: ClusterConnection;
  readonly #keyEvents: ClusterKeyEvents | undefined;
  readonly #guards = new Map<string, ClusteredGuard>();

  constructor(options: { connection: ClusterConnection; keyEvents?: ClusterKeyEvents }) {
    this.#connection = options.connection;
    this.#keyEvents = options.keyEvents;
  }

  /** A `ServerGuards` guard factory: `createClusteredGuard` on this supervisor's connection. */
  readonly create = (options: ServerGuardOptions): ServerGuard => {
    const guard = createClusteredGuard({ ...options, cluster: this.#connection });
    const registered: ClusteredGuard = {
      ...guard,
      dispose: () => {
        if (this.#guards.get(guard.server) === registered) this.#guards.delete(guard.server);
        return guard.dispose();
      },
    };
    this.#guards.set(guard.server, registered);
    return registered;
  };

  /** `GET /api/status`'s `cluster`, and what the cluster gauges and alert rule read. */
  status(): ClusterStatus {
    const servers: ClusterStatus['servers'] = {};
    for (const [name, guard] of this.#guards) servers[name] = guard.clusterStats();
    const keyEvents = this.#keyEvents?.stats();
    return { ...this.#connection.stats(), ...(keyEvents ? { keyEvents } : {}), servers };
  }
}
