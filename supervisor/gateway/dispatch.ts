import type { Tool } from '@modelcontextprotocol/client';
import { McpError } from '@modelcontextprotocol/sdk/types.js';
import type { ServerRuntime } from '../core/server-runtime.ts';
import type { SupervisorCore } from '../core/supervisor.ts';
import type { Forwarder, ForwardOptions } from '../limits/forwarder.ts';
import { initializeResultFromDiscover, type ModernDiscoverResult } from '../protocol/legacy-session.ts';
import {
  discoverResult,
  hasMrtrFields,
  routeModernRequest,
  stripEnvelope,
  toModernResult,
} from '../protocol/modern-to-legacy.ts';
import { LEGACY_REVISIONS, META, MRTR_METHODS, SUPPORTED_REVISIONS } from '../protocol/revisions.ts';
import { refusalError } from '../shared/refusals.ts';
import { PRODUCT_NAME, VERSION } from '../shared/version.ts';
import { Aggregator } from './aggregated.ts';
import type { Caller } from './caller.ts';
import { fulfilInputRequired } from './input-required.ts';
import type { MrtrBridge } from './mrtr-bridge.ts';
import { hasToolFilter, isToolAllowed } from './names.ts';
import {
  JSONRPC_INVALID_PARAMS,
  JSONRPC_INVALID_REQUEST,
  JSONRPC_METHOD_NOT_FOUND,
  RpcAnswerError,
} from './rpc-errors.ts';
import type { InFlight, Session } from './session.ts';
import type { ToolGate } from './tool-gate.ts';

export interface CallContext {
  caller: Caller;
  signal: AbortSignal;
  /** Set when the request carried `_meta.progressToken`: progress goes back with that token. */
  onProgress?: (progress: Record<string, unknown>) => void;
  /** The 2025 session's request being served: input a 2026 server asks for goes on its stream. */
  inFlight?: InFlight;
  /** Time the client gets to answer such input. */
  inputTimeoutMs?: number;
}

type Result = Record<string, unknown>;

export const GATEWAY_SERVER_INFO = { name: PRODUCT_NAME, version: VERSION };

/**
 * Answers downstream MCP requests of both eras: transparently for one server (`/mcp/<server>`:
 * requests, results, errors, `_meta` and cursors pass unchanged between clients and servers of the
 * same era), or for all of them at once (`/mcp`, aggregated.ts). Between eras it maps (README,
 * "MCP revisions"): a 2026-07-28 client's request loses its `_meta` envelope on the way to a 2025
 * server and its result gains `resultType`, `serverInfo` and the cache hint; a 2025 session's
 * request gains the envelope the session stands for on the way to a 2026 server, and the
 * `input_required` rounds of that server are fulfilled on the session (input-required.ts).
 */
export class Dispatcher {
  readonly #core: SupervisorCore;
  readonly #forwarder: Forwarder;
  readonly #tools: ToolGate;
  readonly #mrtr: MrtrBridge;
  readonly #aggregator: Aggregator;

