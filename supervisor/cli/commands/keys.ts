import type { Command } from 'commander';
import { ControlClient } from '../../client/control-client.ts';
import { isProcessAlive, readState } from '../../client/state-file.ts';
import type { ClientKeyRow } from '../../client/wire-types.ts';
import { SupervisorError } from '../../shared/errors.ts';
import type { HomePaths } from '../../shared/home.ts';
import type { ClientKeys } from '../../store/client-keys.ts';
import { homeOf, isJson } from '../context.ts';
import { formatKeysTable, print } from '../format.ts';

/** `keys create NAME [--servers a,b] | keys list | keys revoke ID|NAME`. */
export function registerKeys(program: Command): void {
  const keys = program
    .command('keys')
    .description('client keys for the gateway (bearer tokens, stored hashed)');
  keys
    .command('create <name>')
    .description('create a key; its token is shown once')
    .option('--servers <list>', 'comma-separated servers the key may use (default: all)')
    .action(async (name: string, options: { servers?: string }, command: Command) => {
      const servers = options.servers
        ? options.servers
            .split(',')
            .map((s) => s.trim())
            .filter(Boolean)
        : null;
      const created = await withKeys(homeOf(command), {
        remote: (client) =>
          client.request<{ token: string; key: unknown }>('POST', '/api/keys', {
            body: JSON.stringify({ name, servers }),
          }),
        local: (store) => store.create(name, servers),
      });
      if (isJson(command)) return print(created);
      print(
        `created key "${name}"${servers ? ` for ${servers.join(', ')}` : ' for all servers'}; its token (shown once):`,
      );
      print(created.token);
    });
  keys
    .command('list')
    .description('list keys (never their tokens)')
    .action(async (_options: unknown, command: Command) => {
      const list = await withKeys(homeOf(command), {
        remote: async (client) => (await client.request<{ keys: ClientKeyRow[] }>('GET', '/api/keys')).keys,
        local: (store) => store.list(),
      });
      if (isJson(command)) return print({ keys: list });
      print(formatKeysTable(list));
    });
  keys
    .command('revoke <idOrName>')
    .description('revoke a key at once')
    .action(async (idOrName: string, _options: unknown, command: Command) => {
      const revoked = await withKeys(homeOf(command), {
        remote: async (client) =>
          (
            await client.request<{ revoked: number }>(
              'POST',
              `/api/keys/${encodeURIComponent(idOrName)}/revoke`,
            )
          ).revoked,
        local: (store) => {
          const count = store.revoke(idOrName);
          if (count === 0)
            throw new SupervisorError('BAD_REQUEST', `no active key with id or name "${idOrName}"`);
          return count;
        },
      });
      if (isJson(command)) return print({ ok: true, revoked });
      print(`revoked ${revoked} key(s)`);
    });
}

/**
 * Key commands go through the running supervisor (so a revoke clears its cache at once), or
 * straight to the database when none runs.
 */
async function withKeys<T>(
  paths: HomePaths,
  how: { remote: (client: ControlClient) => Promise<T>; local: (keys: ClientKeys) => T },
): Promise<T> {
  const state = await readState(paths.stateFile);
  if (state && isProcessAlive(state.pid)) return how.remote(new ControlClient(paths));
  const [{ openStore }, { ClientKeys }] = await Promise.all([
    import('../../store/db.ts'),
    import('../../store/client-keys.ts'),
  ]);
  const store = openStore(paths.databaseFile);
  try {
    return how.local(new ClientKeys(store.db));
  } finally {
    store.close();
  }
}
