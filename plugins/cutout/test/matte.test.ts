import { directModels } from "@crealia/kernel/testing";
import sharp from "sharp";
import { describe, expect, test } from "vitest";
import { compose, parseColor, productPhoto, subjectBox } from "../src/matte/compose.js";
import { boxFilter, guidedFilter, refineMatte, trimapColourRefine } from "../src/matte/refine.js";
import { segmentationSpec } from "../src/matte/segment.js";

describe("matte refinement", () => {
  test("box filter: the mean over a clipped window", () => {
    const src = Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const out = boxFilter(src, 3, 3, 1);
    expect(out[4]).toBeCloseTo(5, 6); // centre: mean of all nine
    expect(out[0]).toBeCloseTo((1 + 2 + 4 + 5) / 4, 6); // corner: four in the window
  });

  test("guided filter snaps a blurry matte edge to the guide's edge", () => {
    const w = 64;
    const h = 8;
    const I = new Float32Array(w * h);
    const p = new Float32Array(w * h);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        I[y * w + x] = x < 32 ? 0.9 : 0.1; // a sharp edge in the photo at x = 32
        p[y * w + x] = Math.min(1, Math.max(0, (40 - x) / 16)); // a soft, misplaced matte edge
      }
    }
    const q = guidedFilter(I, p, w, h, 4, 1e-4);
    // Either side of the photo's edge the result is nearly flat; across it, the step.
    expect(Math.abs((q[4 * w + 30] as number) - (q[4 * w + 26] as number))).toBeLessThan(0.15);
    expect((q[4 * w + 31] as number) - (q[4 * w + 32] as number)).toBeGreaterThan(0.3);
  });

  test("trimap colour refinement: unsure pixels the backdrop's colour go to 0, the subject's to 1; with no colour contrast the model's alpha stays", () => {
    const w = 40;
    const h = 10;
    const paint = (subject: [number, number, number], backdrop: [number, number, number]) => {
      const px = new Uint8Array(w * h * 3);
      for (let i = 0; i < w * h; i++) px.set(i % w < 20 ? subject : backdrop, i * 3);
      return px;
    };
    const p = new Float32Array(w * h);
    for (let i = 0; i < w * h; i++) p[i] = i % w < 20 ? 1 : 0;
    // The model unsure in two places: a blotch on the backdrop (x 30) and a patch of the subject (x 5).
    for (let y = 0; y < h; y++) {
      p[y * w + 30] = 0.5;
      p[y * w + 5] = 0.6;
    }
    const orange = trimapColourRefine(paint([240, 120, 30], [220, 220, 222]), p, w, h, 8);
    expect(orange[4 * w + 30]).toBeCloseTo(0, 2);
    expect(orange[4 * w + 5]).toBeCloseTo(1, 2);
    expect(orange[4 * w + 0]).toBe(1); // sure pixels unchanged
    const grey = trimapColourRefine(paint([200, 200, 200], [205, 205, 205]), p, w, h, 8);
    expect(grey[4 * w + 30]).toBeCloseTo(0.5, 5);
    expect(grey[4 * w + 5]).toBeCloseTo(0.6, 5);
  });

  test("refineMatte upsamples a 1-channel matte to the photo's size", async () => {
    const low = { alpha: new Uint8Array(16 * 16).fill(255), width: 16, height: 16 };
    const img = { pixels: new Uint8Array(40 * 30 * 3).fill(100), width: 40, height: 30 };
    const a = await refineMatte(low, img);
    expect(a.length).toBe(40 * 30);
    expect(a.every((v) => v === 255)).toBe(true);
  });
});

describe("composition", () => {
  const img = { pixels: new Uint8Array(4 * 2 * 3).fill(200), width: 4, height: 2 };
  const alpha = Uint8Array.from([255, 255, 0, 0, 255, 255, 0, 0]);

  test("transparent PNG keeps the alpha", async () => {
    const { bytes, mime } = await compose(img, alpha, { kind: "transparent" }, "png");
    expect(mime).toBe("image/png");
    const { data, info } = await sharp(bytes).raw().toBuffer({ resolveWithObject: true });
    expect(info.channels).toBe(4);
    expect([data[3], data[11]]).toEqual([255, 0]);
  });

  test("a colour background shows where alpha is 0", async () => {
    const { bytes } = await compose(img, alpha, { kind: "color", color: "#0000ff" }, "png");
    const data = await sharp(bytes).raw().toBuffer();
    expect([...data.subarray(0, 3)]).toEqual([200, 200, 200]);
    expect([...data.subarray(9, 12)]).toEqual([0, 0, 255]);
    expect(() => parseColor("blue")).toThrow(/#rrggbb/);
  });
});

describe("product photo preset", () => {
  test("the subject's box, centred on a white square with padding", async () => {
    const w = 100;
    const h = 60;
    const img = { pixels: new Uint8Array(w * h * 3).fill(50), width: w, height: h };
    const alpha = new Uint8Array(w * h);
    for (let y = 10; y < 30; y++) for (let x = 60; x < 90; x++) alpha[y * w + x] = 255; // a 30×20 subject, off centre
    expect(subjectBox(alpha, w, h)).toEqual({ x: 60, y: 10, width: 30, height: 20 });
    expect(subjectBox(new Uint8Array(4), 2, 2)).toBeNull();
    const { bytes } = await productPhoto(img, alpha, { size: 200, padding: 0.1, color: "#ffffff" }, "png");
    const { data, info } = await sharp(bytes).raw().toBuffer({ resolveWithObject: true });
    expect([info.width, info.height]).toEqual([200, 200]);
    const at = (x: number, y: number) => data[(y * 200 + x) * info.channels] as number;
    expect(at(100, 100)).toBe(50); // the subject, centred
    expect(at(25, 100)).toBe(50); // scaled to 160 px wide: x 20..180
    expect(at(15, 100)).toBe(255); // padding
    expect(at(100, 30)).toBe(255); // 160×107: above it is white
  });
});

describe("model specs from the manifests", () => {
  test("isnet-small: 1024², mean 128 and std 256, as the manifest says", () => {
    const m = directModels().get("isnet-small");
    expect(segmentationSpec(m)).toEqual({ input: "input", output: "output", width: 1024, height: 1024, mean: [128, 128, 128], std: [256, 256, 256] });
    expect(() => segmentationSpec(directModels().get("blazeface-front"))).toThrow(/not a segmentation model/);
  });
});
