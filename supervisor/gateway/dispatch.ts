import { UriTemplate } from '@modelcontextprotocol/sdk/shared/uriTemplate.js';
import {
  LATEST_PROTOCOL_VERSION,
  McpError,
  type ServerCapabilities,
  SUPPORTED_PROTOCOL_VERSIONS,
  type Tool,
} from '@modelcontextprotocol/sdk/types.js';
import type { ServerRuntime } from '../core/server-runtime.ts';
import type { SupervisorCore } from '../core/supervisor.ts';
import type { Forwarder } from '../limits/forwarder.ts';
import { refusalError } from '../shared/refusals.ts';
import { PRODUCT_NAME, VERSION } from '../shared/version.ts';
import { isToolAllowed, qualify, unqualify } from './names.ts';
import {
  JSONRPC_INVALID_PARAMS,
  JSONRPC_INVALID_REQUEST,
  JSONRPC_METHOD_NOT_FOUND,
  MCP_RESOURCE_NOT_FOUND,
} from './rpc-errors.ts';
import type { Session } from './session.ts';

export interface CallContext {
  session: Session;
  signal: AbortSignal;
  /** Set when the request carried `_meta.progressToken`: progress goes back with that token. */
  onProgress?: (progress: Record<string, unknown>) => void;
}

type Result = Record<string, unknown>;

/** The result key of each paginated list method. */
const LIST_KEYS: Partial<Record<string, string>> = {
  'prompts/list': 'prompts',
  'resources/list': 'resources',
  'resources/templates/list': 'resourceTemplates',
};

const SERVER_INFO = { name: PRODUCT_NAME, version: VERSION };

/**
 * Answers downstream MCP requests: transparently for one server (`/mcp/<server>`: every request,
 * result, error, `_meta` and cursor passes unchanged), or for all of them at once (`/mcp`:
 * `<server>__<name>` tools and prompts, resources routed by URI, completions routed to the owner).
 */
export class Dispatcher {
  readonly #core: SupervisorCore;
  readonly #forwarder: Forwarder;
  /** Resource URIs seen in list results, so a read goes to the server that listed the URI. */
  readonly #resourceOwners = new Map<string, string>();
  readonly #templates = new Map<string, { server: string; template: UriTemplate }[]>();

  constructor(options: { core: SupervisorCore; forwarder: Forwarder }) {
    this.#core = options.core;
    this.#forwarder = options.forwarder;
  }

  /** The `initialize` result for a new session (the server's own for `/mcp/<server>`). */
  initializeResult(server: string | undefined, requestedVersion: unknown): Result {
    const protocolVersion =
      typeof requestedVersion === 'string' && SUPPORTED_PROTOCOL_VERSIONS.includes(requestedVersion)
        ? requestedVersion
        : LATEST_PROTOCOL_VERSION;
    if (server !== undefined) {
      const runtime = this.#runtime(server);
      const upstream = runtime.upstream;
      if (!upstream.capabilities) {
        throw refusalError(
          { reason: 'server_unavailable', server, retryAfterMs: 1_000 },
          `server "${server}" is ${runtime.state} and has not initialized yet; try again shortly`,
        );
      }
      const result: Result = {
        protocolVersion,
        capabilities: upstream.capabilities,
        serverInfo: upstream.serverInfo ?? SERVER_INFO,
      };
      if (upstream.instructions) result.instructions = upstream.instructions;
      return result;
    }
    const capabilities: ServerCapabilities = {
      tools: { listChanged: true },
      prompts: { listChanged: true },
      resources: { subscribe: true, listChanged: true },
      logging: {},
      completions: {},
    };
    return {
      protocolVersion,
      capabilities,
      serverInfo: SERVER_INFO,
      instructions:
        'Tools and prompts of every server managed by mcp-supervisor, named <server>__<name>. ' +
        'Resources keep their own URIs.',
    };
  }

