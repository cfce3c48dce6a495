import { directModels } from "@crealia/kernel/testing";
import { describe, expect, test } from "vitest";
import type { Face } from "../src/detect/detector.js";
import { decodeRgb } from "../src/image.js";
import type { EyeIris } from "../src/landmarks/iris.js";
import { LEFT_EYE, RIGHT_EYE } from "../src/landmarks/regions.js";
import { faceMask } from "../src/retouch/masks.js";
import { retouch } from "../src/retouch/retouch.js";
import { detectWithLandmarks, type FaceCtx } from "../src/service.js";
import { facesScene } from "./fixtures.js";

// Real models: BlazeFace, the face mesh and the iris model, on facesjs drawings.
const models = { ...directModels(), status: async () => "installed" as const } as unknown as FaceCtx["models"];

/** Ray casting: whether (x, y) lies inside the polygon. */
function inside(poly: readonly (readonly number[])[], x: number, y: number): boolean {
  let odd = false;
  for (let i = 0, j = poly.length - 1; i < poly.length; j = i++) {
    const [xi, yi] = poly[i] as [number, number];
    const [xj, yj] = poly[j] as [number, number];
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) odd = !odd;
  }
  return odd;
}

const eyeRing = (f: Face, eye: "right" | "left") => (eye === "right" ? RIGHT_EYE : LEFT_EYE).map((i) => f.landmarks?.points[i] as [number, number, number]);

/** Whether a pixel lies in, or next to, one of the faces' iris outlines: anything else is lid or skin. */
function nearOutline(faces: readonly Face[], width: number) {
  const outlines = faces.flatMap((f) => (f.landmarks?.irises ?? []).map((e) => e.outline));
  return (i: number) => {
    const x = i % width;
    const y = Math.floor(i / width);
    for (let dy = -1; dy <= 1; dy++) for (let dx = -1; dx <= 1; dx++) if (outlines.some((o) => inside(o, x + dx + 0.5, y + dy + 0.5))) return true;
    return false;
  };
}

describe("iris landmarks on generated portraits", { timeout: 120_000 }, () => {
  test("each portrait: both irises found, each centre inside its eye's mesh outline, a radius of a tenth to a quarter of the eye's width", async () => {
    for (const seed of [0, 1, 2, 3, 5]) {
      const { image } = await facesScene(480, 640, [{ x: 90, y: 80, size: 300, seed }]);
      const run = await detectWithLandmarks(models, await decodeRgb(image), { model: "front", landmarks: true, iris: true });
      expect(run.faces, `seed ${seed}`).toHaveLength(1);
      expect(run.runs.map((r) => [r.model, r.faces])).toEqual([
        ["blazeface-front", 1],
        ["facemesh", 1],
        ["iris", 1],
      ]);
      const face = run.faces[0] as Face;
      const irises = face.landmarks?.irises as EyeIris[];
      expect(irises.map((e) => e.eye)).toEqual(["right", "left"]);
      for (const e of irises) {
        const ring = eyeRing(face, e.eye);
        expect(inside(ring, e.x, e.y), `seed ${seed}, ${e.eye} iris at ${e.x},${e.y}`).toBe(true);
        expect(inside(e.outline, e.x, e.y), `seed ${seed}, ${e.eye} iris inside its own outline`).toBe(true);
        const [a, b] = [ring[0] as number[], ring[8] as number[]];
        const eyeWidth = Math.hypot((a[0] as number) - (b[0] as number), (a[1] as number) - (b[1] as number));
        expect(e.radius).toBeGreaterThan(eyeWidth * 0.1);
        expect(e.radius).toBeLessThan(eyeWidth * 0.25);
        expect(e.outline).toHaveLength(16);
      }
      // The subject's right eye is on the image's left.
      expect((irises[0] as EyeIris).x).toBeLessThan((irises[1] as EyeIris).x);
    }
  });

  test("a group shot: every face's irises inside its own eyes", async () => {
    const { image } = await facesScene(1600, 900, [
      { x: 100, y: 300, size: 200, seed: 0 },
      { x: 700, y: 250, size: 200, seed: 3 },
      { x: 1250, y: 320, size: 200, seed: 9 },
    ]);
    const run = await detectWithLandmarks(models, await decodeRgb(image), { model: "auto", landmarks: true, iris: true });
    expect(run.faces).toHaveLength(3);
    for (const f of run.faces) for (const e of f.landmarks?.irises ?? []) expect(inside(eyeRing(f, e.eye), e.x, e.y)).toBe(true);
    expect(run.faces.map((f) => f.landmarks?.irises?.length)).toEqual([2, 2, 2]);
  });

  test("with irises the eyes mask and eye brightening stay inside the eye outline: the lids are not touched", async () => {
    const { image } = await facesScene(480, 640, [{ x: 90, y: 80, size: 300, seed: 2 }]);
    const img = await decodeRgb(image);
    const { faces } = await detectWithLandmarks(models, img, { model: "front", landmarks: true, iris: true });
    const near = nearOutline(faces, img.width);
    const eyes = await faceMask(faces, img.width, img.height, "eyes");
    let inEye = 0;
    const onLids: number[] = [];
    for (let i = 0; i < eyes.length; i++) {
      if ((eyes[i] as number) === 0) continue;
      if (near(i)) inEye++;
      else onLids.push(i);
    }
    expect(inEye).toBeGreaterThan(100);
    expect(onLids).toEqual([]);

    const out = await retouch(img, faces, { smoothing: 0, eyes: 1, teeth: 0 });
    let brighter = 0;
    const changedOutside: number[] = [];
    for (let i = 0; i < img.width * img.height; i++) {
      const p = i * 3;
      if (out.pixels[p] === img.pixels[p] && out.pixels[p + 1] === img.pixels[p + 1] && out.pixels[p + 2] === img.pixels[p + 2]) continue;
      const before = (img.pixels[p] as number) + (img.pixels[p + 1] as number) + (img.pixels[p + 2] as number);
      const after = (out.pixels[p] as number) + (out.pixels[p + 1] as number) + (out.pixels[p + 2] as number);
      if (!near(i)) changedOutside.push(i);
      else if (after > before) brighter++;
    }
    expect(changedOutside).toEqual([]);
    expect(brighter).toBeGreaterThan(50);
  });
});
