import type { ModernEnvelope } from '../protocol/classify.ts';
import { META } from '../protocol/revisions.ts';

/** The protocol era of a downstream client: 2026-07-28 (per request) or a 2025 session. */
export type CallerEra = 'modern' | 'legacy';

/**
 * Who a request comes from, whatever its era: a 2025 session (`Session`) or one stateless
 * 2026-07-28 request ({@link ModernCaller}). The dispatcher routes and maps by it; the forwarder
 * keys per-client limits on `clientKey`.
 */
export interface Caller {
  readonly era: CallerEra;
  /** `undefined` for the aggregated endpoint, else the server name. */
  readonly server: string | undefined;
  /** The client key id (or, with auth off, the session id / `anonymous`): per-client limits key on it. */
  readonly clientKey: string;
  /** What the client declared it can do (2025: at `initialize`; 2026: in this request's `_meta`). */
  readonly capabilities: Readonly<Record<string, unknown>>;
  canReach(server: string): boolean;
  /**
   * The 2026-07-28 `_meta` envelope this caller's requests carry to a 2026 server: a modern
   * client's own, or the one a 2025 session stands for (basic/index#meta).
   */
  envelope(): Record<string, unknown>;
}

/** Principal of a caller without a key (auth off): one for all, as the endpoint is open to all. */
export const ANONYMOUS_PRINCIPAL = 'anonymous';

/** One 2026-07-28 request: everything the gateway knows of its client comes with it. */
export class ModernCaller implements Caller {
  readonly era = 'modern' as const;
  readonly server: string | undefined;
  readonly clientKey: string;
  readonly capabilities: Readonly<Record<string, unknown>>;
  readonly logLevel: string | undefined;
  /** The key's servers, as the key cache holds them (a Set per request would be built for nothing). */
  readonly #scope: readonly string[] | undefined;
  readonly #envelope: ModernEnvelope;

  constructor(options: {
    server: string | undefined;
    clientKey: string | undefined;
    scope: readonly string[] | null | undefined;
    envelope: ModernEnvelope;
  }) {
    this.server = options.server;
    this.clientKey = options.clientKey ?? ANONYMOUS_PRINCIPAL;
    this.#scope = options.scope ?? undefined;
    this.#envelope = options.envelope;
    this.capabilities = options.envelope.clientCapabilities;
    this.logLevel = options.envelope.logLevel;
  }

  canReach(server: string): boolean {
    return this.#scope === undefined || this.#scope.includes(server);
  }

  envelope(): Record<string, unknown> {
    const envelope = this.#envelope;
    return {
      [META.protocolVersion]: envelope.revision,
      [META.clientCapabilities]: envelope.clientCapabilities,
      ...(envelope.clientInfo !== undefined && { [META.clientInfo]: envelope.clientInfo }),
      ...(envelope.logLevel !== undefined && { [META.logLevel]: envelope.logLevel }),
    };
  }
}
