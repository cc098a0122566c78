import { useEffect, useRef } from 'preact/hooks';
import { formatDuration, formatTime } from './lib/format.ts';
import { isInSection, type Route, routeHash } from './lib/routes.ts';
import { describeState, worstTone } from './lib/state-reason.ts';
import { dismissNotice, firingAlerts, isStale, link, notices, status } from './state/app-state.ts';
import { location } from './state/router.ts';
import { AlertsView } from './views/alerts.tsx';
import { ClientsView } from './views/clients.tsx';
import { ConfigView } from './views/config.tsx';
import { HostView } from './views/host.tsx';
import { KeysView } from './views/keys.tsx';
import { ServerLogsView, SupervisorLogsView } from './views/logs.tsx';
import { RequestsView } from './views/requests.tsx';
import { ServerDetailView } from './views/server-detail.tsx';
import { ServersView } from './views/servers.tsx';
import { TimelineView } from './views/timeline.tsx';

const SECTIONS: { view: Route['view']; label: string; href: string }[] = [
  { view: 'servers', label: 'Servers', href: '#/servers' },
  { view: 'alerts', label: 'Alerts', href: '#/alerts' },
  { view: 'host', label: 'Host', href: '#/host' },
  { view: 'timeline', label: 'Timeline', href: '#/timeline' },
  { view: 'requests', label: 'Requests', href: '#/requests' },
  { view: 'supervisor-logs', label: 'Supervisor log', href: '#/logs/supervisor' },
  { view: 'config', label: 'Config', href: '#/config' },
  { view: 'keys', label: 'Keys', href: '#/keys' },
  { view: 'clients', label: 'Clients', href: '#/clients' },
];

function titleOf(route: Route): string {
  switch (route.view) {
    case 'server':
      return route.name;
    case 'server-logs':
      return `${route.name} log`;
    case 'alert':
      return `Alert ${route.id}`;
    case 'not-found':
      return 'Not found';
    default:
      return SECTIONS.find((section) => section.view === route.view)?.label ?? 'Console';
  }
}

function LinkBanner() {
  const state = link.value;
  if (state.status === 'live' || state.status === 'connecting') return null;
  if (state.status === 'unreachable') {
    return (
      <div class="banner tone-bad" role="alert">
        <p>
          <strong>Supervisor unreachable</strong> since {formatTime(state.since)}.{' '}
          {state.lastOkAt
            ? `What you see is from ${formatTime(state.lastOkAt)} and is not live.`
            : 'Nothing has loaded yet.'}{' '}
          Retrying every 2 s. <span class="muted">{state.message}</span>
        </p>
      </div>
    );
  }
  return (
    <div class="banner tone-bad" role="alert">
      <p>{state.message}</p>
    </div>
  );
}

function LinkIndicator() {
  const state = link.value;
  const text =
    state.status === 'live'
      ? 'Live'
      : state.status === 'connecting'
        ? 'Connecting…'
        : state.status === 'unreachable'
          ? 'Unreachable'
          : state.status === 'unauthorized'
            ? 'Token rejected'
            : 'No token';
  const tone = state.status === 'live' ? 'is-live' : state.status === 'connecting' ? '' : 'is-down';
  return (
    <span class={`dot-live ${tone}`} role="status">
      {text}
    </span>
  );
}

function View(props: { route: Route; query: URLSearchParams }) {
  const { route, query } = props;
  switch (route.view) {
    case 'servers':
      return <ServersView />;
    case 'server':
      return <ServerDetailView name={route.name} />;
    case 'server-logs':
      return <ServerLogsView name={route.name} />;
    case 'alerts':
      return <AlertsView />;
    case 'alert':
      return <AlertsView focusId={route.id} />;
    case 'host':
      return <HostView />;
    case 'timeline':
      return <TimelineView query={query} />;
    case 'requests':
      return <RequestsView query={query} />;
    case 'supervisor-logs':
      return <SupervisorLogsView />;
    case 'config':
      return <ConfigView />;
    case 'keys':
      return <KeysView />;
    case 'clients':
      return <ClientsView />;
    case 'not-found':
      return (
        <div>
          <h2 tabIndex={-1}>Not found</h2>
          <p>
            There is no page <code>{route.path}</code>. <a href="#/servers">Go to the servers</a>.
          </p>
        </div>
      );
  }
}

