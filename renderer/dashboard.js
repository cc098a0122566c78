// The dashboard: a static page on the control API only, so it runs in the Electron window (which
// hands it the connection through the preload bridge) and in a browser at /ui/#token=… alike.

async function connection() {
  if (window.mcpSupervisor) return window.mcpSupervisor.connection();
  const token = new URLSearchParams(location.hash.slice(1)).get('token') || sessionStorage.getItem('token');
  if (!token) return undefined;
  sessionStorage.setItem('token', token);
  return { baseUrl: location.origin, token };
}

function cell(text, className) {
  const td = document.createElement('td');
  td.textContent = text;
  if (className) td.className = className;
  return td;
}

function duration(ms) {
  if (!ms) return '-';
  const s = Math.floor(ms / 1000);
  return s < 60
    ? `${s}s`
    : s < 3600
      ? `${Math.floor(s / 60)}m`
      : `${Math.floor(s / 3600)}h${Math.floor((s % 3600) / 60)}m`;
}

// On the way up a server's state says for how long (a first `npx` install may take minutes).
const TIMED_STATES = new Set(['installing', 'starting', 'restarting']);

function stateText(server) {
  if (!TIMED_STATES.has(server.state) || !server.stateChangedAt) return server.state;
  return `${server.state} ${duration(Math.max(1000, Date.now() - server.stateChangedAt))}`;
}

async function refresh() {
  const error = document.getElementById('error');
  const conn = await connection();
  if (!conn) {
    error.textContent = 'No control token: open this page from `mcp-supervisor dashboard` or the tray app.';
    return;
  }
  try {
    const response = await fetch(`${conn.baseUrl}/api/status`, {
      headers: { authorization: `Bearer ${conn.token}` },
    });
    if (!response.ok) throw new Error(`the supervisor answered ${response.status}`);
    const body = await response.json();
    const rows = body.servers.map((s) => {
      const tr = document.createElement('tr');
      tr.append(
        cell(s.name),
        cell(stateText(s), s.state),
        cell(s.pid > 0 ? String(s.pid) : '-'),
        cell(duration(s.uptimeMs)),
        cell(String(s.restarts)),
        cell(s.pid > 0 ? `${s.cpuPercent.toFixed(1)}%` : '-'),
        cell(s.rssBytes > 0 ? `${(s.rssBytes / 1048576).toFixed(1)} MiB` : '-'),
        cell(String(s.toolCount)),
      );
      return tr;
    });
    document.getElementById('servers').replaceChildren(...rows);
    error.textContent = '';
  } catch (e) {
    error.textContent = `Cannot reach the supervisor: ${e.message}`;
  }
}

refresh();
setInterval(refresh, 2000);