  /** Not an async function, so a tool call's promise is the forwarder's own (one layer fewer). */
  handle(
    session: Session,
    method: string,
    params: Result | undefined,
    context: CallContext,
  ): Promise<Result> {
    try {
      if (method === 'ping') return Promise.resolve({});
      if (session.server === undefined) return this.#handleAggregated(session, method, params, context);
      if (method === 'tools/call') return this.#callServerTool(session.server, params, context);
      return this.#handleServer(session.server, method, params, context);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * The server a request goes to, from what the client sent: the session's own server, or the
   * owner of an aggregated name or resource URI. Undefined for what the gateway answers itself
   * or sends to several servers (the aggregated lists). Asked only when a server sends a request
   * to a client (sampling, elicitation), so routing costs the request path nothing.
   */
  targetOf(session: Session, method: string, params: Result | undefined): string | undefined {
    if (session.server !== undefined) return session.server;
    switch (method) {
      case 'tools/call':
      case 'prompts/get':
        return typeof params?.name === 'string' ? unqualify(params.name)?.server : undefined;
      case 'resources/read':
      case 'resources/subscribe':
      case 'resources/unsubscribe':
        return typeof params?.uri === 'string' ? this.#ownerOf(params.uri) : undefined;
      case 'completion/complete': {
        const ref = params?.ref as { type?: string; name?: unknown; uri?: unknown } | undefined;
        if (ref?.type === 'ref/prompt')
          return typeof ref.name === 'string' ? unqualify(ref.name)?.server : undefined;
        return typeof ref?.uri === 'string' ? this.#ownerOf(ref.uri) : undefined;
      }
      default:
        return undefined;
    }
  }

  /** Tools of every online server the session may reach, with aggregated names. */
  aggregatedTools(session: Session): Tool[] {
    const tools: Tool[] = [];
    for (const runtime of this.#core.servers.values()) {
      if (!session.canReach(runtime.name) || runtime.upstream.state !== 'ready') continue;
      for (const tool of runtime.upstream.tools) {
        if (isToolAllowed(tool.name, runtime.config.tools))
          tools.push({ ...tool, name: qualify(runtime.name, tool.name) });
      }
    }
    return tools;
  }

  async #handleServer(
    server: string,
    method: string,
    params: Result | undefined,
    context: CallContext,
  ): Promise<Result> {
    const runtime = this.#runtime(server);
    const filter = runtime.config.tools;
    const hasFilter = hasToolFilter(filter);
    const result = await this.#forward(runtime, method, params, context);
    if (method === 'tools/list' && hasFilter && Array.isArray(result.tools)) {
      return {
        ...result,
        tools: (result.tools as Tool[]).filter((tool) => isToolAllowed(tool.name, filter)),
      };
    }
    return result;
  }

  /** `tools/call` on `/mcp/<server>`; throws (synchronously) a tool the tools list does not allow. */
  #callServerTool(server: string, params: Result | undefined, context: CallContext): Promise<Result> {
    const runtime = this.#runtime(server);
    const filter = runtime.config.tools;
    const name = typeof params?.name === 'string' ? params.name : '';
    if (hasToolFilter(filter) && !isToolAllowed(name, filter)) {
      throw new McpError(
        JSONRPC_INVALID_PARAMS,
        `tool "${name}" of server "${server}" is not allowed by its tools list`,
      );
    }
    return this.#forward(runtime, 'tools/call', params, context, name);
  }

