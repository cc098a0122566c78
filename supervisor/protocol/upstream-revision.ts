/**
 * Detects the newest revision a server speaks, over a transport the caller made (the bridge's
 * socket, a Streamable HTTP url): connect with 2026-07-28 first, fall back to the 2025 handshake.
 *
 * The probe is the SDK v2 client's own (`versionNegotiation: { mode: 'auto' }`): `server/discover`
 * with the modern envelope; a DiscoverResult, or a recognized modern error such as -32022 with a
 * `supported` list, means modern; any other error (or, on stdio, silence) means legacy, and the
 * client then runs the plain `initialize` (basic/transports/stdio#backward-compatibility,
 * streamable-http#backward-compatibility). A custom transport probes in place on the same
 * connection, so one connection per server process stays.
 */
import { Client, type Transport } from '@modelcontextprotocol/client';
import { isModernRevision } from './revisions.ts';

export interface UpstreamRevision {
  era: 'modern' | 'legacy';
  /** The revision in use on this connection (`2026-07-28`, or the one `initialize` agreed). */
  revision: string;
  /** The connected client: keep it for the connection's life (it owns the transport now). */
  client: Client;
  serverInfo: { name: string; version: string } | undefined;
  capabilities: Record<string, unknown> | undefined;
  /** The modern server's `supportedVersions`; undefined for a legacy server. */
  supportedVersions: string[] | undefined;
}

export interface DetectOptions {
  clientInfo: { name: string; version: string };
  /** Capabilities the connection declares (for a legacy server: those of the one shared session). */
  capabilities?: Record<string, unknown>;
  /** Bound on the probe; on stdio a silent legacy server falls back after it. */
  probeTimeoutMs?: number;
  signal?: AbortSignal;
}

/** Connects `transport` in the newest revision the server supports and says which it is. */
export async function detectUpstreamRevision(
  transport: Transport,
  options: DetectOptions,
): Promise<UpstreamRevision> {
  const client = new Client(options.clientInfo, {
    capabilities: options.capabilities ?? {},
    versionNegotiation: { mode: 'auto', probe: { timeoutMs: options.probeTimeoutMs ?? 5_000 } },
    // The gateway relays input_required rounds to its own clients; it never fulfils them itself.
    inputRequired: { autoFulfill: false },
  });
  options.signal?.throwIfAborted();
  const onAbort = () => void client.close();
  options.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    await client.connect(transport);
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
  }
  const revision = client.getNegotiatedProtocolVersion();
  if (revision === undefined) {
    await client.close();
    throw new Error(
      'the server connected without a protocol revision; it is not an MCP server this gateway can speak to',
    );
  }
  const discover = client.getDiscoverResult();
  return {
    era: isModernRevision(revision) ? 'modern' : 'legacy',
    revision,
    client,
    serverInfo: client.getServerVersion(),
    capabilities: client.getServerCapabilities() as Record<string, unknown> | undefined,
    supportedVersions: discover?.supportedVersions,
  };
}
