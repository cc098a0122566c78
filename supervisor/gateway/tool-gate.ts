import path from 'node:path';
import type { ServerRuntime } from '../core/server-runtime.ts';
import type { SupervisorCore } from '../core/supervisor.ts';
import { serverBaseEnv } from '../process/server-env.ts';
import {
  capabilityAtoms,
  probeCapabilitySets,
  type ToolObservation,
  toolRequirements,
} from '../protocol/capability-filter.ts';
import type { Logger } from '../shared/logger.ts';
import { type ProbeTarget, probeToolNames } from '../upstream/tool-probe.ts';
import { UPSTREAM_CLIENT_CAPABILITIES } from '../upstream/upstream.ts';

/** How long a tools/list waits for a probe still running before it answers unfiltered. */
const WAIT_FOR_PROBE_MS = 15_000;

interface Learned {
  /** Config and era the requirements were learned for; a change means learning again. */
  identity: string;
  /** Tool → the capability atoms a client must declare to see it; undefined while unknown. */
  requirements: Map<string, string[]> | undefined;
  pending: Promise<void> | undefined;
}

/**
 * Capability-filtered tool lists: a tool a server offers only to clients that declared sampling,
 * elicitation or roots is listed only to clients that declared them.
 *
 * The gateway's one upstream session declares all three, so it sees every such tool (16 of
 * server-everything's, where a plain client sees 13). Which tool needs which capability is learned
 * by observation (protocol/capability-filter.ts): the tool lists of sessions that declared none and
 * each one of them — a 2026-07-28 server is simply asked with other capabilities in the request's
 * `_meta`; a 2025 server gets a short probe session each (a process of its own for stdio, see
 * upstream/tool-probe.ts), once per server config, one probe at a time, and only the plain one
 * when that already lists every tool. Until a server is learned,
 * or when a probe fails, its list is passed unfiltered (and the failure logged).
 */
export class ToolGate {
  readonly #core: SupervisorCore;
  readonly #logger: Logger;
  readonly #probeTimeoutMs: number;
  readonly #probeNames: typeof probeToolNames;
  readonly #learned = new Map<string, Learned>();
  readonly #abort = new AbortController();
  /** One probe at a time across servers: each may be a process start. */
  #queue: Promise<void> = Promise.resolve();

  constructor(options: {
    core: SupervisorCore;
    logger: Logger;
    probeTimeoutMs: number;
    /** Opens one probe session of a 2025 server (default: `upstream/tool-probe.ts`; tests count them). */
    probeToolNames?: typeof probeToolNames;
    /**
     * No probe begins before this settles: the servers' start (`SupervisorCore.startSettled`). A
     * probe of a stdio server is a second start of its command (server-memory: ~0.4 s of CPU), which
     * on 2 cores delays the servers still starting; a list asked for meanwhile waits as for any
     * probe in flight.
     */
    notBefore?: Promise<unknown>;
  }) {
    this.#core = options.core;
    this.#logger = options.logger;
    this.#probeTimeoutMs = options.probeTimeoutMs;
    this.#probeNames = options.probeToolNames ?? probeToolNames;
    if (options.notBefore) {
      // A stop does not wait for the start window: close() must return at once.
      const closed = new Promise<void>((resolve) =>
        this.#abort.signal.addEventListener('abort', () => resolve(), { once: true }),
      );
      this.#queue = Promise.race([options.notBefore, closed]).then(() => {});
    }
  }

