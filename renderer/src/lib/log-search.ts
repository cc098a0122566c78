/**
 * Search in the log viewer: plain text (case-insensitive unless asked) or a regular expression,
 * the match ranges of a line for highlighting, and the lines that match for next/previous.
 */
export interface Search {
  /** Whether the line matches at all. */
  test(text: string): boolean;
  /** [start, end) of every match, in order, never empty ranges. */
  ranges(text: string): [number, number][];
}

export type SearchResult = { search: Search | null; error: string | null };

/** Builds a search; an empty query is no search, an invalid regex is an error in words. */
export function compileSearch(
  query: string,
  options: { isRegex?: boolean; isCaseSensitive?: boolean } = {},
): SearchResult {
  if (query === '') return { search: null, error: null };
  const flags = options.isCaseSensitive ? 'g' : 'gi';
  let pattern: RegExp;
  try {
    pattern = new RegExp(options.isRegex ? query : query.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), flags);
  } catch (error) {
    return { search: null, error: `not a valid regular expression: ${(error as Error).message}` };
  }
  const single = new RegExp(pattern.source, options.isCaseSensitive ? '' : 'i');
  return {
    error: null,
    search: {
      test: (text) => single.test(text),
      ranges(text) {
        const out: [number, number][] = [];
        pattern.lastIndex = 0;
        for (let match = pattern.exec(text); match; match = pattern.exec(text)) {
          if (match[0].length === 0) {
            // A pattern that matches the empty string (e.g. `a*`) would loop forever.
            pattern.lastIndex++;
            continue;
          }
          out.push([match.index, match.index + match[0].length]);
          if (out.length >= 100) break;
        }
        return out;
      },
    },
  };
}

export interface Segment {
  text: string;
  isMatch: boolean;
}

/** A line cut at its matches, for rendering with `<mark>`. */
export function splitHighlights(text: string, ranges: readonly [number, number][]): Segment[] {
  if (ranges.length === 0) return [{ text, isMatch: false }];
  const out: Segment[] = [];
  let at = 0;
  for (const [start, end] of ranges) {
    if (start > at) out.push({ text: text.slice(at, start), isMatch: false });
    out.push({ text: text.slice(Math.max(start, at), end), isMatch: true });
    at = Math.max(at, end);
  }
  if (at < text.length) out.push({ text: text.slice(at), isMatch: false });
  return out;
}

/** Positions (in a list of `count` lines read by `textAt`) of the lines the search matches. */
export function matchingPositions(
  count: number,
  textAt: (index: number) => string | undefined,
  search: Search,
): number[] {
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    const text = textAt(i);
    if (text !== undefined && search.test(text)) out.push(i);
  }
  return out;
}

/** The next (or previous) match position from `current`, wrapping around; -1 without matches. */
export function stepMatch(matches: readonly number[], current: number, direction: 1 | -1): number {
  if (matches.length === 0) return -1;
  if (direction === 1) return matches.find((position) => position > current) ?? matches[0]!;
  for (let i = matches.length - 1; i >= 0; i--) if (matches[i]! < current) return matches[i]!;
  return matches[matches.length - 1]!;
}

/** What the match tracker reads of a filtered log. */
export interface SearchableLines {
  readonly size: number;
  at(index: number): { seq: number; text: string } | undefined;
  positionOfSeq(seq: number): number;
}

/**
 * The seqs of the lines a search matches, kept up to date as lines arrive: a new search (or
 * filter) scans everything once, an append scans only the new lines, trimmed lines fall off.
 */
export class MatchTracker {
  #key: unknown = undefined;
  #seqs: number[] = [];
  #lastSeq = -1;

  update(lines: SearchableLines, search: Search | null, key: unknown): readonly number[] {
    if (!search) {
      this.#key = key;
      this.#seqs = [];
      this.#lastSeq = -1;
      return this.#seqs;
    }
    const first = lines.at(0)?.seq ?? 0;
    let from = 0;
    if (key === this.#key) {
      let drop = 0;
      while (drop < this.#seqs.length && (this.#seqs[drop] ?? 0) < first) drop++;
      if (drop > 0) this.#seqs = this.#seqs.slice(drop);
      from = lines.positionOfSeq(this.#lastSeq + 1);
    } else {
      this.#key = key;
      this.#seqs = [];
    }
    for (let i = from; i < lines.size; i++) {
      const entry = lines.at(i);
      if (!entry) continue;
      if (search.test(entry.text)) this.#seqs.push(entry.seq);
      this.#lastSeq = entry.seq;
    }
    return this.#seqs;
  }
}

/** Index of `value` in a sorted list, or -1. */
export function indexInSorted(sorted: readonly number[], value: number): number {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if ((sorted[mid] ?? 0) < value) low = mid + 1;
    else high = mid;
  }
  return sorted[low] === value ? low : -1;
}
