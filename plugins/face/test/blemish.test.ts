/**
 * Blemish removal on generated portraits: a facesjs drawing with fine noise (skin texture), small
 * dark spots painted at known places on the skin and one larger mark, faces from the real models.
 */
import { directModels } from "@crealia/kernel/testing";
import { beforeAll, describe, expect, test } from "vitest";
import type { Face } from "../src/detect/detector.js";
import { decodeRgb, type RgbImage } from "../src/image.js";
import { MAX_SPOT } from "../src/retouch/blemish.js";
import { faceMask } from "../src/retouch/masks.js";
import { retouch } from "../src/retouch/retouch.js";
import { detectWithLandmarks, type FaceCtx } from "../src/service.js";
import { facesScene, mulberry32 } from "./fixtures.js";

const models = directModels();
// detectWithLandmarks takes ctx.models; only `run` is used on this path.
const statusOk = { ...models, status: async () => "installed" as const } as unknown as FaceCtx["models"];

const OFF = { smoothing: 0, eyes: 0, teeth: 0 };
/** Spot centres as fractions of the face box (found on the clean drawing): cheeks, between the brows, beside the nose. */
const SPOTS = [
  [0.25, 0.5],
  [0.22, 0.63],
  [0.5, 0.12],
  [0.78, 0.63],
  [0.32, 0.57],
] as const;
const SPOT_RADIUS = 3.5;
/** A mark twice as wide as the largest spot removed: kept. */
const MARK = [0.74, 0.48] as const;

interface Portrait {
  img: RgbImage;
  faces: Face[];
  spots: { x: number; y: number }[];
  mark: { x: number; y: number; r: number };
  skin: Uint8Array;
}

/** Adds a deterministic, roughly Gaussian noise (σ ≈ 4 levels) to every pixel: texture the fill must keep. */
function addTexture(img: RgbImage) {
  const rnd = mulberry32(11);
  for (let i = 0; i < img.width * img.height; i++) {
    const n = (rnd() + rnd() + rnd() - 1.5) * 8;
    for (let c = 0; c < 3; c++) {
      const o = i * 3 + c;
      img.pixels[o] = Math.max(0, Math.min(255, Math.round((img.pixels[o] as number) + n + (rnd() - 0.5) * 2)));
    }
  }
}

/** Darkens a disc (anti-aliased, 4×4 samples per pixel) to `keep` of its value, a little less in red (brownish). */
function paintDisc(img: RgbImage, cx: number, cy: number, r: number, keep: number) {
  for (let y = Math.floor(cy - r - 1); y <= cy + r + 1; y++) {
    for (let x = Math.floor(cx - r - 1); x <= cx + r + 1; x++) {
      let cover = 0;
      for (let sy = 0; sy < 4; sy++) for (let sx = 0; sx < 4; sx++) if (Math.hypot(x + (sx + 0.5) / 4 - cx, y + (sy + 0.5) / 4 - cy) < r) cover++;
      const dark = (cover / 16) * (1 - keep);
      const o = (y * img.width + x) * 3;
      img.pixels[o] = Math.round((img.pixels[o] as number) * (1 - dark * 0.8));
      img.pixels[o + 1] = Math.round((img.pixels[o + 1] as number) * (1 - dark));
      img.pixels[o + 2] = Math.round((img.pixels[o + 2] as number) * (1 - dark));
    }
  }
}

async function spottedPortrait(seed: number, keep: number): Promise<Portrait> {
  const { image } = await facesScene(480, 640, [{ x: 90, y: 80, size: 300, seed }]);
  const img = await decodeRgb(image);
  addTexture(img);
  const clean = await detectWithLandmarks(statusOk, img, { model: "front", landmarks: true });
  const b = (clean.faces[0] as Face).box;
  const at = ([fx, fy]: readonly [number, number]) => ({ x: b.x + fx * b.width, y: b.y + fy * b.height });
  const spots = SPOTS.map(at);
  for (const s of spots) paintDisc(img, s.x, s.y, SPOT_RADIUS, keep);
  const mark = { ...at(MARK), r: MAX_SPOT * b.width };
  paintDisc(img, mark.x, mark.y, mark.r, keep);
  // The faces the job would use: detected on the spotted photo.
  const { faces } = await detectWithLandmarks(statusOk, img, { model: "front", landmarks: true });
  return { img, faces, spots, mark, skin: await faceMask(faces, img.width, img.height, "skin") };
}

const luma = (px: Uint8Array, i: number) => 0.299 * (px[i * 3] as number) + 0.587 * (px[i * 3 + 1] as number) + 0.114 * (px[i * 3 + 2] as number);

/** Mean luma over pixels whose centre lies between r0 and r1 from (x, y). */
function meanLuma(img: RgbImage, px: Uint8Array, x: number, y: number, r0: number, r1: number): number {
  let sum = 0;
  let n = 0;
  for (let yy = Math.floor(y - r1); yy <= y + r1; yy++) {
    for (let xx = Math.floor(x - r1); xx <= x + r1; xx++) {
      const d = Math.hypot(xx + 0.5 - x, yy + 0.5 - y);
      if (d < r0 || d >= r1) continue;
      sum += luma(px, yy * img.width + xx);
      n++;
    }
  }
  return sum / n;
}

/** How much darker a spot is than the skin around it (luma levels). */
const contrast = (img: RgbImage, px: Uint8Array, s: { x: number; y: number }) => meanLuma(img, px, s.x, s.y, 7, 11) - meanLuma(img, px, s.x, s.y, 0, 3);

/** The largest channel difference between two images over pixels where `where` holds. */
function worstChange(a: Uint8Array, b: Uint8Array, where: (i: number) => boolean): number {
  let worst = 0;
  for (let i = 0; i < a.length / 3; i++) {
    if (!where(i)) continue;
    for (let c = 0; c < 3; c++) worst = Math.max(worst, Math.abs((a[i * 3 + c] as number) - (b[i * 3 + c] as number)));
  }
  return worst;
}

