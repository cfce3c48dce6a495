import { describe, expect, test } from "vitest";
import type { Face } from "../src/detect/detector.js";
import { faceMask } from "../src/retouch/masks.js";
import { retouch } from "../src/retouch/retouch.js";

// A 200×200 "skin" patch with fine noise (texture) and a face box in the middle; keypoints where a face has them.
const W = 200;
const H = 200;
const face: Face = {
  box: { x: 50, y: 60, width: 100, height: 100 },
  score: 0.9,
  keypoints: [
    { name: "rightEye", x: 78, y: 90 },
    { name: "leftEye", x: 122, y: 90 },
    { name: "noseTip", x: 100, y: 115 },
    { name: "mouth", x: 100, y: 140 },
    { name: "rightEar", x: 52, y: 100 },
    { name: "leftEar", x: 148, y: 100 },
  ],
};

function noisySkin(): Uint8Array {
  let seed = 7;
  const rnd = () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed / 0x7fffffff;
  };
  const px = new Uint8Array(W * H * 3);
  for (let i = 0; i < W * H; i++) {
    const n = (rnd() - 0.5) * 24;
    px[i * 3] = 200 + n;
    px[i * 3 + 1] = 150 + n;
    px[i * 3 + 2] = 120 + n;
  }
  return px;
}

/** Mean squared difference of each pixel's green from its right and lower neighbours, over pixels where `where` holds. */
function highFrequency(px: Uint8Array, where: (i: number) => boolean): number {
  let sum = 0;
  let n = 0;
  for (let y = 0; y < H - 1; y++) {
    for (let x = 0; x < W - 1; x++) {
      const i = y * W + x;
      if (!where(i)) continue;
      const g = px[i * 3 + 1] as number;
      sum += (g - (px[(i + 1) * 3 + 1] as number)) ** 2 + (g - (px[(i + W) * 3 + 1] as number)) ** 2;
      n++;
    }
  }
  return sum / n;
}

describe("retouch", () => {
  test("skin smoothing lowers high-frequency energy inside the skin mask, keeps some texture, and leaves pixels outside every mask untouched", async () => {
    const pixels = noisySkin();
    const skin = await faceMask([face], W, H, "skin");
    const out = await retouch({ pixels, width: W, height: H }, [face], { smoothing: 1, eyes: 0, teeth: 0 });
    const inside = (i: number) => (skin[i] as number) > 240;
    const before = highFrequency(pixels, inside);
    const after = highFrequency(out.pixels, inside);
    expect(after).toBeLessThan(before * 0.5);
    expect(after).toBeGreaterThan(before * 0.01); // texture kept
    let worst = 0;
    for (let i = 0; i < W * H; i++) {
      if ((skin[i] as number) !== 0) continue;
      for (let c = 0; c < 3; c++) worst = Math.max(worst, Math.abs((out.pixels[i * 3 + c] as number) - (pixels[i * 3 + c] as number)));
    }
    expect(worst).toBeLessThanOrEqual(1);
    expect(out.changed).toBeGreaterThan(1000);
    // Smoothing removes texture, not tone: the skin's mean level stays where it was.
    const mean = (px: Uint8Array) => {
      let sum = 0;
      let n = 0;
      for (let i = 0; i < W * H; i++) {
        if (!inside(i)) continue;
        sum += px[i * 3 + 1] as number;
        n++;
      }
      return sum / n;
    };
    expect(Math.abs(mean(out.pixels) - mean(pixels))).toBeLessThan(0.25);
  });

  test("eyes are brightened inside the eye masks only; strength 0 is the identity", async () => {
    const pixels = new Uint8Array(W * H * 3).fill(120);
    const eyes = await faceMask([face], W, H, "eyes");
    const out = await retouch({ pixels, width: W, height: H }, [face], { smoothing: 0, eyes: 1, teeth: 0 });
    const eye = (90 * W + 78) * 3;
    expect(out.pixels[eye]).toBeGreaterThan(130);
    let moved = 0;
    for (let i = 0; i < W * H; i++) if ((eyes[i] as number) === 0 && out.pixels[i * 3] !== 120) moved++;
    expect(moved).toBe(0);
    const none = await retouch({ pixels, width: W, height: H }, [face], { smoothing: 0, eyes: 0, teeth: 0 });
    expect(Buffer.from(none.pixels).equals(Buffer.from(pixels))).toBe(true);
    expect(none.changed).toBe(0);
  });

  test("teeth: bright yellowish pixels in the mouth get whiter; dark lips stay", async () => {
    const pixels = new Uint8Array(W * H * 3);
    for (let i = 0; i < W * H; i++) pixels.set(i % 2 ? [225, 205, 150] : [120, 40, 50], i * 3);
    const mouth = (140 * W + 100) * 3;
    const teeth = (140 * W + 101) * 3;
    const out = await retouch({ pixels, width: W, height: H }, [face], { smoothing: 0, eyes: 0, teeth: 1 });
    const sat = (p: Uint8Array, o: number) =>
      Math.max(p[o] as number, p[o + 1] as number, p[o + 2] as number) - Math.min(p[o] as number, p[o + 1] as number, p[o + 2] as number);
    expect(sat(out.pixels, teeth)).toBeLessThan(sat(pixels, teeth) * 0.5);
    expect([...out.pixels.subarray(mouth, mouth + 3)]).toEqual([120, 40, 50]);
  });

  test("no faces: nothing changes", async () => {
    const pixels = noisySkin();
    const out = await retouch({ pixels, width: W, height: H }, [], { smoothing: 1, eyes: 1, teeth: 1 });
    expect(out.changed).toBe(0);
  });
});