  constructor(options: { core: SupervisorCore; forwarder: Forwarder; tools: ToolGate; mrtr: MrtrBridge }) {
    this.#core = options.core;
    this.#forwarder = options.forwarder;
    this.#tools = options.tools;
    this.#mrtr = options.mrtr;
    this.#aggregator = new Aggregator({
      core: options.core,
      tools: options.tools,
      forward: (runtime, method, params, context, tool) =>
        this.#forward(runtime, method, params, context, tool),
      subscribe: (runtime, method, params, context) => this.#subscription(runtime, method, params, context),
    });
  }

  /** The `initialize` result for a new 2025 session (the server's own for `/mcp/<server>`). */
  initializeResult(server: string | undefined, requestedVersion: unknown): Result {
    const requested = typeof requestedVersion === 'string' ? requestedVersion : '';
    if (server === undefined) {
      return initializeResultFromDiscover(
        this.#aggregator.discover() as unknown as ModernDiscoverResult,
        requested,
        LEGACY_REVISIONS,
      );
    }
    const runtime = this.#readyRuntime(server);
    const upstream = runtime.upstream;
    return initializeResultFromDiscover(
      {
        supportedVersions: [...LEGACY_REVISIONS],
        capabilities: upstream.capabilities ?? {},
        ...(upstream.instructions !== undefined && { instructions: upstream.instructions }),
        _meta: { [META.serverInfo]: upstream.serverInfo ?? GATEWAY_SERVER_INFO },
      },
      requested,
      LEGACY_REVISIONS,
    );
  }

  /**
   * `server/discover` for a 2026-07-28 client: the revisions the gateway serves (all, since it
   * translates), the server's capabilities and identity (the merged ones on `/mcp`).
   */
  discover(server: string | undefined): Result {
    if (server === undefined) return this.#aggregator.discover();
    const upstream = this.#readyRuntime(server).upstream;
    return discoverResult(
      {
        protocolVersion: upstream.revision ?? SUPPORTED_REVISIONS[0],
        capabilities: (upstream.capabilities ?? {}) as Result,
        serverInfo: upstream.serverInfo ?? GATEWAY_SERVER_INFO,
        ...(upstream.instructions !== undefined && { instructions: upstream.instructions }),
      },
      SUPPORTED_REVISIONS,
    );
  }

  /**
   * Answers one request. Not an async function on the 2025 path, so a tool call's promise is the
   * forwarder's own (one layer fewer).
   */
  handle(method: string, params: Result | undefined, context: CallContext): Promise<Result> {
    const caller = context.caller;
    try {
      if (method === 'ping') return Promise.resolve({});
      if (caller.server === undefined) {
        const answer = this.#aggregator.handle(method, params, context);
        if (caller.era === 'legacy') return answer;
        return answer.then((result) => toModernResult(method, result, GATEWAY_SERVER_INFO));
      }
      const runtime = this.#runtime(caller.server);
      const upstream = runtime.upstream;
      const answer = this.#handleServer(runtime, method, params, context);
      // Same era both sides: the server's result as it sent it.
      if (caller.era === 'legacy' || upstream.era === 'modern') return answer;
      return answer.then((result) =>
        toModernResult(method, result, upstream.serverInfo ?? GATEWAY_SERVER_INFO),
      );
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * The server a request goes to, from what the client sent: the session's own server, or the
   * owner of an aggregated name or resource URI. Asked only when a server sends a request to a
   * client (sampling, elicitation, roots), so routing costs the request path nothing.
   */
  targetOf(caller: Caller, method: string, params: Result | undefined): string | undefined {
    if (caller.server !== undefined) return caller.server;
    return this.#aggregator.targetOf(method, params);
  }

  /** The server that listed (or templates) resource `uri`, as `/mcp` routes it. */
  resourceOwner(uri: string): string | undefined {
    return this.#aggregator.targetOf('resources/read', { uri });
  }

  /** Tools of every online server the caller may reach, with aggregated names. */
  aggregatedTools(caller: Caller): Tool[] {
    return this.#aggregator.tools(caller);
  }

  /** Forgets cached routes of a removed server. */
  forget(server: string): void {
    this.#aggregator.forget(server);
    this.#tools.forget(server);
  }

  #handleServer(
    runtime: ServerRuntime,
    method: string,
    params: Result | undefined,
    context: CallContext,
  ): Promise<Result> {
    switch (method) {
      case 'tools/call':
        return this.#callServerTool(runtime, params, context);
      case 'tools/list':
        return this.#listServerTools(runtime, params, context);
      case 'resources/subscribe':
      case 'resources/unsubscribe':
        return this.#subscription(runtime, method, params, context);
    }
    if (
      method === 'logging/setLevel' &&
      runtime.upstream.era === 'modern' &&
      context.caller.era === 'legacy'
    ) {
      // 2026-07-28 has no logging/setLevel: the level travels in each request's envelope.
      (context.caller as Session).legacy.route(method, params);
      return Promise.resolve({});
    }
    return this.#forward(runtime, method, params, context);
  }

  /** `tools/list` on `/mcp/<server>`: the config's allow/deny list and the caller's capabilities. */
  async #listServerTools(runtime: ServerRuntime, params: Result | undefined, context: CallContext) {
    const result = await this.#forward(runtime, 'tools/list', params, context);
    if (!Array.isArray(result.tools)) return result;
    const filter = runtime.config.tools;
    let tools = result.tools as { name: string }[];
    if (hasToolFilter(filter)) tools = tools.filter((tool) => isToolAllowed(tool.name, filter));
    // A 2026 server filters by the capabilities of the request itself; a 2025 one listed what the
    // gateway's own session may see.
    if (runtime.upstream.era !== 'modern')
      tools = await this.#tools.visible(runtime, tools, context.caller.capabilities);
    return tools === result.tools ? result : { ...result, tools };
  }

  /** `tools/call` on `/mcp/<server>`; throws (synchronously) a tool the tools list does not allow. */
  #callServerTool(runtime: ServerRuntime, params: Result | undefined, context: CallContext): Promise<Result> {
    const filter = runtime.config.tools;
    const name = typeof params?.name === 'string' ? params.name : '';
    if (hasToolFilter(filter) && !isToolAllowed(name, filter)) {
      throw new McpError(
        JSONRPC_INVALID_PARAMS,
        `tool "${name}" of server "${runtime.name}" is not allowed by its tools list`,
      );
    }
    return this.#forward(runtime, 'tools/call', params, context, name);
  }

  /**
   * `resources/subscribe` / `unsubscribe`: the gateway keeps who subscribed to what (one upstream
   * subscription per URI, whoever asked first; the last one to leave ends it), so a client's
   * unsubscribe never ends another's, and a 2026 server gets the URIs in its listen filter.
   */
  async #subscription(
    runtime: ServerRuntime,
    method: string,
    params: Result | undefined,
    context: CallContext,
  ): Promise<Result> {
    const uri = params?.uri;
    if (typeof uri !== 'string') throw new McpError(JSONRPC_INVALID_PARAMS, '"uri" must be a string');
    const session = context.caller as Session;
    if (!runtime.upstream.capabilities?.resources?.subscribe) {
      throw new McpError(
        JSONRPC_METHOD_NOT_FOUND,
        `server "${runtime.name}" does not support resources/subscribe`,
      );
    }
    const uris = session.subscriptions.get(runtime.name) ?? new Set<string>();
    if (method === 'resources/subscribe') {
      await runtime.upstream.subscribe(uri, session.id);
      uris.add(uri);
      session.subscriptions.set(runtime.name, uris);
    } else {
      uris.delete(uri);
      await runtime.upstream.unsubscribe(uri, session.id);
    }
    return {};
  }

  /**
   * Sends one request to `runtime`'s server, in its era: the hot path of every call. Same era:
   * params as the client sent them. 2026 client → 2025 server: the envelope lifted off, and an
   * MRTR method runs as a flight (mrtr-bridge.ts). 2025 client → 2026 server: the session's
   * envelope added, `input_required` rounds fulfilled on the session.
   */
  #forward(
    runtime: ServerRuntime,
    method: string,
    params: Result | undefined,
    context: CallContext,
    tool?: string,
  ): Promise<Result> {
    const caller = context.caller;
    if (runtime.upstream.era === 'modern') {
      const sent = withEnvelope(params, caller);
      if (caller.era === 'modern') return this.#send(runtime, method, sent, context, tool);
      return fulfilInputRequired({
        session: caller as Session,
        ...(context.inFlight ? { inFlight: context.inFlight } : {}),
        params: sent,
        timeoutMs: context.inputTimeoutMs ?? 60_000,
        signal: context.signal,
        send: (roundParams) => this.#send(runtime, method, roundParams, context, tool),
      });
    }
    if (caller.era === 'legacy') return this.#send(runtime, method, params, context, tool);
    const sent = stripEnvelope(params);
    if (!MRTR_METHODS.includes(method)) return this.#send(runtime, method, sent, context, tool);
    // Only a retry needs routing (a first call would only have its envelope stripped again).
    if (hasMrtrFields(params)) {
      const route = routeModernRequest(method, params);
      if (route.kind === 'error') throw new RpcAnswerError(route, route.httpStatus);
      if (route.kind === 'mrtr-retry') {
        return this.#mrtr.retry({
          caller,
          method,
          params: route.params,
          requestState: route.requestState,
          inputResponses: route.inputResponses,
          signal: context.signal,
          onProgress: context.onProgress,
        });
      }
    }
    return this.#mrtr.call({
      caller,
      server: runtime.name,
      method,
      params: sent,
      signal: context.signal,
      onProgress: context.onProgress,
      run: (signal, onProgress) =>
        this.#send(runtime, method, sent, { ...context, signal, onProgress }, tool),
    });
  }

  #send(
    runtime: ServerRuntime,
    method: string,
    params: Result | undefined,
    context: CallContext,
    tool?: string,
  ) {
    // Built without spreads: this runs on every forwarded request.
    const options: ForwardOptions = { clientKey: context.caller.clientKey, signal: context.signal };
    if (context.onProgress) options.onProgress = context.onProgress;
    if (tool !== undefined) options.tool = tool;
    return this.#forwarder.forward(runtime, method, params, options);
  }

  #runtime(server: string): ServerRuntime {
    const runtime = this.#core.servers.get(server);
    if (!runtime) throw new McpError(JSONRPC_INVALID_REQUEST, `server "${server}" is no longer configured`);
    return runtime;
  }

  #readyRuntime(server: string): ServerRuntime {
    const runtime = this.#runtime(server);
    if (!runtime.upstream.capabilities) {
      throw refusalError(
        { reason: 'server_unavailable', server, retryAfterMs: 1_000 },
        `server "${server}" is ${runtime.state} and has not initialized yet; try again shortly`,
      );
    }
    return runtime;
  }
}

/**
 * `params` with the caller's envelope, for a 2026 server: a 2026 client's request already has it
 * (returned as is: no copy on the hot path); a 2025 session's, or a request the gateway makes for
 * a client (a list page), gets it beside the `_meta` it has.
 */
function withEnvelope(params: Result | undefined, caller: Caller): Result {
  const meta = params?._meta as Result | undefined;
  if (caller.era === 'modern' && meta?.[META.protocolVersion] !== undefined) return params as Result;
  return { ...params, _meta: { ...meta, ...caller.envelope() } };
}
