import { z } from 'zod';
import { isLoopbackHost } from '../shared/hosts.ts';
import { MAX_BODY_BYTES, MAX_KILL_TIMEOUT_MS, portSchema, timerMs } from './bounds.ts';

/**
 * Server names become PM2 process names, socket file names and the `<server>__` prefix of
 * aggregated tool names, so they are restricted to characters every MCP client accepts, and may not
 * contain `__` (which keeps `<server>__<tool>` unambiguous by construction).
 */
export const SERVER_NAME_PATTERN = /^(?!.*__)[A-Za-z0-9_-]{1,48}$/;

const positiveInt = z.number().int().positive();

/**
 * Variables of the supervisor itself, which no server inherits whatever a list says: ours may hold
 * a client key, and a server that saw `PM2_HOME` would talk to our private daemon.
 */
export const NEVER_INHERITED_ENV_PREFIXES = ['MCP_SUPERVISOR_', 'PM2_'] as const;

/** An environment variable name, or a prefix of one ending in `*` (`LC_*`); never a bare `*`. */
export const INHERIT_ENV_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_()]*\*?$/;

const inheritEnvNameSchema = z
  .string()
  .regex(INHERIT_ENV_NAME_PATTERN, {
    message: 'expected a variable name or a prefix ending in "*" (e.g. "AWS_PROFILE", "LC_*")',
  })
  .refine((name) => !NEVER_INHERITED_ENV_PREFIXES.some((prefix) => name.toUpperCase().startsWith(prefix)), {
    message: `${NEVER_INHERITED_ENV_PREFIXES.map((p) => `${p}*`).join(' and ')} are the supervisor's own variables and never reach a server; set a value in the server's "env" instead`,
  });
const nonNegativeInt = z.number().int().nonnegative();
const requestTimeoutMs = timerMs(100, 'no MCP round trip is faster; every request would time out');
/** How long a client may take to send a request: shorter, and a client on a loaded machine gets 408. */
const receiveMs = timerMs(
  1_000,
  'a client on a slow link or a busy machine could not send its request in time (408)',
);

export const serverLimitsSchema = z
  .object({
    maxConcurrent: positiveInt.optional(),
    requestsPerMinute: positiveInt.optional(),
    burst: positiveInt.optional(),
    queueSize: nonNegativeInt.optional(),
    requestTimeoutMs: requestTimeoutMs.optional(),
  })
  .strict();

const toolFilterSchema = z
  .object({
    allow: z.array(z.string()).optional(),
    deny: z.array(z.string()).optional(),
  })
  .strict();

export const serverSchema = z
  .object({
    command: z.string().min(1).optional(),
    args: z.array(z.string()).default([]),
    env: z.record(z.string(), z.string()).default({}),
    cwd: z.string().min(1).optional(),
    url: z.url().optional(),
    headers: z.record(z.string(), z.string()).default({}),
    disabled: z.boolean().default(false),
    /** Claude Desktop / VS Code write a `type`; it is accepted and checked against what is given. */
    type: z.enum(['stdio', 'http', 'streamable-http', 'streamableHttp', 'sse']).optional(),
    limits: serverLimitsSchema.default({}),
    tools: toolFilterSchema.default({}),
    /** Time a freshly started server gets to answer `initialize`. */
    startTimeoutMs: timerMs(1_000, 'a server needs that long to start and answer initialize').default(60_000),
    /** Variables this server inherits from the supervisor on top of `supervisor.env`'s list. */
    inheritEnv: z.array(inheritEnvNameSchema).optional(),
  })
  .strict()
  .superRefine((server, ctx) => {
    if (!server.command && !server.url) {
      ctx.addIssue({
        code: 'custom',
        message: 'a server needs a "command" (stdio, or an HTTP server to run) or a "url" (remote)',
      });
    }
    for (const name of Object.keys(server.env)) {
      // A server is started through a POSIX shell, which can export no other name.
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
        ctx.addIssue({
          code: 'custom',
          path: ['env', name],
          message: `"${name}" cannot be an environment variable name (letters, digits and "_", not starting with a digit); rename it`,
        });
      }
    }
    if (server.type === 'sse') {
      ctx.addIssue({
        code: 'custom',
        path: ['type'],
        message: 'the deprecated SSE transport is not supported; use a Streamable HTTP "url"',
      });
    }
  });

