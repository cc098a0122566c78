import type { MetricsSummary } from '../client/wire-types.ts';
import { loadConfig } from '../config/load.ts';
import { mergedTail } from '../control/log-tail.ts';
import { parseDuration } from '../control/query.ts';
import { summarizeServers } from '../metrics/summary.ts';
import { SupervisorError } from '../shared/errors.ts';
import { type HomePaths, serverLogFiles } from '../shared/home.ts';
import type { AlertRecord } from '../store/alert-store.ts';
import type { Store } from '../store/db.ts';
import { createQueries, type Queries, type ServerEventRow } from '../store/queries.ts';
import { openReadOnlyStore } from '../store/read-only.ts';

/**
 * What a supervisor that is not running recorded, read without it: its metrics database (opened
 * read-only, never created or migrated) and its servers' log files. The shapes are those of the
 * control API's answers, with `offline: true`, so a reader prints them the same way.
 *
 * This lives in cli/, not client/: it reads the database, the config and the log files itself,
 * with store/, config/ and the control API's own helpers, and client/ (the ground floor the app
 * and the console use) may import none of them. Only the CLI reads a stopped supervisor.
 */
export interface RecordedData {
  /** Per-server totals over `since` (`1h`, `7d` …); CPU/RSS and host figures are null (nothing runs). */
  summary(query: { since: string; server?: string }): Promise<OfflineSummary>;
  /** Server lifecycle events over `since`, newest first (at most 500). */
  events(query: { since: string; server?: string }): { events: ServerEventRow[]; offline: true };
  /** The alerts that were firing when it stopped, or the history with `all`. */
  alerts(query: { all: boolean }): { alerts: AlertRecord[]; offline: true };
  /** The last `lines` lines of a server's stdout, stderr or both, merged by time. */
  logs(
    server: string,
    query: { lines: number; stream: 'out' | 'err' | 'all' },
  ): Promise<{ server: string; lines: { stream: 'out' | 'err'; line: string }[]; offline: true }>;
  close(): void;
}

/** `GET /api/metrics/summary`'s shape, from the records: nothing runs, so no host figures. */
export interface OfflineSummary extends MetricsSummary {
  host: null;
  droppedEvents: 0;
  offline: true;
}

/** The data of `paths`' home; the database is opened on first use and closed by `close()`. */
export function openRecorded(paths: HomePaths): RecordedData {
  let store: Store | undefined;
  let queries: Queries | null | undefined;
  /** Null when the home has no database yet: nothing was recorded. */
  const db = (): Queries | null => {
    if (queries === undefined) {
      store = openReadOnlyStore(paths.databaseFile);
      queries = store ? createQueries(store) : null;
    }
    return queries;
  };
  const configured = async (): Promise<string[]> => {
    try {
      const { config } = await loadConfig({ paths });
      return Object.entries(config.mcpServers)
        .filter(([, server]) => !server.disabled)
        .map(([name]) => name);
    } catch {
      return []; // An unreadable config still leaves what was recorded.
    }
  };
  return {
    async summary(query) {
      const to = Date.now();
      const from = to - parseDuration(query.since);
      const recorded = db()?.recordedServers({ from, to }) ?? [];
      const names = [...new Set([...(await configured()), ...recorded])].sort();
      if (query.server !== undefined && !names.includes(query.server)) {
        throw new SupervisorError(
          'UNKNOWN_SERVER',
          `no server named "${query.server}" is configured or recorded in the last ${query.since}`,
        );
      }
      const wanted = query.server === undefined ? names : [query.server];
      const queriesNow = db();
      const servers = queriesNow
        ? summarizeServers(queriesNow, wanted, { from, to })
        : wanted.map((server) => ({
            server,
            requests: 0,
            errors: 0,
            refused: 0,
            p50Ms: null,
            p95Ms: null,
            p99Ms: null,
            cpuPercent: null,
            rssBytes: null,
          }));
      return { from, to, servers, host: null, droppedEvents: 0, offline: true };
    },

    events(query) {
      const since = Date.now() - parseDuration(query.since);
      const events =
        db()?.events({
          since,
          limit: 500,
          ...(query.server === undefined ? {} : { server: query.server }),
        }) ?? [];
      return { events, offline: true };
    },

    alerts(query) {
      const queriesNow = db();
      const alerts = queriesNow
        ? query.all
          ? queriesNow.alertHistory({ limit: 500 })
          : queriesNow.firingAlerts()
        : [];
      return { alerts, offline: true };
    },

    async logs(server, query) {
      const files = serverLogFiles(paths, server);
      const wanted = query.stream === 'all' ? [files.out, files.err] : [files[query.stream]];
      const lines = await mergedTail(wanted, files.err, query.lines);
      if (lines.length === 0 && !(await configured()).includes(server)) {
        throw new SupervisorError(
          'UNKNOWN_SERVER',
          `no server named "${server}" is configured, and it has no logs in ${paths.serverLogDir}`,
        );
      }
      return { server, lines, offline: true };
    },

    close() {
      store?.close();
    },
  };
}
