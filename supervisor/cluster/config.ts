import { hostname } from 'node:os';
import { z } from 'zod';

/**
 * `supervisor.cluster`: several supervisors sharing limits and key events through one Redis.
 * Without it (the embedded default) nothing is clustered and nothing touches Redis.
 *
 * `${REDIS_URL}` is expanded from the environment before this schema sees the value (the config
 * loader expands every string first), so `"redis": "${REDIS_URL}"` is the way to keep a password
 * out of the file. The older shape `"redis": { "url": "…" }` is still accepted.
 */
const redisUrlSchema = z
  .string()
  .min(1)
  .refine((value) => /^rediss?:\/\/[^\s]+$/.test(value), {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the config syntax, not a template
    message: 'expected a redis:// or rediss:// URL, e.g. "redis://redis:6379" or "${REDIS_URL}"',
  });

/** Names that become part of Redis keys, channels and metric labels. */
const NAME_PATTERN = /^[A-Za-z0-9_.-]{1,64}$/;

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
    id: z.string().regex(NAME_PATTERN, 'expected 1-64 characters of A-Z a-z 0-9 _ . -').default('default'),
    /**
     * Bound of every Redis call. A call that takes longer counts as Redis being unavailable, and
     * the request goes the `onUnavailable` way instead of waiting.
     */
    timeoutMs: z.number().int().min(10).max(60_000).default(500),
    /**
     * While Redis is down or slow: `local` — each supervisor enforces its share of every limit
     * (the limit divided by the members it last saw) and an alert condition is raised; `refuse` —
     * requests are refused with `server_unavailable` and a `retryAfterMs`.
     */
    onUnavailable: z.enum(['local', 'refuse']).default('local'),
    /** This supervisor's name among the members and its `host` metric label. Default: the hostname. */
    hostLabel: z.string().regex(NAME_PATTERN, 'expected 1-64 characters of A-Z a-z 0-9 _ . -').optional(),
    /** How often this supervisor says it is alive; a member unseen for 3 periods is gone. */
    heartbeatMs: z.number().int().min(100).max(60_000).default(2_000),
    /**
     * Shared secret that signs replicated client keys (HMAC-SHA256). Without it, key creations are
     * announced but not replicated between hosts (a writer to Redis must not be able to mint keys).
     */
    keySecret: z.string().min(32, 'expected at least 32 characters (e.g. openssl rand -hex 32)').optional(),
  })
  .strict();

export type ClusterConfigInput = z.input<typeof clusterConfigSchema>;

/** The validated cluster config, every default applied and `hostLabel` resolved. */
export type ClusterConfig = Omit<z.output<typeof clusterConfigSchema>, 'hostLabel'> & {
  hostLabel: string;
};

/** A metric label / member name made of the machine's hostname (dots and odd characters kept safe). */
export function defaultHostLabel(name = hostname()): string {
  const cleaned = name.replace(/[^A-Za-z0-9_.-]/g, '-').slice(0, 64);
  return cleaned.length > 0 ? cleaned : 'host';
}

/** Resolves the defaults that depend on the machine (the host label). */
export function resolveClusterConfig(parsed: z.output<typeof clusterConfigSchema>): ClusterConfig {
  return { ...parsed, hostLabel: parsed.hostLabel ?? defaultHostLabel() };
}

/**
 * Parses `supervisor.cluster` on its own (until the lead moves the schema into config/schema.ts):
 * throws a TypeError whose message names each field, e.g.
 * `supervisor.cluster.timeoutMs: Too small: expected number to be >=10`.
 */
export function parseClusterConfig(value: unknown): ClusterConfig {
  const result = clusterConfigSchema.safeParse(value);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => {
      const where = ['supervisor', 'cluster', ...issue.path.map(String)].join('.');
      return `${where}: ${issue.message}`;
    });
    throw new TypeError(problems.join('\n'));
  }
  return resolveClusterConfig(result.data);
}

/** The Redis URL with any password replaced, for logs and status. */
export function redactRedisUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return 'redis://(invalid url)';
  }
}
