import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { z } from 'zod';
import type { Config, ThresholdsConfig } from '../config/schema.ts';
import type { ServerRuntime } from '../core/server-runtime.ts';
import { SupervisorError } from '../errors.ts';
import { isToolAllowed } from '../gateway/names.ts';
import type { HomePaths } from '../home.ts';
import { resolveServerLimits, type ServerGuardStats } from '../limits/server-guard.ts';
import { parseDuration } from '../observability.ts';
import type { Store } from '../store/db.ts';
import type { LastMinuteStats } from '../store/recorder.ts';
import { createRequestLog } from '../store/request-log.ts';
import { createSampleQueries } from '../store/samples.ts';
import { createTimeline, SUPERVISOR_WIDE, type TimelineCategory } from '../store/timeline.ts';
import type { ServerEvent } from '../store/types.ts';
import { maskConfigObject } from './config-mask.ts';
import { CatalogCache } from './console-catalog.ts';
import { createConsoleConfig } from './console-config.ts';
import { readBody, sendJson } from './http-server.ts';
import { followFile, readLastLines } from './log-tail.ts';
import { openEventStream } from './sse.ts';

/** What the console's routes read; every part is the running supervisor's own. */
export interface ConsoleDeps {
  paths: HomePaths;
  store: Store;
  /** The supervisor's servers by name (the core's live map: reloads replace entries). */
  servers: () => ReadonlyMap<string, ServerRuntime>;
  config: () => Config;
  configFile: string | undefined;
  env: NodeJS.ProcessEnv;
  recorder: {
    lastMinuteStats(server: string): LastMinuteStats;
    flush(): unknown;
    recordServerEvent(event: ServerEvent): void;
  };
  limiter: (server: string) => ServerGuardStats | undefined;
  reload: () => Promise<unknown>;
  onEvent: (listener: (type: string, data: unknown) => void) => () => void;
  now?: () => number;
}

