import type { ServerResponse } from 'node:http';
import type { SupervisorCore } from '../core/supervisor.ts';
import { SseWriter } from '../http/sse.ts';
import { ListenHub, type SubscriptionFilter } from '../protocol/subscriptions.ts';
import type { Logger } from '../shared/logger.ts';
import type { Caller } from './caller.ts';
import type { RequestId } from './jsonrpc.ts';
import { aggregateNotification } from './notifications.ts';

type Message = { jsonrpc: '2.0'; method: string; params?: Record<string, unknown> };

/** The hub of `/mcp` (server hubs are keyed by server name, which is never empty). */
const AGGREGATED = '';

interface Stream {
  key: string;
  hub: string;
  caller: Caller;
  writer: SseWriter;
  /** Upstream subscriptions this stream holds, by server. */
  subscribed: { server: string; uri: string }[];
}

/**
 * The `subscriptions/listen` streams of 2026-07-28 clients (basic/patterns/subscriptions): one SSE
 * response per listen request, acknowledged first with the filter narrowed to what the server can
 * send, then every opted-in change notification stamped with the stream's subscription id
 * (protocol/subscriptions.ts `ListenHub`). Resource URIs of a filter become upstream subscriptions
 * (`Upstream.subscribe`), held while the stream is open. A gateway shutdown ends each stream
 * gracefully with its listen result.
 */
export class Listens {
  readonly #core: SupervisorCore;
  readonly #logger: Logger;
  readonly #ownerOf: (uri: string) => string | undefined;
  readonly #hubs = new Map<string, ListenHub>();
  readonly #streams = new Map<string, Stream>();
  #next = 0;

  constructor(options: {
    core: SupervisorCore;
    logger: Logger;
    /** The server that offers a resource URI (for `/mcp`). */
    ownerOf: (uri: string) => string | undefined;
  }) {
    this.#core = options.core;
    this.#logger = options.logger;
    this.#ownerOf = options.ownerOf;
  }

  /**
   * Opens the stream of listen request `id` on `res`. `capabilities` are what the endpoint's
   * server (or `/mcp`) announces.
   */
  open(
    res: ServerResponse,
    caller: Caller,
    id: RequestId,
    requested: SubscriptionFilter,
    capabilities: Record<string, unknown>,
  ): void {
    const key = `l${++this.#next}`;
    const hubKey = caller.server ?? AGGREGATED;
    let hub = this.#hubs.get(hubKey);
    if (!hub) {
      hub = new ListenHub();
      this.#hubs.set(hubKey, hub);
    }
    const ack = hub.open(key, id, requested, capabilities);
    const writer = new SseWriter(res, { headers: { 'x-accel-buffering': 'no' }, heartbeatMs: 15_000 });
    const stream: Stream = { key, hub: hubKey, caller, writer, subscribed: [] };
    this.#streams.set(key, stream);
    writer.send(ack);
    writer.onClose(() => this.#close(stream));
    const uris = (ack.params?.notifications as SubscriptionFilter | undefined)?.resourceSubscriptions ?? [];
    for (const uri of uris) {
      const server = caller.server ?? this.#ownerOf(uri);
      const runtime = server === undefined ? undefined : this.#core.servers.get(server);
      if (!runtime || !caller.canReach(runtime.name)) continue;
      stream.subscribed.push({ server: runtime.name, uri });
      runtime.upstream.subscribe(uri, key).catch((error: unknown) => {
        this.#logger.warn(
          { server: runtime.name, uri, err: error },
          'could not subscribe upstream for a listen stream',
        );
      });
    }
  }

  /** A notification of `server` to the streams of its endpoint and of `/mcp` that opted in. */
  fromServer(server: string, message: Message): void {
    this.#route(server, message, this.#hubs.get(server));
    const aggregated = this.#hubs.get(AGGREGATED);
    if (aggregated) this.#route(server, aggregateNotification(server, message), aggregated);
  }

  /** A list change the gateway itself announces (a reload, a server back online). */
  listChanged(server: string | undefined, message: Message): void {
    if (server === undefined) this.#route(undefined, message, this.#hubs.get(AGGREGATED));
    else this.fromServer(server, message);
  }

  /** Ends every stream with its listen result (graceful end, basic/patterns/subscriptions). */
  closeAll(): void {
    for (const stream of [...this.#streams.values()]) {
      const end = this.#hubs.get(stream.hub)?.closingResult(stream.key);
      stream.writer.end(end ? { jsonrpc: '2.0', id: end.id, result: end.result } : undefined);
      this.#close(stream);
    }
  }

  #route(server: string | undefined, message: Message, hub: ListenHub | undefined): void {
    if (!hub || hub.size === 0) return;
    for (const { key, message: stamped } of hub.route(message)) {
      const stream = this.#streams.get(key);
      if (!stream || (server !== undefined && !stream.caller.canReach(server))) continue;
      stream.writer.send(stamped);
    }
  }

  #close(stream: Stream): void {
    if (!this.#streams.delete(stream.key)) return;
    this.#hubs.get(stream.hub)?.close(stream.key);
    for (const { server, uri } of stream.subscribed) {
      void this.#core.servers
        .get(server)
        ?.upstream.unsubscribe(uri, stream.key)
        .catch(() => {});
    }
  }
}
