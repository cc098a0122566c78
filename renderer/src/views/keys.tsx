import { useState } from 'preact/hooks';
import type { ClientKey } from '../api/types.ts';
import {
  CopyButton,
  DataTable,
  ErrorBanner,
  RowError,
  type TableColumn,
  ViewHead,
  When,
} from '../components/common.tsx';
import { useNow, usePoll } from '../components/hooks.ts';
import { getApi, isStale, status } from '../state/app-state.ts';

function KeyRow(props: { entry: ClientKey; now: number; onRevoked: () => void }) {
  const { entry } = props;
  const [isConfirming, setConfirming] = useState(false);
  const [isBusy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const revoke = async () => {
    setBusy(true);
    setError(null);
    try {
      await getApi().post(`/api/keys/${encodeURIComponent(entry.id)}/revoke`);
      props.onRevoked();
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
      setConfirming(false);
    }
  };
  return (
    <tr>
      <th scope="row">{entry.name}</th>
      <td>
        <code>{entry.prefix}…</code>
      </td>
      <td>{entry.servers ? entry.servers.join(', ') : 'all servers'}</td>
      <td>
        <When ts={entry.createdAt} now={props.now} />
      </td>
      <td>{entry.lastUsedAt ? <When ts={entry.lastUsedAt} now={props.now} /> : 'never'}</td>
      <td>
        {entry.revokedAt ? (
          <span class="muted">
            revoked <When ts={entry.revokedAt} now={props.now} />
          </span>
        ) : isConfirming ? (
          <span class="actions">
            <button
              type="button"
              class="danger"
              onClick={() => void revoke()}
              disabled={isBusy}
              aria-busy={isBusy}
            >
              Confirm revoke of {entry.name}
            </button>
            <button type="button" onClick={() => setConfirming(false)}>
              Cancel
            </button>
          </span>
        ) : (
          <button
            type="button"
            class="danger"
            onClick={() => setConfirming(true)}
            disabled={isStale.value}
            aria-label={`Revoke key ${entry.name}`}
          >
            Revoke
          </button>
        )}
        <RowError message={error} />
      </td>
    </tr>
  );
}

const COLUMNS: TableColumn[] = [['Name'], ['Key'], ['Servers'], ['Created'], ['Last used'], ['Status']];

/** Client keys of the gateway: create (the token is shown once), list, revoke. */
export function KeysView() {
  const now = useNow(10_000);
  const keys = usePoll((signal) => getApi().get<{ keys: ClientKey[] }>('/api/keys', { signal }), [], 15_000);
  const [name, setName] = useState('');
  const [scope, setScope] = useState<string[]>([]);
  const [created, setCreated] = useState<{ name: string; token: string } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [isBusy, setBusy] = useState(false);
  const servers = status.value?.servers.map((s) => s.name) ?? [];
  const create = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const result = await getApi().post<{ token: string; key: ClientKey }>('/api/keys', {
        name,
        servers: scope.length > 0 ? scope : null,
      });
      setCreated({ name: result.key.name, token: result.token });
      setName('');
      setScope([]);
      keys.reload();
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };
  const list = keys.data?.keys ?? [];
  const active = list.filter((k) => !k.revokedAt);
  const revoked = list.filter((k) => k.revokedAt);
  return (
    <div>
      <ViewHead title="Client keys" />
      <p class="muted">
        MCP clients send a key as a bearer token to the gateway. A key may be limited to some servers.
      </p>
      {created ? (
        <div class="banner tone-ok" role="status">
          <div>
            <p>
              <strong>Key “{created.name}” created.</strong> Copy the token now: this is the only time it is
              shown.
            </p>
            <code class="token">{created.token}</code>
            <p class="actions">
              <CopyButton text={created.token} label={`Copy token of ${created.name}`}>
                Copy token
              </CopyButton>
              <button type="button" onClick={() => setCreated(null)}>
                I have saved it
              </button>
            </p>
          </div>
        </div>
      ) : null}
      <form class="panel filters" onSubmit={create} aria-label="Create a client key">
        <label class="field">
          Name
          <input
            required
            value={name}
            pattern="[A-Za-z0-9_.@\-]{1,64}"
            title="1-64 characters of A-Z a-z 0-9 _ . @ -"
            onInput={(e) => setName((e.target as HTMLInputElement).value)}
          />
        </label>
        <fieldset class="filters">
          <legend>Servers (none checked: all)</legend>
          {servers.map((server) => (
            <label key={server} class="check">
              <input
                type="checkbox"
                checked={scope.includes(server)}
                onChange={(e) =>
                  setScope(
                    (e.target as HTMLInputElement).checked
                      ? [...scope, server]
                      : scope.filter((s) => s !== server),
                  )
                }
              />
              {server}
            </label>
          ))}
        </fieldset>
        <button
          type="submit"
          class="primary"
          disabled={isBusy || isStale.value || name === ''}
          aria-busy={isBusy}
        >
          Create key
        </button>
      </form>
      <ErrorBanner message={error ?? keys.error} />
      <DataTable
        label="Client keys"
        columns={COLUMNS}
        empty={list.length === 0 ? 'No client keys yet.' : undefined}
      >
        {[...active, ...revoked].map((entry) => (
          <KeyRow key={entry.id} entry={entry} now={now} onRevoked={keys.reload} />
        ))}
      </DataTable>
    </div>
  );
}
