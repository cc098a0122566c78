import { existsSync } from 'node:fs';
import { ControlClient } from '../client/control-client.ts';
import { isProcessAlive, readState } from '../client/state-file.ts';
import type { ClientKeyRow, ServerStatus } from '../client/wire-types.ts';
import type { HomePaths } from '../shared/home.ts';
import { ClientKeys } from '../store/client-keys.ts';

/**
 * What import and client setup need from the supervisor of a home: whether one runs, its config
 * file, validation and reload through its control API, and client keys — through the running
 * supervisor (so a revoke clears its key cache at once), or straight in the database when none runs.
 */

/** The control client of the running supervisor of `paths`, or `undefined` when none runs. */
export async function runningSupervisor(paths: HomePaths): Promise<ControlClient | undefined> {
  const state = await readState(paths.stateFile);
  return state && isProcessAlive(state.pid) ? new ControlClient(paths) : undefined;
}

interface StatusBody {
  supervisor: { configFile: string | null };
  servers: ServerStatus[];
}

/** What the supervisor's reload did (the config diff). */
export interface ReloadDiff {
  added?: string[];
  removed?: string[];
  changed?: string[];
  unchanged?: string[];
}

export interface ServerOutcome {
  name: string;
  state: string;
  lastError?: string;
}

/**
 * The running supervisor as import and setup use it. The CLI and the tray reach it through its
 * control API ({@link controlLink}); the supervisor's own control routes (the console) pass one
 * that calls its parts directly, rather than have it call itself over HTTP.
 */
export interface SupervisorLink {
  /** The config file it reads (`null`: the built-in default, watching the home's `config.json`). */
  configFile(signal?: AbortSignal): Promise<string | null>;
  /** Validates config text with its environment (which expands `${VAR}`); throws `CONFIG_INVALID`. */
  validate(text: string, signal?: AbortSignal): Promise<void>;
  /** Runs its one reload pipeline; resolves with the diff once the change is applied. */
  reload(signal?: AbortSignal): Promise<ReloadDiff>;
  /** Every server it has, with its state now. */
  servers(signal?: AbortSignal): Promise<ServerOutcome[]>;
}

/** A {@link SupervisorLink} over the control API of the supervisor `client` talks to. */
export function controlLink(client: ControlClient): SupervisorLink {
  const status = (signal?: AbortSignal) =>
    client.request<StatusBody>('GET', '/api/status', signal ? { signal } : {});
  return {
    configFile: async (signal) => (await status(signal)).supervisor.configFile,
    validate: async (text, signal) => {
      await client.request('POST', '/api/config/validate', { body: text, ...(signal ? { signal } : {}) });
    },
    reload: async (signal) =>
      (await client.request<{ result: ReloadDiff }>('POST', '/api/reload', signal ? { signal } : {}))
        .result ?? {},
    servers: async (signal) =>
      (await status(signal)).servers.map((row) => ({
        name: row.name,
        state: row.state,
        ...(row.lastError ? { lastError: row.lastError } : {}),
      })),
  };
}

/** `given`, else the running supervisor of `paths` over its control API, else `undefined`. */
export async function supervisorLinkOf(
  paths: HomePaths,
  given: SupervisorLink | undefined,
): Promise<SupervisorLink | undefined> {
  if (given) return given;
  const client = await runningSupervisor(paths);
  return client ? controlLink(client) : undefined;
}

/** States a server passes through on its way up; anything else is where it ended. */
const PENDING_STATES = new Set(['starting', 'restarting', 'installing', 'stopping']);

/**
 * Polls the servers until every one of `names` has left the pending states (or `timeoutMs`
 * passed), calling `onProgress` with the ones still pending after each poll. A server missing from
 * the status is reported as `absent`.
 */
export async function waitForServers(
  link: SupervisorLink,
  names: readonly string[],
  options: {
    timeoutMs: number;
    intervalMs?: number;
    signal?: AbortSignal;
    onProgress?: (pending: ServerOutcome[]) => void;
  },
): Promise<ServerOutcome[]> {
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    const rows = await link.servers(options.signal);
    const outcomes = names.map(
      (name): ServerOutcome => rows.find((row) => row.name === name) ?? { name, state: 'absent' },
    );
    const pending = outcomes.filter((outcome) => PENDING_STATES.has(outcome.state));
    if (pending.length === 0 || Date.now() >= deadline) return outcomes;
    options.onProgress?.(pending);
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 250));
    options.signal?.throwIfAborted();
  }
}

/** Creating and revoking client keys of a home. */
export interface KeyIssuer {
  create(name: string, servers: string[] | null): Promise<{ token: string; key: ClientKeyRow }>;
  /** Revokes the key with this id; resolves with how many were revoked (0: already revoked). */
  revoke(id: string): Promise<number>;
  list(): Promise<ClientKeyRow[]>;
}

/** Keys through the running supervisor when one runs, else through the home's database. */
export function homeKeyIssuer(paths: HomePaths): KeyIssuer {
  const withStore = async <T>(use: (keys: ClientKeys) => T): Promise<T> => {
    const { openStore } = await import('../store/db.ts');
    const store = openStore(paths.databaseFile);
    try {
      return use(new ClientKeys(store.db));
    } finally {
      store.close();
    }
  };
  return {
    async create(name, servers) {
      const client = await runningSupervisor(paths);
      if (!client) return withStore((keys) => keys.create(name, servers));
      return client.request<{ token: string; key: ClientKeyRow }>('POST', '/api/keys', {
        body: JSON.stringify({ name, servers }),
      });
    },
    async revoke(id) {
      const client = await runningSupervisor(paths);
      // Planning and undoing must not create the home's database just to find it empty.
      if (!client && !existsSync(paths.databaseFile)) return 0;
      if (!client) return withStore((keys) => keys.revoke(id));
      const list = (await client.request<{ keys: ClientKeyRow[] }>('GET', '/api/keys')).keys;
      if (!list.some((key) => key.id === id && key.revokedAt === null)) return 0;
      return (await client.request<{ revoked: number }>('POST', `/api/keys/${encodeURIComponent(id)}/revoke`))
        .revoked;
    },
    async list() {
      const client = await runningSupervisor(paths);
      if (!client && !existsSync(paths.databaseFile)) return [];
      if (!client) return withStore((keys) => keys.list());
      return (await client.request<{ keys: ClientKeyRow[] }>('GET', '/api/keys')).keys;
    },
  };
}