  async #handleAggregated(
    session: Session,
    method: string,
    params: Result | undefined,
    context: CallContext,
  ): Promise<Result> {
    switch (method) {
      case 'tools/list':
        return { tools: this.aggregatedTools(session) };
      case 'tools/call': {
        const { runtime, name } = this.#routeName(session, params?.name, 'tool');
        if (!isToolAllowed(name, runtime.config.tools)) {
          throw new McpError(
            JSONRPC_INVALID_PARAMS,
            `tool "${name}" of server "${runtime.name}" is not allowed`,
          );
        }
        return this.#forward(runtime, method, { ...params, name }, context, name);
      }
      case 'prompts/list': {
        const lists = await this.#fanOut(session, 'prompts', 'prompts/list', context);
        return {
          prompts: lists.flatMap(({ runtime, result }) =>
            ((result.prompts as { name: string }[] | undefined) ?? []).map((p) => ({
              ...p,
              name: qualify(runtime.name, p.name),
            })),
          ),
        };
      }
      case 'prompts/get': {
        const { runtime, name } = this.#routeName(session, params?.name, 'prompt');
        return this.#forward(runtime, method, { ...params, name }, context);
      }
      case 'resources/list': {
        const lists = await this.#fanOut(session, 'resources', 'resources/list', context);
        const resources = lists.flatMap(({ runtime, result }) => {
          const items = (result.resources as { uri: string }[] | undefined) ?? [];
          for (const item of items) this.#resourceOwners.set(item.uri, runtime.name);
          return items;
        });
        return { resources };
      }
      case 'resources/templates/list': {
        const lists = await this.#fanOut(session, 'resources', 'resources/templates/list', context);
        const resourceTemplates = lists.flatMap(({ runtime, result }) => {
          const items = (result.resourceTemplates as { uriTemplate: string }[] | undefined) ?? [];
          this.#templates.set(
            runtime.name,
            items.map((item) => ({ server: runtime.name, template: new UriTemplate(item.uriTemplate) })),
          );
          return items;
        });
        return { resourceTemplates };
      }
      case 'resources/read':
      case 'resources/subscribe':
      case 'resources/unsubscribe': {
        const runtime = await this.#routeUri(session, params?.uri, context);
        return this.#forward(runtime, method, params, context);
      }
      case 'completion/complete': {
        const ref = params?.ref as { type?: string; name?: string; uri?: string } | undefined;
        if (ref?.type === 'ref/prompt') {
          const { runtime, name } = this.#routeName(session, ref.name, 'prompt');
          return this.#forward(runtime, method, { ...params, ref: { ...ref, name } }, context);
        }
        const runtime = await this.#routeUri(session, ref?.uri, context);
        return this.#forward(runtime, method, params, context);
      }
      case 'logging/setLevel': {
        await this.#fanOut(session, 'logging', method, context, params);
        return {};
      }
      default:
        throw new McpError(
          JSONRPC_METHOD_NOT_FOUND,
          `method "${method}" is not supported on the aggregated endpoint`,
        );
    }
  }

  #forward(
    runtime: ServerRuntime,
    method: string,
    params: Result | undefined,
    context: CallContext,
    tool?: string,
  ) {
    return this.#forwarder.forward(runtime, method, params, {
      clientKey: context.session.clientKey,
      signal: context.signal,
      ...(context.onProgress ? { onProgress: context.onProgress } : {}),
      ...(tool !== undefined ? { tool } : {}),
    });
  }

  /**
   * Sends a list request to every reachable online server with the capability, following each
   * one's pagination to the end. A server that fails is left out rather than failing the list.
   */
  async #fanOut(
    session: Session,
    capability: keyof ServerCapabilities,
    method: string,
    context: CallContext,
    params?: Result,
  ): Promise<{ runtime: ServerRuntime; result: Result }[]> {
    const runtimes = [...this.#core.servers.values()].filter(
      (runtime) =>
        session.canReach(runtime.name) &&
        runtime.upstream.state === 'ready' &&
        runtime.upstream.capabilities?.[capability],
    );
    const listKey = LIST_KEYS[method];
    const settled = await Promise.allSettled(
      runtimes.map(async (runtime) => {
        if (!listKey) return { runtime, result: await this.#forward(runtime, method, params, context) };
        const items: unknown[] = [];
        let cursor: string | undefined;
        do {
          const page = await this.#forward(runtime, method, cursor ? { cursor } : params, context);
          items.push(...((page[listKey] as unknown[] | undefined) ?? []));
          cursor = typeof page.nextCursor === 'string' ? page.nextCursor : undefined;
        } while (cursor);
        return { runtime, result: { [listKey]: items } };
      }),
    );
    return settled.flatMap((outcome) => (outcome.status === 'fulfilled' ? [outcome.value] : []));
  }

  #routeName(session: Session, qualified: unknown, what: string): { runtime: ServerRuntime; name: string } {
    const parts = typeof qualified === 'string' ? unqualify(qualified) : undefined;
    const runtime = parts ? this.#core.servers.get(parts.server) : undefined;
    if (!parts || !runtime || !session.canReach(parts.server)) {
      throw new McpError(
        JSONRPC_INVALID_PARAMS,
        `unknown ${what} "${String(qualified)}": aggregated names are <server>__<name>; list them with ${what}s/list`,
      );
    }
    return { runtime, name: parts.name };
  }

  async #routeUri(session: Session, uri: unknown, context: CallContext): Promise<ServerRuntime> {
    if (typeof uri !== 'string') throw new McpError(JSONRPC_INVALID_PARAMS, '"uri" must be a string');
    let owner = this.#ownerOf(uri);
    if (!owner) {
      // Not listed yet in this process: list once, then look again.
      await this.#handleAggregated(session, 'resources/list', undefined, context);
      await this.#handleAggregated(session, 'resources/templates/list', undefined, context);
      owner = this.#ownerOf(uri);
    }
    const runtime = owner ? this.#core.servers.get(owner) : undefined;
    if (!runtime || !session.canReach(runtime.name)) {
      throw new McpError(
        MCP_RESOURCE_NOT_FOUND,
        `no server offers resource "${uri}"; list them with resources/list`,
        {
          uri,
        },
      );
    }
    return runtime;
  }

  /** The server that listed `uri`, or whose resource template matches it. */
  #ownerOf(uri: string): string | undefined {
    return this.#resourceOwners.get(uri) ?? this.#templateOwner(uri);
  }

  #templateOwner(uri: string): string | undefined {
    for (const templates of this.#templates.values()) {
      for (const { server, template } of templates) if (template.match(uri)) return server;
    }
    return undefined;
  }

  #runtime(server: string): ServerRuntime {
    const runtime = this.#core.servers.get(server);
    if (!runtime) throw new McpError(JSONRPC_INVALID_REQUEST, `server "${server}" is no longer configured`);
    return runtime;
  }

  /** Forgets cached routes of a removed server. */
  forget(server: string): void {
    for (const [uri, owner] of this.#resourceOwners) if (owner === server) this.#resourceOwners.delete(uri);
    this.#templates.delete(server);
  }
}

function hasToolFilter(filter: { allow?: string[]; deny?: string[] }): boolean {
  return (filter.allow?.length ?? 0) > 0 || (filter.deny?.length ?? 0) > 0;
}