export const restartSchema = z
  .object({
    maxRestarts: positiveInt.default(10),
    backoffMs: timerMs().default(100),
    maxBackoffMs: timerMs().default(30_000),
    /** A run shorter than this counts as an unstable (crash-loop) restart. */
    minUptimeMs: positiveInt.default(5_000),
    /** Time a server gets to exit after SIGTERM before it is killed. */
    killTimeoutMs: z
      .number()
      .int()
      .min(1, 'must be at least 1 ms')
      .max(
        MAX_KILL_TIMEOUT_MS,
        'must be at most 600000 ms (10 minutes): the longest a server may take to exit',
      )
      .default(5_000),
  })
  .strict();

export const limitsSchema = z
  .object({
    maxConcurrentPerServer: positiveInt.default(50),
    maxConcurrentPerClient: positiveInt.default(10),
    maxTotalConcurrent: positiveInt.default(500),
    queueSize: nonNegativeInt.default(1000),
    requestTimeoutMs: requestTimeoutMs.default(30_000),
    adaptive: z.boolean().default(true),
  })
  .strict();

export const thresholdsSchema = z
  .object({
    cpuPercent: z.number().positive().max(100).default(80),
    memoryPercent: z.number().positive().max(100).default(85),
    loadPerCore: z.number().positive().default(1.5),
    responseTimeMs: positiveInt.default(5_000),
    errorRatePercent: z.number().positive().max(100).default(10),
    queueSaturationPercent: z.number().positive().max(100).default(80),
  })
  .strict();

export const monitorSchema = z
  .object({
    intervalMs: timerMs(100, 'sampling more often loads the host it measures').default(5_000),
    healthCheckIntervalMs: timerMs(1_000, 'pinging more often loads the servers it checks').default(30_000),
    thresholds: thresholdsSchema.default(thresholdsSchema.parse({})),
    /** How many consecutive samples over a host threshold fire an alert (not one spike). */
    sustainedSamples: positiveInt.default(3),
    /** Requests in the last minute below which latency and error-rate rules stay quiet. */
    minRequests: positiveInt.default(20),
    alertCooldownMs: positiveInt.default(300_000),
    /**
     * A firing alert resolves only once its value is below its threshold by this percent of the
     * threshold (80 % CPU with 10: below 72 %), so a value hovering at the threshold is one alert.
     */
    alertHysteresisPercent: z
      .number()
      .min(0)
      .lt(100, 'must be below 100: a firing alert must be able to clear')
      .default(10),
    webhook: z
      .object({ url: z.url(), headers: z.record(z.string(), z.string()).default({}) })
      .strict()
      .optional(),
  })
  .strict();

export const retentionSchema = z
  .object({
    requestsDays: positiveInt.default(7),
    samplesDays: positiveInt.default(30),
  })
  .strict();

export const logSchema = z
  .object({
    level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    format: z.enum(['json', 'pretty']).default('json'),
  })
  .strict();

/** A `Host` header value: a name or an IP (IPv6 in brackets), with an optional port. */
export const HOST_HEADER_PATTERN = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_.-]+)(:\d{1,5})?$/;

