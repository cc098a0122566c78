import type { ServerGuardLimits } from '../limits/server-guard.ts';
import { refusalError } from '../shared/refusals.ts';
import type { ClusterConnection } from './connection.ts';

/**
 * The refusals of a clustered guard: the local guard's reasons and `data`, with messages that say
 * the limits are shared. Read live, so they describe the limits in force.
 */
export function clusterRefusals(options: {
  server: string;
  cluster: ClusterConnection;
  limits: () => ServerGuardLimits;
  /** Estimate for queue_full's retryAfterMs: the wait of the requests ahead. */
  queueWaitMs: () => number;
}) {
  const { server, cluster } = options;
  return {
    /** The guard was disposed (server stopped or removed). */
    unavailable: (cause?: unknown) =>
      refusalError(
        { reason: 'server_unavailable', server, retryAfterMs: 1_000 },
        `server "${server}" was stopped or removed while the request was pending; retry when it is running`,
        { cause },
      ),
    /** `onUnavailable: "refuse"` while Redis is not connected. */
    redisUnavailable: (cause?: unknown) =>
      refusalError(
        { reason: 'server_unavailable', server, retryAfterMs: cluster.retryAfterMs() },
        `server "${server}" has limits shared through Redis, which is ${cluster.state()}; retry later (cluster.onUnavailable is "refuse")`,
        { cause },
      ),
    queueFull: (cause?: unknown) =>
      refusalError(
        {
          reason: 'queue_full',
          server,
          retryAfterMs: Math.min(60_000, Math.max(100, options.queueWaitMs())),
        },
        `server "${server}" has ${options.limits().queueSize} requests waiting on this host; retry later or raise its limits.queueSize / maxConcurrent`,
        { cause },
      ),
    rateLimited: (retryAfterMs: number) => {
      const limits = options.limits();
      return refusalError(
        { reason: 'rate_limited', server, retryAfterMs },
        `server "${server}" allows ${limits.requestsPerMinute} requests per minute (burst ${limits.burst ?? limits.requestsPerMinute}) across the cluster; retry later`,
      );
    },
  };
}