/** Version, pid and uptime of the supervisor (re-renders on each poll, alone). */
function HeaderMeta() {
  const body = status.value;
  if (!body) return null;
  return (
    <span class="meta">
      v{body.supervisor.version} · pid {body.supervisor.pid} · up {formatDuration(body.supervisor.uptimeMs)}
    </span>
  );
}

/** The badge of a nav entry: servers down, alerts firing. */
function NavCount(props: { view: Route['view'] }) {
  const count =
    props.view === 'alerts'
      ? firingAlerts.value.length
      : props.view === 'servers'
        ? (status.value?.servers ?? []).filter((row) => describeState(row).tone === 'bad').length
        : 0;
  if (count === 0) return null;
  return (
    <span class="count tone-bad">
      {count}
      <span class="visually-hidden">{props.view === 'alerts' ? ' firing' : ' down'}</span>
    </span>
  );
}

/** `(2) Alerts · mcp-supervisor`: the firing count first, so a background tab shows it. */
function TitleSync(props: { route: Route }) {
  const firing = firingAlerts.value.length;
  const worst = worstTone((status.value?.servers ?? []).map((row) => describeState(row).tone));
  useEffect(() => {
    document.title = `${firing > 0 ? `(${firing}) ` : ''}${titleOf(props.route)} · mcp-supervisor`;
    document.documentElement.dataset.worst = worst;
  }, [firing, props.route, worst]);
  return null;
}

/**
 * The shell: header, nav, the current view. It reads only the route and whether the data is
 * stale, so a poll re-renders the views that show its data, not the whole page.
 */
export function App() {
  const { route, query } = location.value;
  const main = useRef<HTMLElement>(null);
  const viewKey = routeHash(route);

  // After a navigation (not on the first page load), focus goes to the new page's heading, so a
  // screen reader announces it.
  const isFirstView = useRef(true);
  useEffect(() => {
    if (isFirstView.current) {
      isFirstView.current = false;
      return;
    }
    const heading = main.current?.querySelector<HTMLElement>('h2');
    if (heading && document.activeElement !== heading && !main.current?.contains(document.activeElement)) {
      heading.tabIndex = -1;
      heading.focus({ preventScroll: true });
    }
  }, [viewKey]);

  return (
    <div class="app">
      <TitleSync route={route} />
      {/* A button, not a link: every link here is a route, and #main is not one. */}
      <button type="button" class="skip-link" onClick={() => main.current?.focus()}>
        Skip to content
      </button>
      <header class="app-header">
        <h1>mcp-supervisor</h1>
        <LinkIndicator />
        <HeaderMeta />
      </header>
      <nav class="app-nav" aria-label="Sections">
        <ul>
          {SECTIONS.map((section) => (
            <li key={section.view}>
              <a
                href={section.href}
                {...(isInSection(route, section.view) ? { 'aria-current': 'page' } : {})}
              >
                <span>{section.label}</span>
                <NavCount view={section.view} />
              </a>
            </li>
          ))}
        </ul>
      </nav>
      <main id="main" ref={main} tabIndex={-1} class={isStale.value ? 'is-stale' : ''}>
        <LinkBanner />
        <View key={viewKey} route={route} query={query} />
      </main>
      <Notices />
    </div>
  );
}

function Notices() {
  return (
    <div class="notices" role="status" aria-live="polite">
      {notices.value.map((notice) => (
        <div key={notice.id} class={`banner tone-${notice.tone}`}>
          <p>{notice.text}</p>
          <button type="button" aria-label="Dismiss" onClick={() => dismissNotice(notice.id)}>
            ×
          </button>
        </div>
      ))}
    </div>
  );
}
