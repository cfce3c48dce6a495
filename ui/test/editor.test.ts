import { describe, expect, test } from "vitest";
import { canRedo, canUndo, commit, createHistory, current, goTo, redo, undo } from "../src/editor/history.js";
import { fitView, MAX_SCALE, MIN_SCALE, panBy, toImage, wheelFactor, zoomAt, zoomLabel, zoomTo } from "../src/editor/viewport.js";

describe("viewport", () => {
  test("fit shows the whole image centred, never enlarged past 100%", () => {
    const v = fitView(4000, 2000, 1000, 800, 0);
    expect(v.scale).toBe(0.25);
    expect(v.x).toBe(0);
    expect(v.y).toBe((800 - 500) / 2);
    expect(fitView(200, 100, 1000, 800).scale).toBe(1);
  });

  test("zooming keeps the image point under the cursor in place", () => {
    const v = { scale: 0.5, x: 100, y: 50 };
    const before = toImage(v, 400, 300);
    const z = zoomAt(v, 2, 400, 300);
    expect(z.scale).toBe(1);
    const after = toImage(z, 400, 300);
    expect(after.x).toBeCloseTo(before.x, 9);
    expect(after.y).toBeCloseTo(before.y, 9);
  });

  test("zoom is clamped, and zoomTo sets an absolute scale", () => {
    expect(zoomAt({ scale: 1, x: 0, y: 0 }, 1000, 0, 0).scale).toBe(MAX_SCALE);
    expect(zoomAt({ scale: 1, x: 0, y: 0 }, 0.000001, 0, 0).scale).toBe(MIN_SCALE);
    expect(zoomTo({ scale: 0.3, x: 10, y: 10 }, 1, 0, 0).scale).toBeCloseTo(1, 9);
  });

  test("panning can't lose the image off-screen", () => {
    const image = { w: 1000, h: 1000 };
    const viewport = { w: 800, h: 600 };
    const far = panBy({ scale: 1, x: 0, y: 0 }, 10_000, 10_000, image, viewport);
    expect(far.x).toBe(800 - 48);
    expect(far.y).toBe(600 - 48);
    const back = panBy({ scale: 1, x: 0, y: 0 }, -10_000, -10_000, image, viewport);
    expect(back.x).toBe(48 - 1000);
    expect(panBy({ scale: 1, x: 0, y: 0 }, 5, -7, image, viewport)).toEqual({ scale: 1, x: 5, y: -7 });
  });

  test("wheel: up zooms in, down zooms out, symmetric, bounded per event", () => {
    expect(wheelFactor(-100)).toBeGreaterThan(1);
    expect(wheelFactor(100)).toBeLessThan(1);
    expect(wheelFactor(-100) * wheelFactor(100)).toBeCloseTo(1, 9);
    expect(wheelFactor(-10_000)).toBe(wheelFactor(-100));
    expect(zoomLabel(0.3649)).toBe("36%");
  });
});

describe("history", () => {
  test("commit, undo, redo; a commit after undo drops the redo branch", () => {
    let h = createHistory("original");
    expect(canUndo(h)).toBe(false);
    h = commit(h, "Exposure", "e1");
    h = commit(h, "Contrast", "c1");
    expect(current(h).state).toBe("c1");
    h = undo(h);
    expect(current(h)).toEqual({ label: "Exposure", state: "e1" });
    expect(canRedo(h)).toBe(true);
    h = redo(h);
    expect(current(h).state).toBe("c1");
    h = undo(undo(h));
    expect(current(h).state).toBe("original");
    expect(undo(h)).toBe(h);
    h = commit(redo(h), "Crop", "k1");
    expect(h.entries.map((e) => e.label)).toEqual(["Original", "Exposure", "Crop"]);
    expect(canRedo(h)).toBe(false);
    expect(current(goTo(h, 0)).state).toBe("original");
    expect(goTo(h, 99)).toBe(h);
  });

  test("keeps the original and the newest edits past the limit", () => {
    let h = createHistory(0);
    for (let i = 1; i <= 10; i++) h = commit(h, `e${i}`, i, 4);
    expect(h.entries.map((e) => e.state)).toEqual([0, 8, 9, 10]);
    expect(h.index).toBe(3);
  });
});
