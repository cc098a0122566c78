import { useEffect, useState } from 'preact/hooks';
import { Badge, ErrorBanner, ViewHead } from '../components/common.tsx';
import { LogViewer } from '../components/log-viewer.tsx';
import { describeState } from '../lib/state-reason.ts';
import { status } from '../state/app-state.ts';
import { type LogFeed, serverLogFeed, supervisorLogFeed } from '../state/log-feed.ts';
import { actionsFor, ServerActionButtons } from './server-actions.tsx';

function useFeed(create: () => LogFeed, deps: readonly unknown[]): LogFeed | null {
  const [feed, setFeed] = useState<LogFeed | null>(null);
  // The caller names what the feed depends on.
  useEffect(() => {
    const created = create();
    setFeed(created);
    return () => created.stop();
  }, deps);
  return feed;
}

/** The server's state and its controls, re-rendered by the poll without the log below. */
function ServerHead(props: { name: string }) {
  const row = status.value?.servers.find((s) => s.name === props.name);
  const state = row ? describeState(row) : null;
  return (
    <>
      <ViewHead title={`Log of ${props.name}`}>
        {state ? <Badge tone={state.tone}>{state.label}</Badge> : null}
        {row ? <ServerActionButtons name={props.name} actions={actionsFor(row)} /> : null}
      </ViewHead>
      {status.value && !row ? (
        <ErrorBanner message={`There is no server named "${props.name}" in the running config.`} />
      ) : null}
    </>
  );
}

/** One server's stdout and stderr, live, with its restarts marked. */
export function ServerLogsView(props: { name: string }) {
  const feed = useFeed(() => serverLogFeed(props.name), [props.name]);
  return (
    <div>
      <p>
        <a href="#/servers">Servers</a> /{' '}
        <a href={`#/servers/${encodeURIComponent(props.name)}`}>{props.name}</a> /
      </p>
      <ServerHead name={props.name} />
      {feed ? <ErrorBanner message={feed.error.value} /> : null}
      {feed ? (
        <LogViewer feed={feed} kind="server" fileStem={`${props.name}-log`} label={`Log of ${props.name}`} />
      ) : null}
    </div>
  );
}

/** The supervisor's own JSON log, with a level filter. */
export function SupervisorLogsView() {
  const feed = useFeed(() => supervisorLogFeed(), []);
  return (
    <div>
      <ViewHead title="Supervisor log" />
      {feed ? <ErrorBanner message={feed.error.value} /> : null}
      {feed ? (
        <LogViewer feed={feed} kind="supervisor" fileStem="supervisor-log" label="Supervisor log" />
      ) : null}
    </div>
  );
}