export const gatewaySchema = z
  .object({
    /** `none` lets any local process call the gateway; allowed only on a loopback host. */
    auth: z.enum(['keys', 'none']).default('keys'),
    maxBodyBytes: z
      .number()
      .int()
      .min(1_024, 'must be at least 1024 bytes: a smaller body cannot hold an MCP initialize request')
      .max(
        MAX_BODY_BYTES,
        `must be at most ${MAX_BODY_BYTES} bytes: a body is parsed as one string, and V8 makes none longer`,
      )
      .default(4 * 1024 * 1024),
    /** A session without a request for this long is closed (checked at most every minute). */
    sessionIdleMs: z
      .number()
      .int()
      .min(10_000, 'must be at least 10000 ms: a client pausing between two calls would lose its session')
      .default(30 * 60_000),
    maxSessions: positiveInt.default(1_000),
    /** Sessions one client key may hold; default a quarter of maxSessions, never more than it. */
    maxSessionsPerKey: positiveInt.optional(),
    allowedOrigins: z.array(z.string()).default([]),
    /** `/health/detailed` (server names, states, host figures) without the control token. */
    publicHealthDetails: z.boolean().default(false),
    /**
     * Connections the listener holds at once (idle ones are closed, oldest first, to make room);
     * default derived from the open-file limit, at most 8192.
     */
    maxConnections: positiveInt.optional(),
    /** Connections of one remote address; default all of maxConnections on loopback, a quarter otherwise. */
    maxConnectionsPerAddress: positiveInt.optional(),
    /** Time a client has to send a request's headers (at most receiveTimeoutMs: it is part of it). */
    headersTimeoutMs: receiveMs.default(10_000),
    /** Time a client has to send a whole request (headers and body); answers are not timed by it. */
    receiveTimeoutMs: receiveMs.default(30_000),
    /**
     * `Host` headers accepted besides the listener's own address (DNS-rebinding protection), for
     * a supervisor bound to 0.0.0.0 that clients reach by a name: `"supervisor-1:7420"` exactly,
     * or `"supervisor-1"` (no port: that name with no port or with the listener's port).
     */
    allowedHosts: z
      .array(
        z
          .string()
          .regex(HOST_HEADER_PATTERN, {
            message: 'expected a host name or IP with an optional port, e.g. "supervisor-1:7420"',
          })
          .transform((host) => host.toLowerCase()),
      )
      .default([]),
  })
  .strict();

export const captureSchema = z
  .object({
    /** Store each request's arguments and result in the request log; off: only its outcome. */
    payloads: z.boolean().default(false),
    /** Longest stored payload (each of arguments and result), in UTF-8 bytes. */
    maxBytes: positiveInt.max(1_048_576).default(4_096),
    /** Key names whose values are redacted besides the secret-looking ones (password, token, …). */
    redactKeys: z.array(z.string().min(1)).default([]),
  })
  .strict();

const CLUSTER_NAME_PATTERN = /^[A-Za-z0-9_.-]{1,64}$/;
const clusterNameMessage = 'expected 1-64 characters of A-Z a-z 0-9 _ . -';
const redisUrlSchema = z.string().regex(/^rediss?:\/\/\S+$/, {
  // biome-ignore lint/suspicious/noTemplateCurlyInString: the config syntax, not a template
  message: 'expected a redis:// or rediss:// URL, e.g. "redis://redis:6379" or "${REDIS_URL}"',
});

/**
 * `supervisor.cluster`: several supervisors sharing limits and key events through one Redis (see
 * `cluster/`). Without it nothing is clustered and nothing touches Redis. `"redis": "${REDIS_URL}"`
 * keeps a password out of the file (every string is expanded first); the older shape
 * `"redis": { "url": "…" }` is still accepted.
 */
export const clusterConfigSchema = z
  .object({
    /** Where the cluster's Redis is: a URL, or (older configs) `{ url }`. */
    redis: z
      .union([redisUrlSchema, z.object({ url: redisUrlSchema }).strict()])
      .transform((value) => (typeof value === 'string' ? value : value.url)),
    /**
     * The cluster's name: supervisors with the same `id` on the same Redis share limits and key
     * events; another `id` on the same Redis is a separate cluster.
     */
    id: z.string().regex(CLUSTER_NAME_PATTERN, clusterNameMessage).default('default'),
    /** Bound of every Redis call; a slower call counts as Redis unavailable (`onUnavailable`). */
    timeoutMs: z.number().int().min(10).max(60_000).default(500),
    /**
     * While Redis is down or slow: `local` — each supervisor enforces its share of every limit
     * (the limit divided by the members it last saw) and an alert fires; `refuse` — requests to
     * clustered servers get `server_unavailable` with a `retryAfterMs`.
     */
    onUnavailable: z.enum(['local', 'refuse']).default('local'),
    /** This supervisor's name among the members and its `host` metric label. Default: the hostname. */
    hostLabel: z.string().regex(CLUSTER_NAME_PATTERN, clusterNameMessage).optional(),
    /** How often this supervisor says it is alive; a member unseen for 3 periods is gone. */
    heartbeatMs: z.number().int().min(100).max(60_000).default(2_000),
    /**
     * Shared secret that signs replicated client keys (HMAC-SHA256). Without it, key creations are
     * announced but not replicated between hosts (a writer to Redis must not be able to mint keys).
     */
    keySecret: z.string().min(32, 'expected at least 32 characters (e.g. openssl rand -hex 32)').optional(),
  })
  .strict();

