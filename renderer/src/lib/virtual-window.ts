/**
 * Windowing of a long list with fixed-height rows: which rows to render for a scroll position, so
 * a log of 100 000 lines costs the DOM only the few dozen rows on screen. Pure arithmetic.
 */
export interface WindowInput {
  scrollTop: number;
  viewportHeight: number;
  rowHeight: number;
  count: number;
  /** Rows rendered above and below the viewport so a fast scroll shows no gap. */
  overscan?: number;
}

export interface VisibleWindow {
  /** First row rendered (inclusive). */
  start: number;
  /** Row after the last rendered (exclusive). */
  end: number;
  /** Offset of `start` from the top of the list, px. */
  offsetPx: number;
  /** Height of the whole list, px. */
  totalPx: number;
}

export function computeWindow(input: WindowInput): VisibleWindow {
  const { rowHeight, count } = input;
  if (!(rowHeight > 0)) throw new RangeError(`rowHeight must be positive, got ${rowHeight}`);
  const overscan = input.overscan ?? 10;
  const totalPx = count * rowHeight;
  const maxTop = Math.max(0, totalPx - input.viewportHeight);
  const scrollTop = Math.min(Math.max(0, input.scrollTop), maxTop);
  const first = Math.floor(scrollTop / rowHeight);
  const visible = Math.ceil(Math.max(0, input.viewportHeight) / rowHeight) + 1;
  const start = Math.max(0, first - overscan);
  const end = Math.min(count, first + visible + overscan);
  return { start, end, offsetPx: start * rowHeight, totalPx };
}

/** Whether the viewport shows the end of the list (within `tolerancePx`): follow mode stays on. */
export function isAtBottom(
  scrollTop: number,
  viewportHeight: number,
  scrollHeight: number,
  tolerancePx = 4,
): boolean {
  return scrollTop + viewportHeight >= scrollHeight - tolerancePx;
}

/** The scrollTop that puts row `index` in view: at the top, centred, or at the bottom. */
export function scrollTopForRow(
  index: number,
  rowHeight: number,
  viewportHeight: number,
  align: 'start' | 'center' | 'end' = 'center',
): number {
  const top = index * rowHeight;
  if (align === 'start') return top;
  if (align === 'end') return Math.max(0, top + rowHeight - viewportHeight);
  return Math.max(0, top - (viewportHeight - rowHeight) / 2);
}

/** The scrollTop that keeps row `index` visible, moving as little as possible from `scrollTop`. */
export function scrollTopToReveal(
  index: number,
  rowHeight: number,
  viewportHeight: number,
  scrollTop: number,
): number {
  const top = index * rowHeight;
  if (top < scrollTop) return top;
  if (top + rowHeight > scrollTop + viewportHeight) return top + rowHeight - viewportHeight;
  return scrollTop;
}
