import { Component } from 'preact';
import { useLayoutEffect, useRef, useState } from 'preact/hooks';
import { formatTime } from '../lib/format.ts';
import type { FilteredLines } from '../lib/log-buffer.ts';
import { type LogEntry, levelName } from '../lib/log-lines.ts';
import { type Search, splitHighlights } from '../lib/log-search.ts';
import { computeWindow, isAtBottom, scrollTopForRow } from '../lib/virtual-window.ts';

/** Height of a log row, px: the list's arithmetic and the rows' CSS (`--row-h`) both use it. */
export const ROW_HEIGHT = 20;

export const SOURCE_LABEL: Record<LogEntry['source'], string> = {
  out: 'stdout',
  err: 'stderr',
  supervisor: '',
  marker: 'event',
};

interface RowProps {
  entry: LogEntry;
  search: Search | null;
  isCurrent: boolean;
  kind: 'server' | 'supervisor';
  /** Offset of the row from the top of the list, px. */
  topPx: number;
}

/**
 * One line, positioned at its own place in the list. A row that stays on screen while the list
 * scrolls keeps its props, so it neither renders again nor moves: the browser repaints only the
 * rows that scrolled in (a slice moved as a whole was a repaint of every row, every frame).
 */
class Row extends Component<RowProps> {
  override shouldComponentUpdate(next: RowProps): boolean {
    const props = this.props;
    return (
      next.entry !== props.entry ||
      next.search !== props.search ||
      next.isCurrent !== props.isCurrent ||
      next.kind !== props.kind ||
      next.topPx !== props.topPx
    );
  }

  override render() {
    const { entry, search, kind, isCurrent, topPx } = this.props;
    const level = kind === 'supervisor' ? levelName(entry.level) : '';
    const segments = search ? splitHighlights(entry.text, search.ranges(entry.text)) : null;
    let classes = `log-row src-${entry.source}`;
    if (level) classes += ` lvl-${level}`;
    if (isCurrent) classes += ' is-current';
    return (
      <div class={classes} style={{ top: `${topPx}px` }}>
        <span class="ts">{entry.ts === null ? '' : formatTime(entry.ts)}</span>
        <span class="src">
          {kind === 'supervisor' && entry.source !== 'marker' ? level : SOURCE_LABEL[entry.source]}
        </span>
        {segments
          ? segments.map((segment, i) =>
              segment.isMatch ? <mark key={i}>{segment.text}</mark> : segment.text,
            )
          : entry.text}
      </div>
    );
  }
}

export interface LogRowsProps {
  lines: FilteredLines;
  /** How many lines pass the filters (re-render on change). */
  count: number;
  /** Bumped when lines arrive. */
  version: number;
  search: Search | null;
  /** The seq of the current search match, highlighted. */
  currentSeq: number;
  kind: 'server' | 'supervisor';
  label: string;
  isFollowing: boolean;
  /** Told when the person scrolls away from the end (false) or back to it (true). */
  onFollowChange: (isFollowing: boolean) => void;
  /** A position to bring into view; a new object each time (its identity is the request). */
  reveal: { position: number } | null;
}

/**
 * The scrolling part of the log viewer, on its own so a scroll re-renders only the rows on
 * screen, not the toolbar: fixed-height rows, each at its own offset in a spacer as tall as the
 * whole list.
 */
export function LogRows(props: LogRowsProps) {
  const viewport = useRef<HTMLElement>(null);
  const [scrollTop, setScrollTop] = useState(0);
  const [viewportHeight, setViewportHeight] = useState(600);
  const followRef = useRef(props.isFollowing);
  followRef.current = props.isFollowing;

  useLayoutEffect(() => {
    const element = viewport.current;
    if (!element) return;
    const observer = new ResizeObserver(() => setViewportHeight(element.clientHeight));
    observer.observe(element);
    setViewportHeight(element.clientHeight);
    return () => observer.disconnect();
  }, []);

  // Following: stay at the end as lines arrive.
  useLayoutEffect(() => {
    const element = viewport.current;
    if (!element || !props.isFollowing) return;
    element.scrollTop = element.scrollHeight;
    setScrollTop(element.scrollTop);
  }, [props.count, props.version, props.isFollowing]);

  useLayoutEffect(() => {
    const element = viewport.current;
    if (!element || !props.reveal) return;
    props.onFollowChange(false);
    element.scrollTop = scrollTopForRow(props.reveal.position, ROW_HEIGHT, element.clientHeight, 'center');
    setScrollTop(element.scrollTop);
  }, [props.reveal]);

  const onScroll = () => {
    const element = viewport.current;
    if (!element) return;
    setScrollTop(element.scrollTop);
    const atEnd = isAtBottom(element.scrollTop, element.clientHeight, element.scrollHeight, ROW_HEIGHT);
    if (followRef.current !== atEnd) props.onFollowChange(atEnd);
  };

  const window = computeWindow({
    scrollTop,
    viewportHeight,
    rowHeight: ROW_HEIGHT,
    count: props.count,
    overscan: 8,
  });
  const rows = [];
  for (let i = window.start; i < window.end; i++) {
    const entry = props.lines.at(i);
    if (entry) {
      rows.push(
        <Row
          key={entry.seq}
          entry={entry}
          search={props.search}
          isCurrent={entry.seq === props.currentSeq}
          kind={props.kind}
          topPx={i * ROW_HEIGHT}
        />,
      );
    }
  }
  return (
    <section
      class="log-viewport"
      ref={viewport}
      onScroll={onScroll}
      // biome-ignore lint/a11y/noNoninteractiveTabindex: the scroll box takes focus so arrows and Page Up/Down scroll it.
      tabIndex={0}
      aria-label={`${props.label}: lines`}
      style={{ '--row-h': `${ROW_HEIGHT}px` }}
    >
      <div class="log-spacer" style={{ height: `${window.totalPx}px` }}>
        {rows}
      </div>
    </section>
  );
}
