import type { ServerEvent } from '../api/types.ts';

/** Where a log line came from. `marker` lines are the console's own (restarts, exits). */
export type LogSource = 'out' | 'err' | 'supervisor' | 'marker';

/** One line of a log as the viewer keeps it; `seq` orders lines and survives trimming. */
export interface LogEntry {
  /** Given by the LogBuffer when the line is appended (-1 before). */
  seq: number;
  /** ms since the epoch; lines without a time of their own carry the previous line's. */
  ts: number | null;
  source: LogSource;
  /** pino level (10 trace … 60 fatal) of a JSON line; stderr lines count as warnings for filters. */
  level: number | null;
  text: string;
}

export const LEVELS: readonly { value: number; name: string }[] = [
  { value: 10, name: 'trace' },
  { value: 20, name: 'debug' },
  { value: 30, name: 'info' },
  { value: 40, name: 'warn' },
  { value: 50, name: 'error' },
  { value: 60, name: 'fatal' },
];

export function levelName(level: number | null): string {
  if (level === null) return '';
  let name = 'trace';
  for (const entry of LEVELS) if (level >= entry.value) name = entry.name;
  return name;
}

const PM2_PREFIX = /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d): ?/;

/**
 * A line of a server's PM2 log: `2026-01-31T14:03:07: text` (PM2's `time` option writes the
 * supervisor host's local time, to the second). Lines without the prefix keep `ts` null.
 */
export function parseServerLine(line: string): { ts: number | null; text: string } {
  const match = PM2_PREFIX.exec(line);
  if (!match) return { ts: null, text: line };
  const [, y, mo, d, h, mi, s] = match.map(Number) as number[];
  const ts = new Date(y ?? 0, (mo ?? 1) - 1, d, h, mi, s).getTime();
  return { ts, text: line.slice(match[0].length) };
}

const PINO_SKIP = new Set(['level', 'time', 'msg', 'pid', 'hostname', 'v']);

function fieldText(value: unknown): string {
  if (typeof value === 'string') return /[\s"=]/.test(value) ? JSON.stringify(value) : value;
  return JSON.stringify(value) ?? String(value);
}

/**
 * A line of the supervisor's pino log: `{"level":30,"time":…,"msg":"…",…}` → its time, level and
 * `msg key=value …`. A line that is not a JSON object is kept as it is, without a level.
 */
export function parseSupervisorLine(line: string): { ts: number | null; level: number | null; text: string } {
  if (!line.startsWith('{')) return { ts: null, level: null, text: line };
  let record: Record<string, unknown>;
  try {
    record = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return { ts: null, level: null, text: line };
  }
  const fields = Object.entries(record)
    .filter(([key]) => !PINO_SKIP.has(key))
    .map(([key, value]) => `${key}=${fieldText(value)}`);
  const msg = typeof record.msg === 'string' ? record.msg : '';
  return {
    ts: typeof record.time === 'number' ? record.time : null,
    level: typeof record.level === 'number' ? record.level : null,
    text: [msg, ...fields].filter(Boolean).join(' '),
  };
}

/** The marker line the viewer shows for a lifecycle event, or null for events that are not one. */
export function markerText(
  event: Pick<ServerEvent, 'kind' | 'exitCode' | 'signal' | 'delayMs' | 'message'>,
): string | null {
  switch (event.kind) {
    case 'start':
      return 'started';
    case 'online':
      return 'online';
    case 'exit':
      return event.signal
        ? `exited (killed by ${event.signal})`
        : `exited with code ${event.exitCode ?? 'unknown'}`;
    case 'restart':
      return event.delayMs !== undefined ? `restarting in ${event.delayMs} ms` : 'restarting';
    case 'crash_loop':
      return 'crash loop: stays down until started';
    case 'stop':
      return 'stopped';
    case 'error':
      return `error${event.message ? `: ${event.message}` : ''}`;
    default:
      return null;
  }
}

/** Makes entries of raw lines, filling in missing times from the line before. */
export class EntryMaker {
  #lastTs: number | null = null;

  make(source: LogSource, ts: number | null, level: number | null, text: string): LogEntry {
    if (ts !== null) this.#lastTs = ts;
    return { seq: -1, ts: ts ?? this.#lastTs, source, level, text };
  }

  serverLine(stream: 'out' | 'err', line: string): LogEntry {
    const parsed = parseServerLine(line);
    return this.make(stream, parsed.ts, stream === 'err' ? 40 : 30, parsed.text);
  }

  supervisorLine(line: string): LogEntry {
    const parsed = parseSupervisorLine(line);
    return this.make('supervisor', parsed.ts, parsed.level, parsed.text);
  }
}
