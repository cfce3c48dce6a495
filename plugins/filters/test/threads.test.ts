/** Render threads change nothing in the result, and keep the event loop free during an export. */
import sharp from "sharp";
import { afterAll, expect, test } from "vitest";
import { parseRecipe } from "../src/recipe/recipe.js";
import { PassPool } from "../src/render/pass-pool.js";
import { Renderer } from "../src/render/renderer.js";
import { photoJpeg } from "./helpers.js";

sharp.concurrency(1);
const threaded = new PassPool(2);
const inline = new PassPool(0);
afterAll(() => threaded.close());

const recipe = parseRecipe({
  basic: { exposure: 0.4, contrast: 20, shadows: 30 },
  presence: { clarity: 25, texture: 10, vibrance: 20 },
  hsl: { blue: { saturation: -30 } },
  detail: { sharpening: { amount: 60 }, noiseReduction: { luminance: 40, color: 50 } },
  effects: { vignette: { amount: -30 }, grain: { amount: 30 } },
  local: [{ mask: { type: "radial", cx: 0.4, cy: 0.5, rx: 0.3, ry: 0.2 }, adjustments: { exposure: 1, clarity: 40 } }],
});

test("a pass on render threads gives the same bytes as on the main thread", async () => {
  const jpeg = await photoJpeg(900, 600);
  const options = { space: "srgb" as const, purpose: "export" as const, limits: {} };
  const a = await new Renderer({ pool: threaded }).render({ key: "a", load: async () => jpeg }, recipe, options);
  const b = await new Renderer({ pool: inline }).render({ key: "b", load: async () => jpeg }, recipe, options);
  expect(threaded.threaded).toBe(true);
  expect(Buffer.from(a.pixels.buffer).equals(Buffer.from(b.pixels.buffer))).toBe(true);
});

test("the event loop keeps turning while a large export renders", async () => {
  const jpeg = await photoJpeg(3000, 2000);
  let ticks = 0;
  const timer = setInterval(() => ticks++, 5);
  const progress: number[] = [];
  await new Renderer({ pool: threaded, chunkPixels: 500_000 }).render({ key: "big", load: async () => jpeg }, recipe, {
    space: "srgb",
    purpose: "export",
    limits: {},
    onProgress: (f) => {
      progress.push(f);
    },
  });
  clearInterval(timer);
  expect(ticks).toBeGreaterThan(3);
  expect(progress.length).toBeGreaterThan(5);
  expect(progress.at(-1)).toBe(1);
});
