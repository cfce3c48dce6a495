import { describe, expect, test } from "vitest";
import type { Face } from "../src/detect/detector.js";
import { LEFT_EYE, LEFT_JAW, MESH_POINTS, NOSE_TIP, RIGHT_EYE, RIGHT_JAW } from "../src/landmarks/regions.js";
import { retouch } from "../src/retouch/retouch.js";
import { MAX_SLIM_SHIFT, warpFaces } from "../src/retouch/warp.js";

// A 200×200 synthetic face: eye rings of radius 10 around (78, 90) and (122, 90), jaw sides near (62, 140) and (138, 140).
const W = 200;
const H = 200;

function ring(points: [number, number, number][], indices: readonly number[], cx: number, cy: number, r: number) {
  indices.forEach((i, k) => {
    const a = (2 * Math.PI * k) / indices.length;
    points[i] = [cx + r * Math.cos(a), cy + r * Math.sin(a), 0];
  });
}

function meshFace(): Face {
  const points: [number, number, number][] = Array.from({ length: MESH_POINTS }, () => [100, 110, 0]);
  ring(points, RIGHT_EYE, 78, 90, 10);
  ring(points, LEFT_EYE, 122, 90, 10);
  ring(points, RIGHT_JAW, 62, 140, 6);
  ring(points, LEFT_JAW, 138, 140, 6);
  points[NOSE_TIP] = [100, 115, 0];
  return { box: { x: 50, y: 60, width: 100, height: 100 }, score: 0.9, keypoints: [], landmarks: { score: 1, points } };
}

/** Grey 200, with dark discs of radius 5 on the eyes and a bright face ellipse (rx 40) on a dark background where asked. */
function picture(kind: "eyes" | "jaw"): Uint8Array {
  const px = new Uint8Array(W * H * 3);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      let v = 200;
      if (kind === "eyes" && (Math.hypot(x + 0.5 - 78, y + 0.5 - 90) < 5 || Math.hypot(x + 0.5 - 122, y + 0.5 - 90) < 5)) v = 20;
      if (kind === "jaw") v = ((x + 0.5 - 100) / 40) ** 2 + ((y + 0.5 - 110) / 55) ** 2 < 1 ? 220 : 30;
      px.fill(v, (y * W + x) * 3, (y * W + x) * 3 + 3);
    }
  }
  return px;
}

const count = (px: Uint8Array, where: (v: number, x: number, y: number) => boolean) => {
  let n = 0;
  for (let i = 0; i < W * H; i++) if (where(px[i * 3] as number, i % W, Math.floor(i / W))) n++;
  return n;
};

describe("eye enlarge and face slim (landmark-driven warp)", () => {
  test("amount 0 is the identity, with and without the tone retouch", async () => {
    const pixels = picture("eyes");
    const face = meshFace();
    const warped = warpFaces({ pixels, width: W, height: H }, [face], { eyeEnlarge: 0, faceSlim: 0 });
    expect(Buffer.from(warped.pixels).equals(Buffer.from(pixels))).toBe(true);
    expect(warped.changed).toBe(0);
    const none = await retouch({ pixels, width: W, height: H }, [face], { smoothing: 0, eyes: 0, teeth: 0, eyeEnlarge: 0, faceSlim: 0 });
    expect(Buffer.from(none.pixels).equals(Buffer.from(pixels))).toBe(true);
  });

  test("eye enlarge: the dark eyes grow, by at most the bounded zoom, and nothing outside the eye discs moves", () => {
    const pixels = picture("eyes");
    const out = warpFaces({ pixels, width: W, height: H }, [meshFace()], { eyeEnlarge: 1, faceSlim: 0 });
    const dark = (px: Uint8Array) => count(px, (v) => v < 110);
    // Zoom ≤ 1.25× at the centre: the area grows, and by less than 1.25² (plus rounding at the rim).
    expect(dark(out.pixels)).toBeGreaterThan(dark(pixels) * 1.2);
    expect(dark(out.pixels)).toBeLessThan(dark(pixels) * 1.6);
    // The disc of influence is the eye's width (the corners' distance, 20 px) around each eye's centre.
    const far = (x: number, y: number) => Math.hypot(x + 0.5 - 78, y + 0.5 - 90) > 21 && Math.hypot(x + 0.5 - 122, y + 0.5 - 90) > 21;
    let moved = 0;
    for (let i = 0; i < W * H; i++) if (far(i % W, Math.floor(i / W)) && out.pixels[i * 3] !== pixels[i * 3]) moved++;
    expect(moved).toBe(0);
    // Amounts above 1 are held at 1.
    const over = warpFaces({ pixels, width: W, height: H }, [meshFace()], { eyeEnlarge: 7, faceSlim: 0 });
    expect(Buffer.from(over.pixels).equals(Buffer.from(out.pixels))).toBe(true);
  });

  test("face slim: the jaw narrows by at most MAX_SLIM_SHIFT of the face's width per side; the brow line barely moves", () => {
    const pixels = picture("jaw");
    const out = warpFaces({ pixels, width: W, height: H }, [meshFace()], { eyeEnlarge: 0, faceSlim: 1 });
    const widthAt = (px: Uint8Array, row: number) => count(px, (v, _x, y) => y === row && v > 125);
    const before = widthAt(pixels, 140);
    const after = widthAt(out.pixels, 140);
    expect(after).toBeLessThan(before - 2);
    expect(before - after).toBeLessThanOrEqual(2 * MAX_SLIM_SHIFT * 100 + 2);
    expect(Math.abs(widthAt(out.pixels, 65) - widthAt(pixels, 65))).toBeLessThanOrEqual(2);
  });

  test("a face without landmarks is not warped", () => {
    const pixels = picture("eyes");
    const { landmarks: _, ...noMesh } = meshFace();
    const out = warpFaces({ pixels, width: W, height: H }, [noMesh], { eyeEnlarge: 1, faceSlim: 1 });
    expect(out.changed).toBe(0);
    expect(Buffer.from(out.pixels).equals(Buffer.from(pixels))).toBe(true);
  });
});
