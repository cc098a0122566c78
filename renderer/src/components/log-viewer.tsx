import { useEffect, useMemo, useState } from 'preact/hooks';
import { exportFileName } from '../lib/export.ts';
import { formatCount, formatDateTime } from '../lib/format.ts';
import { FilteredLines } from '../lib/log-buffer.ts';
import { LEVELS, type LogEntry, levelName } from '../lib/log-lines.ts';
import { compileSearch, indexInSorted, MatchTracker, stepMatch } from '../lib/log-search.ts';
import type { LogFeed } from '../state/log-feed.ts';
import { Check, download } from './common.tsx';
import { LogRows, SOURCE_LABEL } from './log-rows.tsx';

export interface LogViewerProps {
  feed: LogFeed;
  /** `server`: stdout/stderr toggles. `supervisor`: a level filter for the JSON log. */
  kind: 'server' | 'supervisor';
  /** The download's file name stem (`memory-log`). */
  fileStem: string;
  label: string;
}

/**
 * A log of up to 100 000 lines, smooth: fixed-height rows in a virtual list (only the rows on
 * screen are in the DOM), appends coalesced per frame, filters kept incrementally. Follows the
 * end until the person scrolls up; search highlights and steps through matches; jumps to a time;
 * downloads what the filters show.
 */
