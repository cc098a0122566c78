import type { SupervisorSettings } from '../config/schema.ts';
import type { ServerRuntime } from '../core/server-runtime.ts';
import { isToolAllowed } from '../gateway/names.ts';
import { resolveServerLimits, type ServerGuardStats } from '../limits/server-guard.ts';
import { SupervisorError } from '../shared/errors.ts';
import type { LastMinuteStats } from '../store/live-window.ts';
import type { Queries } from '../store/queries.ts';
import { maskConfigObject } from './config-mask.ts';
import type { RouteGroup } from './router.ts';
import { CatalogCache } from './server-catalog.ts';

export interface OverviewRoutesDeps {
  /** The supervisor's servers by name (the core's live map: reloads replace entries). */
  servers(): ReadonlyMap<string, ServerRuntime>;
  /** The running supervisor settings (a reload replaces them). */
  settings(): SupervisorSettings;
  /** The live window of a server's requests (the last 50–60 s), from memory. */
  lastMinute(server: string): LastMinuteStats;
  /** A server's limiter and breaker, once it has a guard. */
  limiter(server: string): ServerGuardStats | undefined;
  /** The process samples behind the sparklines. */
  queries: Pick<Queries, 'processSeries'>;
  now?: () => number;
}

const SPARK_SPAN_MS = 15 * 60_000;
const SPARK_STEP_MS = 30_000;
/** The live window of `lastMinuteStats`: five full 10 s slots and the current one. */
const LIVE_SLOT_MS = 10_000;

/**
 * What the console's servers pages read, under `/api`:
 *
 * - `GET /overview`        per server: the live minute, limiter, CPU/RSS sparkline; thresholds
 * - `GET /server?name=S`   a server's detail: tools, prompts, resources, masked config, limits
 *
 * (The charts' samples are `GET /metrics/host` and `/metrics/process`, see metrics-routes.ts.)
 */
export function createOverviewRoutes(deps: OverviewRoutesDeps): RouteGroup {
  const now = deps.now ?? Date.now;
  const catalog = new CatalogCache({ now });

  const runtime = (name: string | null): ServerRuntime => {
    if (!name) throw new SupervisorError('BAD_REQUEST', 'name the server: ?name=<server>');
    const server = deps.servers().get(name);
    if (!server) {
      const known = [...deps.servers().keys()].join(', ') || 'none';
      throw new SupervisorError('UNKNOWN_SERVER', `no server named "${name}" (configured: ${known})`);
    }
    return server;
  };

  const overview = () => {
    const at = now();
    const windowMs = 5 * LIVE_SLOT_MS + (at % LIVE_SLOT_MS);
    const names = [...deps.servers().keys()];
    const range = { from: at - SPARK_SPAN_MS, to: at, stepMs: SPARK_STEP_MS };
    return {
      at,
      windowMs,
      thresholds: deps.settings().monitor.thresholds,
      servers: names.map((name) => {
        const points = deps.queries.processSeries({ ...range, server: name });
        const upstream = deps.servers().get(name)?.upstream;
        return {
          name,
          lastMinute: deps.lastMinute(name),
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
  };

  const detail = async (url: Readonly<URL>) => {
    const server = runtime(url.searchParams.get('name'));
    const upstream = server.upstream;
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
      limits: resolveServerLimits(deps.settings().limits, server.config.limits),
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
  };

  return {
    api: [
      { method: 'GET', path: '/overview', handle: overview },
      { method: 'GET', path: '/server', handle: ({ url }) => detail(url) },
    ],
  };
}
