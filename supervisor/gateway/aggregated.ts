import type { Tool } from '@modelcontextprotocol/client';
import { UriTemplate } from '@modelcontextprotocol/sdk/shared/uriTemplate.js';
import { McpError, type ServerCapabilities } from '@modelcontextprotocol/sdk/types.js';
import type { ServerRuntime } from '../core/server-runtime.ts';
import type { SupervisorCore } from '../core/supervisor.ts';
import { discoverResult } from '../protocol/modern-to-legacy.ts';
import { SUPPORTED_REVISIONS } from '../protocol/revisions.ts';
import { PRODUCT_NAME, VERSION } from '../shared/version.ts';
import type { Caller } from './caller.ts';
import type { CallContext } from './dispatch.ts';
import { isToolAllowed, qualify, unqualify } from './names.ts';
import { JSONRPC_INVALID_PARAMS, JSONRPC_METHOD_NOT_FOUND, MCP_RESOURCE_NOT_FOUND } from './rpc-errors.ts';
import type { Session } from './session.ts';
import type { ToolGate } from './tool-gate.ts';

type Result = Record<string, unknown>;
type Forward = (
  runtime: ServerRuntime,
  method: string,
  params: Result | undefined,
  context: CallContext,
  tool?: string,
) => Promise<Result>;

/** The result key of each paginated list method. */
const LIST_KEYS: Partial<Record<string, string>> = {
  'prompts/list': 'prompts',
  'resources/list': 'resources',
  'resources/templates/list': 'resourceTemplates',
};

/** What `/mcp` serves: every server's tools, prompts and resources, whatever each one's era. */
const AGGREGATED_CAPABILITIES: ServerCapabilities = {
  tools: { listChanged: true },
  prompts: { listChanged: true },
  resources: { subscribe: true, listChanged: true },
  logging: {},
  completions: {},
};

const INSTRUCTIONS =
  'Tools and prompts of every server managed by mcp-supervisor, named <server>__<name>. ' +
  'Resources keep their own URIs.';

/**
 * The aggregated endpoint `/mcp`: `<server>__<name>` tools and prompts (renamed before any era
 * mapping, so both eras see the same names), resources routed by URI to the server that listed
 * them, completions routed to the owner, list-type requests fanned out to every reachable server.
 */
export class Aggregator {
  readonly #core: SupervisorCore;
  readonly #tools: ToolGate;
  readonly #forward: Forward;
  readonly #subscribe: Forward;
  /** Resource URIs seen in list results, so a read goes to the server that listed the URI. */
  readonly #resourceOwners = new Map<string, string>();
  readonly #templates = new Map<string, { server: string; template: UriTemplate }[]>();

  constructor(options: { core: SupervisorCore; tools: ToolGate; forward: Forward; subscribe: Forward }) {
    this.#core = options.core;
    this.#tools = options.tools;
    this.#forward = options.forward;
    this.#subscribe = options.subscribe;
  }

  /** `server/discover` of `/mcp` (and, through it, its `initialize`). */
  discover(): Result {
    return discoverResult(
      {
        protocolVersion: SUPPORTED_REVISIONS[0],
        capabilities: AGGREGATED_CAPABILITIES as Result,
        serverInfo: { name: PRODUCT_NAME, version: VERSION },
        instructions: INSTRUCTIONS,
      },
      SUPPORTED_REVISIONS,
    );
  }

  /** Tools of every online server the caller may reach, with aggregated names. */
  tools(caller: Caller): Tool[] {
    const tools: Tool[] = [];
    for (const runtime of this.#core.servers.values()) {
      if (!caller.canReach(runtime.name) || runtime.upstream.state !== 'ready') continue;
      const visible = this.#tools.visibleNow(runtime, runtime.upstream.tools, caller.capabilities);
      for (const tool of visible) {
        if (isToolAllowed(tool.name, runtime.config.tools))
          tools.push({ ...tool, name: qualify(runtime.name, tool.name) });
      }
    }
    return tools;
  }