export function LogViewer(props: LogViewerProps) {
  const { feed } = props;
  const version = feed.version.value;
  const [isFollowing, setFollowing] = useState(true);
  const [query, setQuery] = useState('');
  const [appliedQuery, setAppliedQuery] = useState('');
  const [isRegex, setRegex] = useState(false);
  const [isCaseSensitive, setCaseSensitive] = useState(false);
  const [isOnlyMatching, setOnlyMatching] = useState(false);
  const [showOut, setShowOut] = useState(true);
  const [showErr, setShowErr] = useState(true);
  const [minLevel, setMinLevel] = useState(0);
  const [currentMatch, setCurrentMatch] = useState(-1);
  const [jumpTime, setJumpTime] = useState('');
  const [reveal, setReveal] = useState<{ position: number } | null>(null);
  /** Lines shown when following stopped: what came after is "new". */
  const [seenCount, setSeenCount] = useState(0);

  // Typing is debounced: a search over 100 000 lines runs once per pause, not per key.
  useEffect(() => {
    const timer = setTimeout(() => setAppliedQuery(query), 150);
    return () => clearTimeout(timer);
  }, [query]);

  const compiled = useMemo(
    () => compileSearch(appliedQuery, { isRegex, isCaseSensitive }),
    [appliedQuery, isRegex, isCaseSensitive],
  );
  const search = compiled.search;
  // The filter depends on the search only when it hides what does not match.
  const filterSearch = isOnlyMatching ? search : null;

  const filtered = useMemo(() => new FilteredLines(feed.buffer), [feed]);
  const tracker = useMemo(() => new MatchTracker(), [feed]);
  const predicate = useMemo(() => {
    return (entry: LogEntry) => {
      if (entry.source === 'out' && !showOut) return false;
      if (entry.source === 'err' && !showErr) return false;
      if (
        props.kind === 'supervisor' &&
        entry.source !== 'marker' &&
        minLevel > 0 &&
        (entry.level ?? 0) < minLevel
      ) {
        return false;
      }
      if (filterSearch && entry.source !== 'marker' && !filterSearch.test(entry.text)) return false;
      return true;
    };
  }, [showOut, showErr, minLevel, filterSearch, props.kind]);
  // The filtered view must be current before this render reads it, hence memos, not effects:
  // a new filter rebuilds it, new lines are only tested themselves.
  useMemo(() => filtered.setFilter(predicate), [filtered, predicate]);
  useMemo(() => filtered.sync(), [filtered, version]);
  const count = filtered.size;
  // Matches as seqs (positions move when old lines are trimmed); sorted like the lines. A new
  // key identity whenever what matches changes.
  const resets = feed.buffer.resets;
  const matchKey = useMemo(() => ({}), [predicate, search, resets]);
  const matches = tracker.update(filtered, search, matchKey);

  const onFollowChange = (next: boolean) => {
    if (!next) setSeenCount(filtered.size);
    setFollowing(next);
  };
  const unseen = isFollowing ? 0 : Math.max(0, count - seenCount);

  const step = (direction: 1 | -1) => {
    const next = stepMatch(matches, currentMatch, direction);
    setCurrentMatch(next);
    if (next >= 0) setReveal({ position: filtered.positionOfSeq(next) });
  };

  // A new search starts at its first match.
  useEffect(() => setCurrentMatch(-1), [search]);

  const jump = () => {
    if (!jumpTime) return;
    const [hours, minutes, seconds] = jumpTime.split(':').map(Number);
    const target = new Date();
    target.setHours(hours ?? 0, minutes ?? 0, seconds ?? 0, 0);
    // A time later than now means yesterday's.
    if (target.getTime() > Date.now()) target.setDate(target.getDate() - 1);
    setReveal({ position: Math.max(0, Math.min(count - 1, filtered.indexAtTime(target.getTime()))) });
  };

  const onDownload = () => {
    const lines = filtered
      .toArray()
      .map(
        (e) =>
          `${e.ts === null ? '' : formatDateTime(e.ts)}\t${props.kind === 'supervisor' ? levelName(e.level) : SOURCE_LABEL[e.source]}\t${e.text}`,
      );
    download(exportFileName(props.fileStem, 'log', Date.now()), `${lines.join('\n')}\n`, 'text/plain');
  };

  const matchIndex = indexInSorted(matches, currentMatch);
  const state = feed.state.value;

  return (
    <section class="log live-data" aria-label={props.label}>
      <div class="log-toolbar">
        <label class="field">
          <span class="visually-hidden">Search the log</span>
          <input
            type="search"
            placeholder="Search…"
            value={query}
            onInput={(e) => setQuery((e.target as HTMLInputElement).value)}
            onKeyDown={(e) => {
              if (e.key === 'Enter') {
                e.preventDefault();
                setAppliedQuery(query);
                step(e.shiftKey ? -1 : 1);
              }
            }}
          />
        </label>
        <Check label="Match case" checked={isCaseSensitive} onChange={setCaseSensitive} />
        <Check label="Regex" checked={isRegex} onChange={setRegex} />
        <Check label="Only matching lines" checked={isOnlyMatching} onChange={setOnlyMatching} />
        <span class="actions">
          <button
            type="button"
            onClick={() => step(-1)}
            disabled={matches.length === 0}
            aria-label="Previous match"
          >
            ↑
          </button>
          <button
            type="button"
            onClick={() => step(1)}
            disabled={matches.length === 0}
            aria-label="Next match"
          >
            ↓
          </button>
        </span>
        <output aria-live="polite" class="muted">
          {compiled.error
            ? compiled.error
            : search
              ? `${matchIndex >= 0 ? `${formatCount(matchIndex + 1)} of ` : ''}${formatCount(matches.length)} match${matches.length === 1 ? '' : 'es'}`
              : ''}
        </output>
        {props.kind === 'server' ? (
          <>
            <Check label="stdout" checked={showOut} onChange={setShowOut} />
            <Check label="stderr" checked={showErr} onChange={setShowErr} />
          </>
        ) : (
          <label class="field">
            <span class="visually-hidden">Lowest level shown</span>
            <select
              value={String(minLevel)}
              onChange={(e) => setMinLevel(Number((e.target as HTMLSelectElement).value))}
              aria-label="Lowest level shown"
            >
              <option value="0">all levels</option>
              {LEVELS.map((level) => (
                <option key={level.value} value={String(level.value)}>
                  {level.name} and above
                </option>
              ))}
            </select>
          </label>
        )}
        <span class="actions">
          <label class="field">
            <span class="visually-hidden">Jump to time</span>
            <input
              type="time"
              step="1"
              value={jumpTime}
              aria-label="Jump to time"
              onInput={(e) => setJumpTime((e.target as HTMLInputElement).value)}
            />
          </label>
          <button type="button" onClick={jump} disabled={!jumpTime}>
            Go to time
          </button>
        </span>
        <span class="actions">
          <button type="button" aria-pressed={isFollowing} onClick={() => onFollowChange(!isFollowing)}>
            Follow
          </button>
          <button type="button" onClick={onDownload}>
            Download
          </button>
        </span>
      </div>
      <LogRows
        lines={filtered}
        count={count}
        version={version}
        search={search}
        currentSeq={currentMatch}
        kind={props.kind}
        label={props.label}
        isFollowing={isFollowing}
        onFollowChange={onFollowChange}
        reveal={reveal}
      />
      <div class="log-status">
        <span>
          {formatCount(count)} line{count === 1 ? '' : 's'}
          {count !== feed.buffer.size ? ` shown of ${formatCount(feed.buffer.size)}` : ''}
          {feed.buffer.dropped > 0
            ? ` · ${formatCount(feed.buffer.dropped)} older lines dropped (the viewer keeps ${formatCount(feed.buffer.capacity)})`
            : ''}
        </span>
        <span>
          {state === 'loading'
            ? 'loading…'
            : state === 'reconnecting'
              ? 'disconnected, reconnecting…'
              : isFollowing
                ? 'following'
                : 'paused'}
          {!isFollowing && unseen > 0 ? (
            <>
              {' · '}
              <button type="button" onClick={() => onFollowChange(true)}>
                {formatCount(unseen)} new line{unseen === 1 ? '' : 's'}: jump to latest
              </button>
            </>
          ) : null}
        </span>
      </div>
    </section>
  );
}
