import { type Signal, signal } from '@preact/signals';
import type { ServerLogLine, TimelineEntry } from '../api/types.ts';
import { LogBuffer } from '../lib/log-buffer.ts';
import { EntryMaker, type LogEntry, markerText } from '../lib/log-lines.ts';
import { getApi, onServerEvent } from './app-state.ts';

/** How many lines a feed loads when it opens; the follow appends from there. */
export const TAIL_LINES = 5_000;

export type FeedState = 'loading' | 'live' | 'reconnecting';

/** One log as the viewer shows it: a bounded buffer filled from the tail, then kept live. */
export interface LogFeed {
  readonly buffer: LogBuffer;
  /** Bumped when lines arrive (the viewer renders on it). */
  readonly version: Signal<number>;
  readonly state: Signal<FeedState>;
  readonly error: Signal<string | null>;
  stop(): void;
}

interface FeedSource {
  /** The last lines, oldest first, as entries. */
  tail(maker: EntryMaker, signal: AbortSignal): Promise<LogEntry[]>;
  followPath: string;
  /** Entries of one `lines` event of the follow stream. */
  followed(maker: EntryMaker, data: unknown): LogEntry[];
  /** Live lifecycle markers (server logs only). */
  markers?: (push: (entry: LogEntry) => void, maker: EntryMaker) => () => void;
}

/**
 * Opens the follow stream first and loads the tail once it is open, so no line written in
 * between is lost; lines the follow delivered that the tail also holds are dropped. When the
 * stream drops (supervisor restarting), the feed reconnects and reloads the tail.
 */
function createFeed(source: FeedSource, capacity: number): LogFeed {
  const buffer = new LogBuffer(capacity);
  const version = signal(0);
  const state = signal<FeedState>('loading');
  const error = signal<string | null>(null);
  const abort = new AbortController();
  const maker = new EntryMaker();
  let pending: LogEntry[] | null = null;
  let scheduled = false;

  const flush = () => {
    scheduled = false;
    version.value = buffer.version;
  };
  /** Appends are coalesced to one render per frame however fast lines arrive. */
  const push = (entries: LogEntry[]) => {
    if (pending) {
      pending.push(...entries);
      return;
    }
    buffer.append(entries);
    if (!scheduled) {
      scheduled = true;
      requestAnimationFrame(flush);
    }
  };
  const stopMarkers = source.markers?.((entry) => push([entry]), maker);

  const run = async () => {
    let delayMs = 500;
    while (!abort.signal.aborted) {
      const round = new AbortController();
      const onAbort = () => round.abort();
      abort.signal.addEventListener('abort', onAbort, { once: true });
      try {
        pending = [];
        await getApi().stream(
          source.followPath,
          (event, data) => {
            if (event === 'lines') push(source.followed(maker, data));
          },
          {
            signal: round.signal,
            onOpen: () => {
              void (async () => {
                try {
                  const tail = await source.tail(maker, round.signal);
                  const early = pending ?? [];
                  pending = null;
                  const seen = new Set(
                    tail.slice(-500).map((e) => `${e.source}\u0000${e.text}\u0000${e.ts}`),
                  );
                  buffer.reset([
                    ...tail,
                    ...early.filter((e) => !seen.has(`${e.source}\u0000${e.text}\u0000${e.ts}`)),
                  ]);
                  version.value = buffer.version;
                  state.value = 'live';
                  error.value = null;
                  delayMs = 500;
                } catch (e) {
                  if (!round.signal.aborted) error.value = (e as Error).message;
                }
              })();
            },
          },
        );
      } catch (e) {
        if (!abort.signal.aborted) error.value = (e as Error).message;
      } finally {
        abort.signal.removeEventListener('abort', onAbort);
        round.abort();
        pending = null;
      }
      if (abort.signal.aborted) return;
      state.value = 'reconnecting';
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      delayMs = Math.min(5_000, delayMs * 2);
    }
  };
  void run();
  return {
    buffer,
    version,
    state,
    error,
    stop() {
      abort.abort();
      stopMarkers?.();
    },
  };
}

/** A server's stdout and stderr, merged by time, with its restarts and exits as marker lines. */
export function serverLogFeed(server: string, capacity = 100_000): LogFeed {
  const path = encodeURIComponent(server);
  return createFeed(
    {
      async tail(maker, signal) {
        const api = getApi();
        const [{ lines }, timeline] = await Promise.all([
          api.get<{ lines: ServerLogLine[] }>(`/api/servers/${path}/logs?lines=${TAIL_LINES}&stream=all`, {
            signal,
          }),
          api
            .get<{ entries: TimelineEntry[] }>(
              `/api/timeline?server=${path}&category=server&since=7d&limit=500`,
              { signal },
            )
            .catch(() => ({ entries: [] as TimelineEntry[] })),
        ]);
        const entries = lines.map((line) => maker.serverLine(line.stream, line.line));
        const first = entries.find((e) => e.ts !== null)?.ts ?? Number.NEGATIVE_INFINITY;
        const markers = timeline.entries
          .filter((e) => e.ts >= first)
          .flatMap((e) => {
            const text = markerText({ kind: e.type as never, exitCode: e.exitCode, ...(e.detail ?? {}) });
            return text ? [maker.make('marker', e.ts, null, `── ${text} ──`)] : [];
          });
        // Markers go between the lines of their time (the timeline comes newest first).
        return mergeByTime(entries, markers.reverse());
      },
      followPath: `/api/servers/${path}/logs/follow?stream=all`,
      followed(maker, data) {
        const { stream, lines } = data as { stream: 'out' | 'err'; lines: string[] };
        return lines.map((line) => maker.serverLine(stream, line));
      },
      markers(push, maker) {
        return onServerEvent((event) => {
          if (event.server !== server) return;
          const text = markerText(event);
          if (text) push(maker.make('marker', event.at, null, `── ${text} ──`));
        });
      },
    },
    capacity,
  );
}

/** The supervisor's own JSON log. */
export function supervisorLogFeed(capacity = 100_000): LogFeed {
  return createFeed(
    {
      async tail(maker, signal) {
        const { lines } = await getApi().get<{ lines: string[] }>(
          `/api/logs/supervisor?lines=${TAIL_LINES}`,
          { signal },
        );
        return lines.map((line) => maker.supervisorLine(line));
      },
      followPath: '/api/logs/supervisor/follow',
      followed(maker, data) {
        return (data as { lines: string[] }).lines.map((line) => maker.supervisorLine(line));
      },
    },
    capacity,
  );
}

/** Merges two time-ordered lists; on equal times the first list's entries come first. */
export function mergeByTime(a: readonly LogEntry[], b: readonly LogEntry[]): LogEntry[] {
  const out: LogEntry[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    const left = a[i];
    const right = b[j];
    if (right === undefined || (left !== undefined && (left.ts ?? 0) <= (right.ts ?? 0))) {
      out.push(left as LogEntry);
      i++;
    } else {
      out.push(right);
      j++;
    }
  }
  return out;
}
