import { useEffect, useState } from 'preact/hooks';
import type { AlertRecord } from '../api/types.ts';
import { Badge, ErrorBanner, RowError, ViewHead, When } from '../components/common.tsx';
import { useNow, usePoll } from '../components/hooks.ts';
import { formatDateTime, formatDuration } from '../lib/format.ts';
import { alertValue } from '../lib/words.ts';
import { firingAlerts, getApi, isStale, loadAlerts } from '../state/app-state.ts';

const SEVERITY_TONE: Partial<Record<string, 'bad' | 'warn' | 'idle'>> = {
  critical: 'bad',
  warning: 'warn',
  info: 'idle',
};

function subjectLink(alert: AlertRecord) {
  if (alert.subject === 'host') return <a href="#/host">host</a>;
  return <a href={`#/servers/${encodeURIComponent(alert.subject)}`}>{alert.subject}</a>;
}

function AlertItem(props: {
  alert: AlertRecord;
  now: number;
  isFocused: boolean;
  onAck?: (id: number) => Promise<void>;
}) {
  const { alert, now } = props;
  const [isBusy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const ack = async () => {
    if (!props.onAck) return;
    setBusy(true);
    setError(null);
    try {
      await props.onAck(alert.id);
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };
  const state = alert.resolvedAt ? 'resolved' : alert.acknowledgedAt ? 'acknowledged' : 'firing';
  return (
    <li
      id={`alert-${alert.id}`}
      class={`sev-${alert.severity}`}
      aria-label={`Alert ${alert.id}: ${alert.message}`}
      {...(props.isFocused ? { 'aria-current': 'true' } : {})}
    >
      <Badge tone={SEVERITY_TONE[alert.severity] ?? 'idle'}>{alert.severity}</Badge>
      <div class="grow">
        <div>
          <strong>{alert.message}</strong>
        </div>
        <div class="muted">
          {subjectLink(alert)} · {alert.rule} · {alertValue(alert)} · {state}
          {alert.suppressedCount > 0
            ? ` · ${alert.suppressedCount} repeat${alert.suppressedCount === 1 ? '' : 's'} in the cooldown`
            : ''}
          {alert.refiredCount
            ? ` · came back ${alert.refiredCount} time${alert.refiredCount === 1 ? '' : 's'} after clearing`
            : ''}
        </div>
        <div class="muted">
          fired <When ts={alert.firedAt} now={now} /> ({formatDateTime(alert.firedAt)})
          {alert.resolvedAt ? ` · resolved after ${formatDuration(alert.resolvedAt - alert.firedAt)}` : ''}
          {alert.acknowledgedAt ? ` · acknowledged ${formatDateTime(alert.acknowledgedAt)}` : ''}
        </div>
        <RowError message={error} />
      </div>
      {props.onAck && !alert.acknowledgedAt && !alert.resolvedAt ? (
        <button
          type="button"
          onClick={ack}
          disabled={isBusy || isStale.value}
          aria-busy={isBusy}
          aria-label={`Acknowledge alert ${alert.id}: ${alert.message}`}
        >
          {isBusy ? 'Acknowledging…' : 'Acknowledge'}
        </button>
      ) : null}
    </li>
  );
}

/** Alerts firing now (live from the event stream) and the history, with Acknowledge. */
export function AlertsView(props: { focusId?: number }) {
  const now = useNow(5_000);
  const firing = firingAlerts.value;
  const history = usePoll(
    (signal) => getApi().get<{ alerts: AlertRecord[] }>('/api/alerts?all=true', { signal }),
    [firing.map((a) => `${a.id}:${a.acknowledgedAt}`).join(',')],
  );
  useEffect(() => {
    if (props.focusId === undefined) return;
    document.getElementById(`alert-${props.focusId}`)?.scrollIntoView({ block: 'center' });
  }, [props.focusId, history.data]);

  const acknowledge = async (id: number) => {
    await getApi().post(`/api/alerts/${id}/ack`);
    firingAlerts.value = firingAlerts.value.map((a) =>
      a.id === id ? { ...a, acknowledgedAt: Date.now() } : a,
    );
    void loadAlerts();
  };
  const past = (history.data?.alerts ?? []).filter((a) => !firing.some((f) => f.id === a.id));
  const focusMissing =
    props.focusId !== undefined &&
    history.data &&
    !firing.some((a) => a.id === props.focusId) &&
    !past.some((a) => a.id === props.focusId);
  return (
    <div>
      <ViewHead title="Alerts" />
      <ErrorBanner message={history.error} />
      {focusMissing ? (
        <ErrorBanner message={`Alert ${props.focusId} is not among the last 500 alerts.`} />
      ) : null}
      <section aria-labelledby="firing-title" class="live-data">
        <h3 id="firing-title">Firing ({firing.length})</h3>
        {firing.length === 0 ? (
          <p class="muted">Nothing is firing.</p>
        ) : (
          <ul class="list" aria-label="Firing alerts">
            {firing.map((alert) => (
              <AlertItem
                key={alert.id}
                alert={alert}
                now={now}
                isFocused={alert.id === props.focusId}
                onAck={acknowledge}
              />
            ))}
          </ul>
        )}
      </section>
      <section aria-labelledby="history-title">
        <h3 id="history-title">History</h3>
        {past.length === 0 ? (
          <p class="muted">No earlier alerts.</p>
        ) : (
          <ul class="list" aria-label="Alert history">
            {past.map((alert) => (
              <AlertItem key={alert.id} alert={alert} now={now} isFocused={alert.id === props.focusId} />
            ))}
          </ul>
        )}
      </section>
    </div>
  );
}
