import { describe, expect, test } from "vitest";
import { gridLayout, itemPosition, moveIndex, needsMore, scrollToReveal, visibleRange } from "../src/library/grid-math.js";
import { emptySelection, keepListed, select, selectAll } from "../src/library/selection.js";

describe("grid layout", () => {
  test("fits as many columns of the minimum tile size as the width allows, stretching tiles to fill", () => {
    const l = gridLayout(1000, { minTile: 168, gap: 12, caption: 40 });
    expect(l.columns).toBe(5);
    expect(l.tile * 5 + 12 * 4).toBeLessThanOrEqual(1000);
    expect(l.tile).toBeGreaterThanOrEqual(168);
    expect(l.rowHeight).toBe(l.tile + 40 + 12);
  });

  test("never has fewer than one column, even when narrower than a tile", () => {
    expect(gridLayout(80).columns).toBe(1);
    expect(gridLayout(0).columns).toBe(1);
  });
});

describe("virtualisation", () => {
  const layout = gridLayout(1200);
  const rangeAt = (scrollTop: number, count = 10_000, viewportHeight = 900) => visibleRange({ scrollTop, viewportHeight, count, layout });

  test("10 000 items render fewer than 200 at any scroll position, viewport included", () => {
    const total = rangeAt(0).totalHeight;
    for (let top = 0; top <= total; top += total / 97) {
      const r = rangeAt(top);
      expect(r.end - r.start).toBeLessThan(200);
      expect(r.end - r.start).toBeGreaterThan(0);
    }
  });

  test("covers the whole viewport plus the overscan rows", () => {
    const r = rangeAt(layout.rowHeight * 40 + 10);
    const firstVisibleRow = 40;
    const lastVisibleRow = Math.ceil((layout.rowHeight * 40 + 10 + 900) / layout.rowHeight);
    expect(r.firstRow).toBe(firstVisibleRow - 2);
    expect(r.lastRow).toBe(lastVisibleRow + 2);
    expect(r.start).toBe(r.firstRow * layout.columns);
  });

  test("total height holds every row; the last range ends at the last item", () => {
    const rows = Math.ceil(10_000 / layout.columns);
    expect(rangeAt(0).totalHeight).toBe(rows * layout.rowHeight);
    const end = rangeAt(Number.MAX_SAFE_INTEGER);
    expect(end.end).toBe(10_000);
  });

  test("a scroll position past the end (the list shrank) is clamped", () => {
    const r = visibleRange({ scrollTop: 1e9, viewportHeight: 900, count: 30, layout });
    expect(r.end).toBe(30);
    expect(r.start).toBe(0);
  });

  test("empty list renders nothing", () => {
    expect(visibleRange({ scrollTop: 0, viewportHeight: 900, count: 0, layout })).toEqual({ start: 0, end: 0, totalHeight: 0, firstRow: 0, lastRow: 0 });
  });

  test("item positions follow rows and columns", () => {
    expect(itemPosition(0, layout)).toEqual({ top: 0, left: 0 });
    const p = itemPosition(layout.columns + 1, layout);
    expect(p).toEqual({ top: layout.rowHeight, left: layout.tile + layout.gap });
  });

  test("asks for the next page when the rendered window nears the end of what is loaded", () => {
    expect(needsMore({ start: 0, end: 60, totalHeight: 0, firstRow: 0, lastRow: 0 }, 200, true)).toBe(false);
    expect(needsMore({ start: 0, end: 120, totalHeight: 0, firstRow: 0, lastRow: 0 }, 200, true)).toBe(true);
    expect(needsMore({ start: 0, end: 200, totalHeight: 0, firstRow: 0, lastRow: 0 }, 200, false)).toBe(false);
  });
});

describe("keyboard movement", () => {
  test("arrows move by one or by a row, clamped to the list", () => {
    expect(moveIndex(0, "ArrowRight", 5, 12)).toBe(1);
    expect(moveIndex(0, "ArrowLeft", 5, 12)).toBe(0);
    expect(moveIndex(3, "ArrowDown", 5, 12)).toBe(8);
    expect(moveIndex(9, "ArrowDown", 5, 12)).toBe(11);
    expect(moveIndex(7, "ArrowUp", 5, 12)).toBe(2);
    expect(moveIndex(5, "End", 5, 12)).toBe(11);
    expect(moveIndex(5, "Home", 5, 12)).toBe(0);
    expect(moveIndex(0, "PageDown", 5, 100, 4)).toBe(20);
    expect(moveIndex(0, "a", 5, 12)).toBeNull();
    expect(moveIndex(0, "ArrowRight", 5, 0)).toBeNull();
  });

  test("scrollToReveal scrolls only as far as needed", () => {
    const l = gridLayout(1000);
    expect(scrollToReveal(0, 0, 600, l)).toBe(0);
    const row10 = itemPosition(10 * l.columns, l).top;
    expect(scrollToReveal(10 * l.columns, 0, 600, l)).toBe(row10 + l.rowHeight - l.gap - 600);
    expect(scrollToReveal(0, row10, 600, l)).toBe(0);
  });
});

describe("selection", () => {
  const ids = ["a", "b", "c", "d", "e"];
  test("click selects one; toggle adds and removes; shift selects a range from the anchor", () => {
    let s = select(emptySelection, ids, 1, "single");
    expect([...s.selected]).toEqual(["b"]);
    s = select(s, ids, 3, "toggle");
    expect([...s.selected].sort()).toEqual(["b", "d"]);
    s = select(s, ids, 3, "toggle");
    expect([...s.selected]).toEqual(["b"]);
    s = select(select(emptySelection, ids, 1, "single"), ids, 3, "range");
    expect([...s.selected].sort()).toEqual(["b", "c", "d"]);
    s = select(s, ids, 0, "range");
    expect([...s.selected].sort()).toEqual(["a", "b"]);
  });

  test("add-range keeps what was selected", () => {
    let s = select(emptySelection, ids, 4, "single");
    s = { ...s, anchor: 0 };
    s = select(s, ids, 1, "add-range");
    expect([...s.selected].sort()).toEqual(["a", "b", "e"]);
  });

  test("select all, and dropping ids no longer listed", () => {
    const all = selectAll(ids);
    expect(all.selected.size).toBe(5);
    const kept = keepListed(all, ["a", "c"]);
    expect([...kept.selected].sort()).toEqual(["a", "c"]);
    expect(keepListed(kept, ["a", "c", "z"])).toBe(kept);
  });
});
