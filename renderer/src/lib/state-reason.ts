import type { StatusRow } from '../api/types.ts';
import { formatDuration, formatMs } from './format.ts';

/** How a state reads: `ok` green, `warn` amber, `bad` red, `idle` grey. */
export type Tone = 'ok' | 'warn' | 'bad' | 'idle';

export interface StateReason {
  tone: Tone;
  /** The state in words, short: `online`, `crash loop`, `unavailable`. */
  label: string;
  /** Why, in a sentence; null when there is nothing to explain (online and healthy). */
  reason: string | null;
  /** What to look at: the last stderr lines of a server that is down. */
  evidence: string[];
}

/** `crash loop: 10 runs shorter than 5000 ms` → its numbers. */
function crashLoopNumbers(lastError: string | undefined): { runs: number; minUptimeMs: number } | null {
  const match = /crash loop: (\d+) runs shorter than (\d+) ms/.exec(lastError ?? '');
  return match ? { runs: Number(match[1]), minUptimeMs: Number(match[2]) } : null;
}

function exitText(row: StatusRow): string | null {
  const exit = row.lastExit;
  if (!exit) return null;
  if (exit.signal) return `killed by ${exit.signal}`;
  if (exit.exitCode !== null) return `exit code ${exit.exitCode}`;
  return null;
}

/**
 * Turns a status row into what a person needs first: is it fine, and if not, why. A crash loop
 * names the exit code and how often it failed; an unavailable server quotes the upstream's own
 * error; a live server that stopped answering pings or whose breaker opened says so. `stderrTail`
 * (the server's last stderr lines) is shown as evidence for a server that is down.
 */
export function describeState(
  row: StatusRow,
  stderrTail: readonly string[] = [],
  nowMs: number = Date.now(),
): StateReason {
  const evidence = lastDistinctLines(stderrTail, 5);
  // On the way up a state says for how long (a first `npx -y` install may take minutes).
  const forHowLong =
    row.stateChangedAt > 0 ? ` for ${formatDuration(Math.max(1_000, nowMs - row.stateChangedAt))}` : '';
  switch (row.state) {
    case 'online': {
      if (row.breaker === 'open') {
        return {
          tone: 'bad',
          label: 'online',
          reason: 'Circuit breaker open: requests are refused until it closes.',
          evidence: [],
        };
      }
      if (row.health === 'failing') {
        return {
          tone: 'warn',
          label: 'online',
          reason: 'Not answering pings; it is restarted after three missed pings.',
          evidence: [],
        };
      }
      if (row.breaker === 'half-open') {
        return {
          tone: 'warn',
          label: 'online',
          reason: 'Circuit breaker half-open: trying requests again.',
          evidence: [],
        };
      }
      return { tone: 'ok', label: 'online', reason: null, evidence: [] };
    }
    case 'errored': {
      const loop = crashLoopNumbers(row.lastError);
      if (!loop) {
        // A first start that failed (it never answered initialize): the core's reason, whose
        // stderr tail the evidence shows in full, line by line.
        const cause = (row.lastError ?? '').replace(/(before it answered initialize): [\s\S]*$/, '$1');
        return {
          tone: 'bad',
          label: 'failed to start',
          reason: `${cause ? `Failed to start: ${cause}` : 'Failed to start'}. It stays down until you start it.`,
          evidence,
        };
      }
      const exit = exitText(row);
      const parts = [
        exit ? `Exited with ${exit}` : 'Exited',
        `${loop.runs} times in a row within ${formatMs(loop.minUptimeMs)} of starting`,
      ].filter(Boolean);
      return {
        tone: 'bad',
        label: 'crash loop',
        reason: `${parts.join(', ')}. It stays down until you start it.`,
        evidence,
      };
    }
    case 'unavailable':
      return {
        tone: 'bad',
        label: 'unavailable',
        reason: row.lastError ? `Does not answer: ${row.lastError}` : 'Does not answer MCP requests.',
        evidence,
      };
    case 'restarting': {
      const exit = exitText(row);
      return {
        tone: 'warn',
        label: 'restarting',
        reason: `${exit ? `Exited with ${exit}` : 'Exited'}; restart ${row.restarts + 1} is scheduled.`,
        evidence,
      };
    }
    case 'installing':
      return {
        tone: 'warn',
        label: 'installing',
        reason: `Installing its package${forHowLong}; a first download can take minutes (bounded by startTimeoutMs).`,
        evidence: [],
      };
    case 'starting':
      return {
        tone: 'warn',
        label: 'starting',
        reason: row.lastError
          ? `Starting again after: ${row.lastError}`
          : forHowLong
            ? `Starting${forHowLong}.`
            : null,
        evidence: row.lastError ? evidence : [],
      };
    case 'stopping':
      return { tone: 'idle', label: 'stopping', reason: null, evidence: [] };
    case 'stopped':
      return {
        tone: 'idle',
        label: 'stopped',
        reason: 'Stopped; start it to serve its tools.',
        evidence: [],
      };
    default:
      return { tone: 'idle', label: String(row.state), reason: null, evidence: [] };
  }
}

/**
 * The last `count` distinct non-empty lines, in their order: a server that failed the same way
 * three times wrote the same lines three times; they are shown once.
 */
export function lastDistinctLines(lines: readonly string[], count: number): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (let i = lines.length - 1; i >= 0 && out.length < count; i--) {
    const line = lines[i]?.trimEnd() ?? '';
    if (line.trim() === '' || seen.has(line)) continue;
    seen.add(line);
    out.push(line);
  }
  return out.reverse();
}

/** Whether a server's row should fetch its last stderr lines to explain itself. */
export function needsEvidence(row: StatusRow): boolean {
  return row.state === 'errored' || row.state === 'unavailable' || row.state === 'restarting';
}

/** The worst tone of a set of rows (for the page title and the nav badge). */
export function worstTone(tones: readonly Tone[]): Tone {
  for (const tone of ['bad', 'warn', 'ok'] as const) if (tones.includes(tone)) return tone;
  return 'idle';
}
