/**
 * The most intervals that overlapped at any instant: how many calls ran at once, from the times
 * each one's task or tool itself recorded (one clock for every process on this machine). An end
 * sorts before a start at the same instant; an interval with no end is still running.
 */
export function maxOverlap(intervals: readonly { startedAt?: number; endedAt?: number }[]): number {
  const edges: [number, number][] = [];
  for (const interval of intervals) {
    if (interval.startedAt === undefined) continue;
    edges.push([interval.startedAt, 1], [interval.endedAt ?? Number.POSITIVE_INFINITY, -1]);
  }
  edges.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let current = 0;
  let max = 0;
  for (const [, delta] of edges) {
    current += delta;
    max = Math.max(max, current);
  }
  return max;
}
