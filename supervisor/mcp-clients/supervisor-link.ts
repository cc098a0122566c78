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

/** The config file the running supervisor reads (`null`: the built-in default, watching `paths.configFile`). */
export async function runningConfigFile(client: ControlClient, signal?: AbortSignal): Promise<string | null> {
  const body = await client.request<StatusBody>('GET', '/api/status', signal ? { signal } : {});
  return body.supervisor.configFile;
}

/** Validates config text with the running supervisor's environment; throws its `CONFIG_INVALID`. */
export async function validateWithSupervisor(
  client: ControlClient,
  text: string,
  signal?: AbortSignal,
): Promise<void> {
  await client.request('POST', '/api/config/validate', { body: text, ...(signal ? { signal } : {}) });
}

/** What the supervisor's reload did (the config diff). */
export interface ReloadDiff {
  added?: string[];
  removed?: string[];
  changed?: string[];
  unchanged?: string[];
}

export async function reloadSupervisor(client: ControlClient, signal?: AbortSignal): Promise<ReloadDiff> {
  const body = await client.request<{ result: ReloadDiff }>('POST', '/api/reload', signal ? { signal } : {});
  return body.result ?? {};
}

/** States a server passes through on its way up; anything else is where it ended. */
const PENDING_STATES = new Set(['starting', 'restarting', 'installing', 'stopping']);

export interface ServerOutcome {
  name: string;
  state: string;
  lastError?: string;
}

/**
 * Polls the status until every server of `names` has left the pending states (or `timeoutMs`
 * passed), calling `onProgress` with the ones still pending after each poll. A server missing from
 * the status is reported as `absent`.
 */
export async function waitForServers(
  client: ControlClient,
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
    const body = await client.request<StatusBody>(
      'GET',
      '/api/status',
      options.signal ? { signal: options.signal } : {},
    );
    const outcomes = names.map((name): ServerOutcome => {
      const row = body.servers.find((server) => server.name === name);
      if (!row) return { name, state: 'absent' };
      return { name, state: row.state, ...(row.lastError ? { lastError: row.lastError } : {}) };
    });
    const pending = outcomes.filter((outcome) => PENDING_STATES.has(outcome.state));
    if (pending.length === 0 || Date.now() >= deadline) return outcomes;
    options.onProgress?.(pending);
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 250));
    options.signal?.throwIfAborted();
  }
}

/** Names of the servers the running supervisor has. */
export async function runningServerNames(client: ControlClient): Promise<string[]> {
  const body = await client.request<StatusBody>('GET', '/api/status');
  return body.servers.map((server) => server.name);
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
      if (!client) return withStore((keys) => keys.revoke(id));
      const list = (await client.request<{ keys: ClientKeyRow[] }>('GET', '/api/keys')).keys;
      if (!list.some((key) => key.id === id && key.revokedAt === null)) return 0;
      return (await client.request<{ revoked: number }>('POST', `/api/keys/${encodeURIComponent(id)}/revoke`))
        .revoked;
    },
    async list() {
      const client = await runningSupervisor(paths);
      if (!client) return withStore((keys) => keys.list());
      return (await client.request<{ keys: ClientKeyRow[] }>('GET', '/api/keys')).keys;
    },
  };
}
