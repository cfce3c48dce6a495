import { directModels } from "@crealia/kernel/testing";
import sharp from "sharp";
import { describe, expect, test } from "vitest";
import { decodeRgb } from "../src/image.js";
import { hairMask } from "../src/segment/hair.js";
import { segmentMask } from "../src/segment/masks.js";
import { personMask } from "../src/segment/selfie.js";
import { detectWithLandmarks, type FaceCtx } from "../src/service.js";
import { personScene } from "./fixtures.js";

// Real models: the selfie segmentation graph (tfjs), BlazeFace and the face mesh, on facesjs drawings.
const models = directModels();
const statusOk = { ...models, status: async () => "installed" as const } as unknown as FaceCtx["models"];

/** IoU of two masks thresholded at half. */
function iou(a: Uint8Array, b: Uint8Array): number {
  let inter = 0;
  let union = 0;
  for (let i = 0; i < a.length; i++) {
    const x = (a[i] as number) > 128;
    const y = (b[i] as number) > 128;
    if (x && y) inter++;
    if (x || y) union++;
  }
  return inter / union;
}

/** Mean of `mask` where `where` holds. */
function meanWhere(mask: Uint8Array, where: (i: number) => boolean): number {
  let sum = 0;
  let n = 0;
  for (let i = 0; i < mask.length; i++) {
    if (!where(i)) continue;
    sum += mask[i] as number;
    n++;
  }
  return sum / n;
}

// A head-and-shoulders drawing reaching the bottom edge, as a portrait crops a person. Seeds 0 and 3:
// light skin with glasses, and dark skin (hair and skin close in colour, the hard case for hair).
const W = 640;
const H = 660;
const scene = (seed: number) => personScene(W, H, { x: 120, y: 60, size: 400, seed });

describe("person and hair masks from selfie segmentation", { timeout: 120_000 }, () => {
  test.each([0, 3])("seed %i: the person mask covers the drawn subject (IoU ≥ 0.8), full size, the run reported", async (seed) => {
    const s = await scene(seed);
    const person = await personMask(models, await decodeRgb(s.image));
    expect([person.width, person.height, person.mask.length]).toEqual([W, H, W * H]);
    expect(iou(person.mask, s.person)).toBeGreaterThanOrEqual(0.8);
    expect(meanWhere(person.mask, (i) => s.person[i] === 0)).toBeLessThan(10);
    expect(person.device).toBe("cpu");
    expect(person.timings.inferenceMs).toBeGreaterThan(0);
  });

  test.each([0, 3])("seed %i: hair is the drawn hair (IoU ≥ 0.55), never the face, never the background", async (seed) => {
    const s = await scene(seed);
    const img = await decodeRgb(s.image);
    const { faces } = await detectWithLandmarks(statusOk, img, { model: "front", landmarks: true });
    expect(faces).toHaveLength(1);
    const hair = await hairMask(img, (await personMask(models, img)).mask, faces);
    expect(iou(hair, s.hair)).toBeGreaterThanOrEqual(0.55);
    expect(meanWhere(hair, (i) => (s.hair[i] as number) > 0)).toBeGreaterThan(180);
    // The middle of the face (inside its box by a fifth on each side) and everything outside the subject.
    const f = s.face;
    const inner = (i: number) => {
      const x = i % W;
      const y = Math.floor(i / W);
      return x > f.x + 0.2 * f.width && x < f.x + 0.8 * f.width && y > f.y + 0.2 * f.height && y < f.y + 0.9 * f.height;
    };
    expect(meanWhere(hair, inner)).toBeLessThan(10);
    expect(meanWhere(hair, (i) => s.person[i] === 0)).toBeLessThan(5);
  });

  test("no face, no head to place: the hair mask is empty while the person mask is not", async () => {
    const s = await scene(0);
    const img = await decodeRgb(s.image);
    const person = await personMask(models, img);
    expect(meanWhere(person.mask, () => true)).toBeGreaterThan(50);
    expect((await hairMask(img, person.mask, [])).every((v) => v === 0)).toBe(true);
  });

  test("a plain background: the person mask is (nearly) empty", async () => {
    const blank = await sharp({ create: { width: 320, height: 240, channels: 3, background: "#c8d4dc" } })
      .jpeg()
      .toBuffer();
    const person = await segmentMask(models, await decodeRgb(blank), "person", async () => []);
    expect(person.length).toBe(320 * 240);
    expect(meanWhere(person, () => true)).toBeLessThan(5);
  });
});