/** What servers inherit from the supervisor's environment (see process/server-env.ts). */
export const envSchema = z
  .object({
    /** Names (or `PREFIX*`) every server inherits besides the built-in list. */
    inherit: z.array(inheritEnvNameSchema).default([]),
    /** `false`: the built-in list is not used, servers inherit `inherit` only. */
    inheritDefaults: z.boolean().default(true),
  })
  .strict();

export const supervisorSchema = z
  .object({
    port: portSchema.default(7420),
    /** The address to listen on; `0.0.0.0` or `::` listen on every interface (loopback included). */
    host: z.string().min(1).default('127.0.0.1'),
    limits: limitsSchema.default(limitsSchema.parse({})),
    restart: restartSchema.default(restartSchema.parse({})),
    monitor: monitorSchema.default(monitorSchema.parse({})),
    retention: retentionSchema.default(retentionSchema.parse({})),
    log: logSchema.default(logSchema.parse({})),
    gateway: gatewaySchema.default(gatewaySchema.parse({})),
    env: envSchema.default(envSchema.parse({})),
    capture: captureSchema.default(captureSchema.parse({})),
    cluster: clusterConfigSchema.optional(),
  })
  .strict()
  .superRefine((settings, ctx) => {
    if (settings.gateway.auth === 'none' && !isLoopbackHost(settings.host)) {
      ctx.addIssue({
        code: 'custom',
        path: ['gateway', 'auth'],
        message: `"none" is allowed only on a loopback host, not "${settings.host}" (any machine that reaches it could call every server); use "keys", or set supervisor.host to 127.0.0.1`,
      });
    }
  });

export const configSchema = z
  .object({
    $schema: z.string().optional(),
    mcpServers: z
      .record(z.string(), serverSchema)
      .default({})
      .superRefine((servers, ctx) => {
        for (const name of Object.keys(servers)) {
          if (!SERVER_NAME_PATTERN.test(name)) {
            ctx.addIssue({
              code: 'custom',
              path: [name],
              message: `server name "${name}" must be 1-48 characters of A-Z a-z 0-9 _ - without "__"`,
            });
          }
        }
      }),
    supervisor: supervisorSchema.default(supervisorSchema.parse({})),
  })
  .strict();

export type Config = z.infer<typeof configSchema>;
export type ServerConfig = z.infer<typeof serverSchema>;
export type SupervisorSettings = z.infer<typeof supervisorSchema>;
export type LimitsConfig = z.infer<typeof limitsSchema>;
export type ServerLimitsConfig = z.infer<typeof serverLimitsSchema>;
export type RestartConfig = z.infer<typeof restartSchema>;
export type MonitorConfig = z.infer<typeof monitorSchema>;
export type ThresholdsConfig = z.infer<typeof thresholdsSchema>;
export type RetentionConfig = z.infer<typeof retentionSchema>;
export type GatewayConfig = z.infer<typeof gatewaySchema>;
export type ClusterSettings = z.infer<typeof clusterConfigSchema>;
export type SupervisorEnvConfig = z.infer<typeof envSchema>;
export type CaptureConfig = z.infer<typeof captureSchema>;

/** How a configured server is reached. */
export type ServerKind = 'stdio' | 'http' | 'remote';

export function serverKind(server: ServerConfig): ServerKind {
  if (server.url) return server.command ? 'http' : 'remote';
  return 'stdio';
}
