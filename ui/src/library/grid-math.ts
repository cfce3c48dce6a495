/**
 * Virtualisation of the asset grid: only the rows in view (plus a little overscan) exist in
 * the DOM, whatever the number of assets. Pure arithmetic, tested on its own.
 */

export interface GridLayout {
  columns: number;
  /** Width (and height) of one tile's square, in CSS px. */
  tile: number;
  /** Tile plus caption plus gap. */
  rowHeight: number;
  gap: number;
}

/** Columns that fit `width` with tiles of at least `minTile` px; tiles stretch to fill the row. */
export function gridLayout(width: number, options: { minTile?: number; gap?: number; caption?: number } = {}): GridLayout {
  const minTile = options.minTile ?? 168;
  const gap = options.gap ?? 12;
  const caption = options.caption ?? 40;
  const usable = Math.max(0, width);
  const columns = Math.max(1, Math.floor((usable + gap) / (minTile + gap)));
  const tile = Math.max(1, Math.floor((usable - gap * (columns - 1)) / columns));
  return { columns, tile, rowHeight: tile + caption + gap, gap };
}

export interface VisibleRange {
  /** First item index rendered (inclusive). */
  start: number;
  /** Last item index rendered (exclusive). */
  end: number;
  /** Height of the whole scroll area. */
  totalHeight: number;
  firstRow: number;
  lastRow: number;
}

/** Which items to render for a scroll position; `overscan` rows above and below are kept ready. */
export function visibleRange(args: { scrollTop: number; viewportHeight: number; count: number; layout: GridLayout; overscan?: number }): VisibleRange {
  const { count, layout } = args;
  const overscan = args.overscan ?? 2;
  const rows = Math.ceil(count / layout.columns);
  const totalHeight = rows * layout.rowHeight;
  if (count === 0) return { start: 0, end: 0, totalHeight: 0, firstRow: 0, lastRow: 0 };
  const top = Math.max(0, Math.min(args.scrollTop, Math.max(0, totalHeight - args.viewportHeight)));
  const firstVisible = Math.floor(top / layout.rowHeight);
  const lastVisible = Math.ceil((top + Math.max(0, args.viewportHeight)) / layout.rowHeight);
  const firstRow = Math.max(0, firstVisible - overscan);
  const lastRow = Math.min(rows, lastVisible + overscan);
  return { start: firstRow * layout.columns, end: Math.min(count, lastRow * layout.columns), totalHeight, firstRow, lastRow };
}

/** Position of item `index` inside the scroll area. */
export function itemPosition(index: number, layout: GridLayout): { top: number; left: number } {
  const row = Math.floor(index / layout.columns);
  const col = index % layout.columns;
  return { top: row * layout.rowHeight, left: col * (layout.tile + layout.gap) };
}

/** The scrollTop that brings item `index` fully into view (unchanged when it already is). */
export function scrollToReveal(index: number, scrollTop: number, viewportHeight: number, layout: GridLayout): number {
  const { top } = itemPosition(index, layout);
  const bottom = top + layout.rowHeight - layout.gap;
  if (top < scrollTop) return top;
  if (bottom > scrollTop + viewportHeight) return Math.max(0, bottom - viewportHeight);
  return scrollTop;
}

/** Keyboard movement in the grid: arrows, Home/End, PageUp/PageDown. Returns the new index, or null for other keys. */
export function moveIndex(index: number, key: string, columns: number, count: number, pageRows = 4): number | null {
  if (count === 0) return null;
  const clamp = (i: number) => Math.max(0, Math.min(count - 1, i));
  switch (key) {
    case "ArrowRight":
      return clamp(index + 1);
    case "ArrowLeft":
      return clamp(index - 1);
    case "ArrowDown":
      return clamp(index + columns);
    case "ArrowUp":
      return clamp(index - columns);
    case "PageDown":
      return clamp(index + columns * pageRows);
    case "PageUp":
      return clamp(index - columns * pageRows);
    case "Home":
      return 0;
    case "End":
      return count - 1;
    default:
      return null;
  }
}

/** Whether more pages should be fetched: the rendered window reaches within `margin` items of the end of what is loaded. */
export function needsMore(range: VisibleRange, loaded: number, hasMore: boolean, margin = 100): boolean {
  return hasMore && range.end + margin >= loaded;
}
