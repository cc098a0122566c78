/** One process as /proc/<pid>/stat (or `ps`) describes it. */
export interface ProcessRow {
  pid: number;
  ppid: number;
  pgid: number;
  isZombie: boolean;
}

/** Parses /proc/<pid>/stat: "pid (comm) state ppid pgrp …"; comm may hold spaces and ')'. Pure. */
export function parseStatLine(stat: string): ProcessRow | undefined {
  const close = stat.lastIndexOf(')');
  if (close < 0) return undefined;
  const pid = Number(stat.slice(0, stat.indexOf(' ')));
  const [state, ppid, pgrp] = stat.slice(close + 2).split(' ', 3);
  const row = { pid, ppid: Number(ppid), pgid: Number(pgrp), isZombie: state === 'Z' || state === 'X' };
  return Number.isInteger(row.pid) && Number.isInteger(row.pgid) ? row : undefined;
}
