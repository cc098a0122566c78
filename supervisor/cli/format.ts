import type { ServerStatus } from '../core/supervisor.ts';

export function formatDuration(ms: number): string {
  if (ms <= 0) return '-';
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${s % 60}s`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h}h${m % 60}m`;
  return `${Math.floor(h / 24)}d${h % 24}h`;
}

export function formatBytes(bytes: number): string {
  if (bytes <= 0) return '-';
  const units = ['B', 'KiB', 'MiB', 'GiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(value >= 100 || unit === 0 ? 0 : 1)} ${units[unit]}`;
}

/** Left-aligned columns, widths from the widest cell. */
export function formatTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => cell.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

export function formatStatusTable(servers: ServerStatus[]): string {
  if (servers.length === 0) return 'no servers configured';
  return formatTable(
    ['NAME', 'STATE', 'PID', 'UPTIME', 'RESTARTS', 'CPU', 'RSS', 'TOOLS', 'NOTE'],
    servers.map((s) => [
      s.name,
      s.state,
      s.pid > 0 ? String(s.pid) : '-',
      formatDuration(s.uptimeMs),
      String(s.restarts),
      s.pid > 0 ? `${s.cpuPercent.toFixed(1)}%` : '-',
      formatBytes(s.rssBytes),
      String(s.toolCount),
      s.lastError ? s.lastError.slice(0, 60) : '',
    ]),
  );
}