  /** Starts learning `runtime`'s gated tools, unless they are known for its config and era. */
  learn(runtime: ServerRuntime): void {
    const identity = identityOf(runtime);
    const known = this.#learned.get(runtime.name);
    if (known?.identity === identity && (known.requirements || known.pending)) return;
    const entry: Learned = { identity, requirements: undefined, pending: undefined };
    this.#learned.set(runtime.name, entry);
    entry.pending = this.#queue = this.#queue
      .then(() => this.#probe(runtime, entry))
      .catch((error: unknown) => {
        if (!this.#abort.signal.aborted)
          this.#logger.warn(
            { server: runtime.name, err: error },
            'could not learn which tools need which client capability; its tools are listed to every client',
          );
      })
      .finally(() => {
        entry.pending = undefined;
      });
  }

  /** Forgets a removed server. */
  forget(server: string): void {
    this.#learned.delete(server);
  }

  /**
   * The tools of `runtime` a client that declared `capabilities` may see. Waits (bounded) for a
   * probe still running, so the first list after a start is already filtered.
   */
  async visible<T extends { name: string }>(
    runtime: ServerRuntime,
    tools: readonly T[],
    capabilities: object,
  ): Promise<T[]> {
    const entry = this.#learned.get(runtime.name);
    if (entry?.pending) await Promise.race([entry.pending, sleepUnref(WAIT_FOR_PROBE_MS)]);
    return filterTools(tools, entry?.requirements, capabilities);
  }

  /** Like {@link visible} without waiting: for lists built synchronously. */
  visibleNow<T extends { name: string }>(
    runtime: ServerRuntime,
    tools: readonly T[],
    capabilities: object,
  ): T[] {
    return filterTools(tools, this.#learned.get(runtime.name)?.requirements, capabilities);
  }

  /**
   * Stops the probes and resolves once the one running has ended, its process included (its
   * close ends the process group in bounded steps), so a stop leaves no probe process behind.
   */
  async close(): Promise<void> {
    this.#abort.abort(new Error('the supervisor is stopping'));
    await this.#queue;
  }

  async #probe(runtime: ServerRuntime, entry: Learned): Promise<void> {
    const upstream = runtime.upstream;
    if (this.#abort.signal.aborted || upstream.state !== 'ready' || !upstream.capabilities?.tools) return;
    const observations: ToolObservation[] = [
      { capabilities: UPSTREAM_CLIENT_CAPABILITIES, tools: upstream.tools.map((tool) => tool.name) },
    ];
    const target = upstream.era === 'modern' ? undefined : this.#targetOf(runtime);
    const all = new Set(observations[0]?.tools);
    // The plain set ({}) comes first. When it already lists every tool of the gateway's own
    // session, no tool is gated: declaring more never hides a tool (capability-filter.ts), so the
    // single-capability sets would list the same. A 2025 stdio server then costs one probe process
    // instead of one per set (server-memory: 1 instead of 4 extra starts of its command).
    for (const capabilities of probeCapabilitySets(UPSTREAM_CLIENT_CAPABILITIES)) {
      const names = target
        ? await this.#probeNames(target, capabilities, {
            timeoutMs: this.#probeTimeoutMs,
            signal: this.#abort.signal,
          })
        : (await upstream.listToolsAs(capabilities)).map((tool) => tool.name);
      observations.push({ capabilities, tools: names });
      const isPlain = Object.keys(capabilities).length === 0;
      if (isPlain && [...all].every((name) => names.includes(name))) break;
    }
    if (this.#learned.get(runtime.name) !== entry) return;
    entry.requirements = toolRequirements(observations);
    if (entry.requirements.size > 0) {
      this.#logger.info(
        { server: runtime.name, requirements: Object.fromEntries(entry.requirements) },
        'tools listed only to clients with these capabilities',
      );
    }
  }

  /** Where a 2025 server's probe session goes: its HTTP url, or a process like its own. */
  #targetOf(runtime: ServerRuntime): ProbeTarget {
    const config = runtime.config;
    if (config.url !== undefined) return { kind: 'http', url: config.url, headers: config.headers ?? {} };
    const root = this.#core.paths.root;
    return {
      kind: 'stdio',
      command: config.command ?? '',
      args: config.args ?? [],
      env: {
        ...serverBaseEnv({ settings: this.#core.config.supervisor.env, server: config }),
        ...config.env,
      },
      cwd: config.cwd ? path.resolve(root, config.cwd) : root,
    };
  }
}

function filterTools<T extends { name: string }>(
  tools: readonly T[],
  requirements: Map<string, string[]> | undefined,
  capabilities: object,
): T[] {
  if (!requirements || requirements.size === 0) return [...tools];
  const atoms = capabilityAtoms(capabilities as Record<string, unknown>);
  return tools.filter((tool) => requirements.get(tool.name)?.every((atom) => atoms.has(atom)) ?? true);
}

function identityOf(runtime: ServerRuntime): string {
  return `${runtime.upstream.era}\n${JSON.stringify(runtime.config)}`;
}

function sleepUnref(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