/** A `GET /api/…` JSON route: the URL in, the body out (errors as SupervisorError). */
export type JsonRoute = (url: URL) => unknown;
/** A route that writes its own response (a stream, or a POST with a body). */
export type RawRoute = (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<void> | void;

export interface ConsoleRoutes {
  /** Keyed by the path after `/api` (`/overview`), for the control API's GET routes. */
  json: Map<string, JsonRoute>;
  /** Keyed by the full path (`/api/logs/supervisor/follow`); each checks the token itself. */
  raw: Map<string, RawRoute>;
  /** Stops recording reloads (the listener ends open streams when it closes). */
  dispose(): void;
}

const MAX_CONFIG_BYTES = 1024 * 1024;
const SPARK_SPAN_MS = 15 * 60_000;
const SPARK_STEP_MS = 30_000;
/** The live window of `lastMinuteStats`: five full 10 s slots and the current one. */
const LIVE_SLOT_MS = 10_000;

const sinceSchema = z.object({
  since: z.string().optional(),
  from: z.coerce.number().optional(),
  to: z.coerce.number().optional(),
});

const requestsSchema = sinceSchema.extend({
  server: z.string().min(1).optional(),
  tool: z.string().min(1).optional(),
  method: z.string().min(1).optional(),
  client: z.string().min(1).optional(),
  status: z.enum(['ok', 'error', 'refused']).optional(),
  errorCode: z.string().min(1).optional(),
  before: z
    .string()
    .regex(/^\d+:\d+$/, 'before must be "<ts>:<id>" as the previous page\'s next gave it')
    .optional(),
  limit: z.coerce.number().int().min(1).max(5_000).optional(),
});

const timelineSchema = sinceSchema.extend({
  server: z.string().min(1).optional(),
  category: z.string().optional(),
  limit: z.coerce.number().int().min(1).max(5_000).optional(),
});

const samplesSchema = sinceSchema.extend({
  target: z.string().min(1),
  step: z.string().optional(),
});

const linesSchema = z.object({ lines: z.coerce.number().int().min(0).max(100_000).default(2_000) });

function parseQuery<T extends z.ZodType>(schema: T, url: URL, what: string): z.infer<T> {
  const result = schema.safeParse(Object.fromEntries(url.searchParams));
  if (!result.success) {
    const issue = result.error.issues[0];
    const field = issue?.path.join('.') ?? '';
    throw new SupervisorError(
      'BAD_REQUEST',
      `bad ${what} query: ${field ? `${field}: ` : ''}${issue?.message}`,
    );
  }
  return result.data;
}

/** [from, to) of a `since`/`from`/`to` query, `defaultSince` back from now when none is given. */
function rangeOf(query: z.infer<typeof sinceSchema>, now: number, defaultSince: string) {
  const to = query.to ?? now;
  const from = query.from ?? to - parseDuration(query.since ?? defaultSince);
  return { from, to };
}

/** The supervisor's own JSON log: pino-roll keeps `current.log` pointing at the newest file. */
export function supervisorLogFile(paths: HomePaths): string {
  return path.join(paths.logDir, 'current.log');
}

/**
 * The control API routes the console needs beyond the core ones (documented in the README's
 * route table): live per-server numbers with sparklines, server detail (tools, prompts,
 * resources), chart samples, the request log, the merged timeline, the running config (masked)
 * with check/apply, and the supervisor's own log with a live follow. Also records config reloads
 * as `reload` events so the timeline can show them.
 */
export function createConsoleRoutes(deps: ConsoleDeps): ConsoleRoutes {
  const now = deps.now ?? Date.now;
  const requestLog = createRequestLog(deps.store);
  const timeline = createTimeline(deps.store);
  const samples = createSampleQueries(deps.store);
  const catalog = new CatalogCache({ now });
  const config = createConsoleConfig({
    paths: deps.paths,
    configFile: deps.configFile,
    env: deps.env,
    running: deps.config,
    reload: deps.reload,
  });
  const unsubscribe = deps.onEvent((type, data) => {
    if (type !== 'config') return;
    const event = data as { ok: boolean; message?: string; diff?: unknown; at?: number };
    deps.recorder.recordServerEvent({
      ts: event.at ?? now(),
      server: SUPERVISOR_WIDE,
      kind: 'reload',
      detail: event.ok
        ? { ok: true, ...(event.diff as object) }
        : { ok: false, message: event.message ?? '' },
    });
  });

  const runtime = (name: string | null): ServerRuntime => {
    if (!name) throw new SupervisorError('BAD_REQUEST', 'name the server: ?name=<server>');
    const server = deps.servers().get(name);
    if (!server) {
      const known = [...deps.servers().keys()].join(', ') || 'none';
      throw new SupervisorError('UNKNOWN_SERVER', `no server named "${name}" (configured: ${known})`);
    }
    return server;
  };

  const json = new Map<string, JsonRoute>();

  json.set('/overview', () => {
    const at = now();
    const windowMs = 5 * LIVE_SLOT_MS + (at % LIVE_SLOT_MS);
    const names = [...deps.servers().keys()];
    const spark = samples.processes({ from: at - SPARK_SPAN_MS, to: at, stepMs: SPARK_STEP_MS }, names);
    return {
      at,
      windowMs,
      thresholds: deps.config().supervisor.monitor.thresholds satisfies ThresholdsConfig,
      servers: names.map((name) => {
        const points = spark.get(name) ?? [];
        const upstream = deps.servers().get(name)?.upstream;
        return {
          name,
          lastMinute: deps.recorder.lastMinuteStats(name),
          limiter: deps.limiter(name) ?? null,
          spark: {
            from: points[0]?.ts ?? at,
            stepMs: SPARK_STEP_MS,
            cpuPercent: points.map((p) => p.cpuPercent),
            rssBytes: points.map((p) => p.rssBytes),
          },
          hasPrompts: Boolean(upstream?.capabilities?.prompts),
          hasResources: Boolean(upstream?.capabilities?.resources),
        };
      }),
    };
  });

  json.set('/server', async (url) => {
    const server = runtime(url.searchParams.get('name'));
    const upstream = server.upstream;
    const settings = deps.config().supervisor;
    const lists = await (catalog.get(upstream) ?? Promise.resolve(null)).catch((error: unknown) => ({
      readAt: now(),
      prompts: [],
      resources: [],
      resourceTemplates: [],
      problems: [`lists: ${(error as Error).message}`],
    }));
    const masked = maskConfigObject({ mcpServers: { [server.name]: server.config } }) as {
      mcpServers: Record<string, unknown>;
    };
    return {
      name: server.name,
      kind: server.kind,
      state: server.state,
      endpointPath: `/mcp/${encodeURIComponent(server.name)}`,
      config: masked.mcpServers[server.name],
      limits: resolveServerLimits(settings.limits, server.config.limits),
      limiter: deps.limiter(server.name) ?? null,
      lastError: server.lastError ?? null,
      lastExit: server.lastExit ?? null,
      upstream: {
        state: upstream.state,
        serverInfo: upstream.serverInfo ?? null,
        capabilities: upstream.capabilities ?? null,
        instructions: upstream.instructions ?? null,
      },
      tools: upstream.tools.map((tool) => ({
        name: tool.name,
        ...(tool.title ? { title: tool.title } : {}),
        ...(tool.description ? { description: tool.description } : {}),
        inputSchema: tool.inputSchema,
        ...(tool.annotations ? { annotations: tool.annotations } : {}),
        isAllowed: isToolAllowed(tool.name, server.config.tools),
      })),
      catalog: lists,
    };
  });

  json.set('/samples', (url) => {
    const query = parseQuery(samplesSchema, url, 'samples');
    const { from, to } = rangeOf(query, now(), '1h');
    const intervalMs = deps.config().supervisor.monitor.intervalMs;
    // About 120 points, never finer than the monitor samples.
    const stepMs = query.step
      ? parseDuration(query.step)
      : Math.max(intervalMs, Math.ceil((to - from) / 120 / 1_000) * 1_000);
    if (query.target === 'host')
      return { target: 'host', stepMs, points: samples.host({ from, to, stepMs }) };
    const server = runtime(query.target);
    const points = samples.processes({ from, to, stepMs }, [server.name]).get(server.name) ?? [];
    return { target: server.name, stepMs, points };
  });

  json.set('/requests', (url) => {
    const query = parseQuery(requestsSchema, url, 'requests');
    deps.recorder.flush();
    const hasRange = query.since !== undefined || query.from !== undefined || query.to !== undefined;
    const range = hasRange ? rangeOf(query, now(), '1h') : {};
    const [beforeTs, beforeId] = query.before?.split(':').map(Number) ?? [];
    const page = requestLog.query({
      ...range,
      ...(query.server ? { server: query.server } : {}),
      ...(query.tool ? { tool: query.tool } : {}),
      ...(query.method ? { method: query.method } : {}),
      ...(query.client ? { client: query.client } : {}),
      ...(query.status ? { status: query.status } : {}),
      ...(query.errorCode ? { errorCode: query.errorCode } : {}),
      ...(beforeTs !== undefined && beforeId !== undefined ? { before: { ts: beforeTs, id: beforeId } } : {}),
      ...(query.limit ? { limit: query.limit } : {}),
    });
    return { rows: page.rows, next: page.next ? `${page.next.ts}:${page.next.id}` : null };
  });

  json.set('/requests/refusals', (url) => {
    const query = parseQuery(
      samplesSchema.omit({ target: true }).extend({ server: z.string().min(1).optional() }),
      url,
      'refusals',
    );
    deps.recorder.flush();
    const { from, to } = rangeOf(query, now(), '1h');
    const stepMs = query.step
      ? parseDuration(query.step)
      : Math.max(60_000, Math.ceil((to - from) / 60 / 60_000) * 60_000);
    return {
      stepMs,
      ...requestLog.refusals({ from, to, stepMs, ...(query.server ? { server: query.server } : {}) }),
    };
  });

  json.set('/requests/facets', (url) => {
    const query = parseQuery(sinceSchema, url, 'facets');
    return requestLog.facets(rangeOf(query, now(), '7d').from);
  });

  json.set('/timeline', (url) => {
    const query = parseQuery(timelineSchema, url, 'timeline');
    deps.recorder.flush();
    const { from, to } = rangeOf(query, now(), '24h');
    const categories = query.category?.split(',').filter(Boolean);
    const known: TimelineCategory[] = ['server', 'alert', 'reload'];
    const unknown = categories?.find((c) => !known.includes(c as TimelineCategory));
    if (unknown) {
      throw new SupervisorError(
        'BAD_REQUEST',
        `unknown timeline category "${unknown}"; use ${known.join(', ')}`,
      );
    }
    return {
      from,
      to,
      entries: timeline.query({
        since: from,
        until: to + 1,
        ...(categories ? { categories: categories as TimelineCategory[] } : {}),
        ...(query.server ? { server: query.server } : {}),
        ...(query.limit ? { limit: query.limit } : {}),
      }),
    };
  });

  json.set('/config', () => config.view());

  json.set('/logs/supervisor', async (url) => {
    const { lines } = parseQuery(linesSchema, url, 'log');
    return {
      file: supervisorLogFile(deps.paths),
      lines: await readLastLines(supervisorLogFile(deps.paths), lines),
    };
  });

  const raw = new Map<string, RawRoute>();
  raw.set('/api/logs/supervisor/follow', (req, res) => {
    if (req.method !== 'GET') {
      throw new SupervisorError('BAD_REQUEST', 'use GET to follow the log', { details: { httpStatus: 405 } });
    }
    const stream = openEventStream(res);
    const abort = new AbortController();
    stream.onClose(() => abort.abort());
    followFile(supervisorLogFile(deps.paths), (lines) => stream.send('lines', { lines }), abort.signal);
  });
  const configPost = (apply: boolean): RawRoute => {
    return async (req, res, url) => {
      if (req.method !== 'POST') {
        throw new SupervisorError('BAD_REQUEST', `use POST with the config text as the body`, {
          details: { httpStatus: 405 },
        });
      }
      const text = (await readBody(req, MAX_CONFIG_BYTES)).toString('utf8');
      const revision = url.searchParams.get('revision') ?? undefined;
      const result = apply
        ? await config.apply(text, revision ? { revision } : {})
        : await config.check(text);
      sendJson(res, result.ok ? 200 : 422, result);
    };
  };
  raw.set('/api/config/check', configPost(false));
  raw.set('/api/config/apply', configPost(true));

  return {
    json,
    raw,
    dispose: unsubscribe,
  };
}