  /** The server an aggregated request goes to (see Dispatcher.targetOf). */
  targetOf(method: string, params: Result | undefined): string | undefined {
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

  /**
   * Answers one request of `/mcp`. Not an async function for `tools/call` (the hot path): its
   * promise is the forwarder's own, one layer and one microtask fewer than every other method's.
   */
  handle(method: string, params: Result | undefined, context: CallContext): Promise<Result> {
    if (method !== 'tools/call') return this.#handleOther(method, params, context);
    try {
      const { runtime, name } = this.#routeName(context.caller, params?.name, 'tool');
      if (!isToolAllowed(name, runtime.config.tools)) {
        throw new McpError(
          JSONRPC_INVALID_PARAMS,
          `tool "${name}" of server "${runtime.name}" is not allowed`,
        );
      }
      return this.#forward(runtime, method, { ...params, name }, context, name);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  async #handleOther(method: string, params: Result | undefined, context: CallContext): Promise<Result> {
    const caller = context.caller;
    switch (method) {
      case 'tools/list':
        return { tools: await this.#visibleTools(caller) };
      case 'prompts/list': {
        const lists = await this.#fanOut(caller, 'prompts', 'prompts/list', context);
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
        const { runtime, name } = this.#routeName(caller, params?.name, 'prompt');
        return this.#forward(runtime, method, { ...params, name }, context);
      }
      case 'resources/list': {
        const lists = await this.#fanOut(caller, 'resources', 'resources/list', context);
        const resources = lists.flatMap(({ runtime, result }) => {
          const items = (result.resources as { uri: string }[] | undefined) ?? [];
          for (const item of items) this.#resourceOwners.set(item.uri, runtime.name);
          return items;
        });
        return { resources };
      }
      case 'resources/templates/list': {
        const lists = await this.#fanOut(caller, 'resources', 'resources/templates/list', context);
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
        return this.#forward(await this.#routeUri(caller, params?.uri, context), method, params, context);
      case 'resources/subscribe':
      case 'resources/unsubscribe':
        return this.#subscribe(await this.#routeUri(caller, params?.uri, context), method, params, context);
      case 'completion/complete': {
        const ref = params?.ref as { type?: string; name?: string; uri?: string } | undefined;
        if (ref?.type === 'ref/prompt') {
          const { runtime, name } = this.#routeName(caller, ref.name, 'prompt');
          return this.#forward(runtime, method, { ...params, ref: { ...ref, name } }, context);
        }
        const runtime = await this.#routeUri(caller, ref?.uri, context);
        return this.#forward(runtime, method, params, context);
      }
      case 'logging/setLevel': {
        // 2026 servers take the level per request, from the session's envelope.
        (caller as Session).legacy.route(method, params);
        await this.#fanOut(caller, 'logging', method, context, params, 'legacy');
        return {};
      }
      default:
        throw new McpError(
          JSONRPC_METHOD_NOT_FOUND,
          `method "${method}" is not supported on the aggregated endpoint`,
        );
    }
  }

  /** Forgets cached routes of a removed server. */
  forget(server: string): void {
    for (const [uri, owner] of this.#resourceOwners) if (owner === server) this.#resourceOwners.delete(uri);
    this.#templates.delete(server);
  }

  async #visibleTools(caller: Caller): Promise<Tool[]> {
    // A first list after a start waits for the servers' tool probes (bounded): tool-gate.ts.
    const pending = [...this.#core.servers.values()].filter(
      (runtime) => caller.canReach(runtime.name) && runtime.upstream.state === 'ready',
    );
    await Promise.all(pending.map((runtime) => this.#tools.visible(runtime, [], {})));
    return this.tools(caller);
  }

  /**
   * Sends a list request to every reachable online server with the capability, following each
   * one's pagination to the end. A server that fails is left out rather than failing the list.
   */
  async #fanOut(
    caller: Caller,
    capability: keyof ServerCapabilities,
    method: string,
    context: CallContext,
    params?: Result,
    era?: 'legacy',
  ): Promise<{ runtime: ServerRuntime; result: Result }[]> {
    const runtimes = [...this.#core.servers.values()].filter(
      (runtime) =>
        caller.canReach(runtime.name) &&
        runtime.upstream.state === 'ready' &&
        runtime.upstream.capabilities?.[capability] &&
        (era === undefined || runtime.upstream.era === era),
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

  #routeName(caller: Caller, qualified: unknown, what: string): { runtime: ServerRuntime; name: string } {
    const parts = typeof qualified === 'string' ? unqualify(qualified) : undefined;
    const runtime = parts ? this.#core.servers.get(parts.server) : undefined;
    if (!parts || !runtime || !caller.canReach(parts.server)) {
      throw new McpError(
        JSONRPC_INVALID_PARAMS,
        `unknown ${what} "${String(qualified)}": aggregated names are <server>__<name>; list them with ${what}s/list`,
      );
    }
    return { runtime, name: parts.name };
  }

  async #routeUri(caller: Caller, uri: unknown, context: CallContext): Promise<ServerRuntime> {
    if (typeof uri !== 'string') throw new McpError(JSONRPC_INVALID_PARAMS, '"uri" must be a string');
    let owner = this.#ownerOf(uri);
    if (!owner) {
      // Not listed yet in this process: list once, then look again.
      await this.handle('resources/list', undefined, context);
      await this.handle('resources/templates/list', undefined, context);
      owner = this.#ownerOf(uri);
    }
    // A URI no server listed goes to the only reachable server with resources, if there is just
    // one: `/mcp` over one server is that server (it decides). With several, the gateway cannot
    // know which one the URI belongs to.
    owner ??= this.#soleResourceServer(caller);
    const runtime = owner ? this.#core.servers.get(owner) : undefined;
    if (!runtime || !caller.canReach(runtime.name)) {
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

  #soleResourceServer(caller: Caller): string | undefined {
    const candidates = [...this.#core.servers.values()].filter(
      (runtime) =>
        caller.canReach(runtime.name) &&
        runtime.upstream.state === 'ready' &&
        runtime.upstream.capabilities?.resources !== undefined,
    );
    return candidates.length === 1 ? candidates[0]?.name : undefined;
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
}
