/** Exports of tables a person downloads: CSV (spreadsheet-safe) and JSON lines. Pure. */

export interface Column<T> {
  header: string;
  value: (row: T) => string | number | null | undefined;
}

/**
 * RFC 4180 CSV: fields with a comma, quote or line break are quoted, quotes doubled. A text field
 * starting with `=`, `+`, `-`, `@`, tab or CR is prefixed with `'` so a spreadsheet does not run
 * it as a formula (a tool name or client key is data, never code).
 */
export function toCsv<T>(rows: readonly T[], columns: readonly Column<T>[]): string {
  const cell = (value: string | number | null | undefined): string => {
    if (value === null || value === undefined) return '';
    if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '';
    const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
    return /[",\r\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
  };
  const lines = [columns.map((c) => cell(c.header)).join(',')];
  for (const row of rows) lines.push(columns.map((c) => cell(c.value(row))).join(','));
  return `${lines.join('\r\n')}\r\n`;
}

/** One JSON object per line (what `jq` and log tools read). */
export function toJsonLines(rows: readonly unknown[]): string {
  return rows.map((row) => JSON.stringify(row)).join('\n') + (rows.length > 0 ? '\n' : '');
}

/** A file name with the local time, safe on every OS: `requests-2026-01-31-1403.csv`. */
export function exportFileName(stem: string, extension: string, now: number): string {
  const d = new Date(now);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${stem}-${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}-${pad(d.getHours())}${pad(d.getMinutes())}.${extension}`;
}