/** Mean squared difference of each pixel's green from its right and lower neighbours, over discs of radius r around the points. */
function fineDetail(img: RgbImage, px: Uint8Array, points: { x: number; y: number }[], r: number): number {
  let sum = 0;
  let n = 0;
  for (const p of points) {
    for (let y = Math.floor(p.y - r); y <= p.y + r; y++) {
      for (let x = Math.floor(p.x - r); x <= p.x + r; x++) {
        if (Math.hypot(x + 0.5 - p.x, y + 0.5 - p.y) >= r) continue;
        const i = y * img.width + x;
        const g = px[i * 3 + 1] as number;
        sum += (g - (px[(i + 1) * 3 + 1] as number)) ** 2 + (g - (px[(i + img.width) * 3 + 1] as number)) ** 2;
        n++;
      }
    }
  }
  return sum / n;
}

describe("blemish removal on generated portraits", { timeout: 120_000 }, () => {
  let light: Portrait;
  let dark: Portrait;
  beforeAll(async () => {
    light = await spottedPortrait(0, 0.62);
    // Dark skin: the same darkening is fainter in levels (~20 of luma, against ~75 on light skin).
    dark = await spottedPortrait(3, 0.62);
  }, 120_000);

  test("the spots are found on the skin", async () => {
    for (const p of [light, dark]) {
      expect(p.faces).toHaveLength(1);
      for (const s of p.spots) expect(p.skin[Math.round(s.y) * p.img.width + Math.round(s.x)]).toBeGreaterThan(200);
    }
  });

  for (const which of ["light", "dark"] as const) {
    test(`${which} skin: the spots fade into the skin around them and are counted; other pixels, the larger mark, eyes and lips stay`, async () => {
      const p = which === "light" ? light : dark;
      const out = await retouch(p.img, p.faces, { ...OFF, blemishes: 1 });
      for (const s of p.spots) {
        expect(contrast(p.img, p.img.pixels, s)).toBeGreaterThan(10);
        expect(Math.abs(contrast(p.img, out.pixels, s))).toBeLessThan(3);
      }
      expect(out.blemishes).toHaveLength(1);
      expect(out.blemishes[0]).toBeGreaterThanOrEqual(SPOTS.length - 1);
      // Nothing else in the drawing (lines, nostrils, glasses, the mark) counts as a spot.
      expect(out.blemishes[0]).toBeLessThanOrEqual(SPOTS.length);
      expect(out.changed).toBeGreaterThan(SPOTS.length * 20);

      const { width, height } = p.img;
      expect(worstChange(out.pixels, p.img.pixels, (i) => p.skin[i] === 0)).toBeLessThanOrEqual(1);
      const near = (i: number, c: { x: number; y: number }, r: number) => Math.hypot((i % width) + 0.5 - c.x, Math.floor(i / width) + 0.5 - c.y) < r;
      expect(worstChange(out.pixels, p.img.pixels, (i) => near(i, p.mark, p.mark.r + 3))).toBeLessThanOrEqual(1);
      const [eyes, lips] = await Promise.all([faceMask(p.faces, width, height, "eyes"), faceMask(p.faces, width, height, "lips")]);
      expect(worstChange(out.pixels, p.img.pixels, (i) => (eyes[i] as number) > 0 || (lips[i] as number) > 0)).toBeLessThanOrEqual(1);
    });
  }

  test("the fill keeps the skin's texture: the spots are not left as flat patches", async () => {
    const out = await retouch(light.img, light.faces, { ...OFF, blemishes: 1 });
    const around = light.spots.map((s) => ({ x: s.x, y: s.y - 14 }));
    expect(fineDetail(light.img, out.pixels, light.spots, 4)).toBeGreaterThan(0.5 * fineDetail(light.img, light.img.pixels, around, 4));
  });

  test("strength is the fill's opacity: half strength leaves about half the contrast", async () => {
    const out = await retouch(light.img, light.faces, { ...OFF, blemishes: 0.5 });
    for (const s of light.spots) {
      const before = contrast(light.img, light.img.pixels, s);
      expect(contrast(light.img, out.pixels, s)).toBeGreaterThan(0.3 * before);
      expect(contrast(light.img, out.pixels, s)).toBeLessThan(0.7 * before);
    }
  });

  test("without landmarks (box and keypoints only) the spots are still found", async () => {
    const faces = light.faces.map(({ landmarks: _, ...f }) => f);
    const out = await retouch(light.img, faces, { ...OFF, blemishes: 1 });
    expect(out.blemishes[0]).toBeGreaterThanOrEqual(SPOTS.length - 1);
    const skin = await faceMask(faces, light.img.width, light.img.height, "skin");
    expect(worstChange(out.pixels, light.img.pixels, (i) => skin[i] === 0)).toBeLessThanOrEqual(1);
  });

  test("strength 0 is the identity, alone and beside the other retouch steps", async () => {
    const none = await retouch(light.img, light.faces, { ...OFF, blemishes: 0 });
    expect(Buffer.from(none.pixels).equals(Buffer.from(light.img.pixels))).toBe(true);
    expect(none.changed).toBe(0);
    expect(none.blemishes).toEqual([0]);
    const tones = { smoothing: 0.5, eyes: 0.3, teeth: 0.3 };
    const withZero = await retouch(light.img, light.faces, { ...tones, blemishes: 0 });
    const without = await retouch(light.img, light.faces, tones);
    expect(Buffer.from(withZero.pixels).equals(Buffer.from(without.pixels))).toBe(true);
    expect(withZero.changed).toBe(without.changed);
  });
});
