import type { ModelManifest, PluginModels } from "@crealia/kernel/sdk";
import { describe, expect, test } from "vitest";
import { onnxBackend, onnxSpec } from "../src/backends/onnx.js";
import type { RgbImage } from "../src/image.js";
import { resolveBackend, type UpscaleCtx } from "../src/service.js";
import { tileGrid, upscaleTiled } from "../src/tiles.js";

function pattern(width: number, height: number): RgbImage {
  const pixels = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) pixels.set([(x * 7) % 256, (y * 11) % 256, ((x ^ y) * 5) % 256], (y * width + x) * 3);
  return { pixels, width, height };
}

function nearest(img: RgbImage, k: number): RgbImage {
  const W = img.width * k;
  const H = img.height * k;
  const pixels = new Uint8Array(W * H * 3);
  for (let y = 0; y < H; y++)
    for (let x = 0; x < W; x++)
      pixels.set(
        img.pixels.subarray((Math.floor(y / k) * img.width + Math.floor(x / k)) * 3, (Math.floor(y / k) * img.width + Math.floor(x / k)) * 3 + 3),
        (y * W + x) * 3,
      );
  return { pixels, width: W, height: H };
}

describe("tiling", () => {
  test("tiles cover the image with the overlap asked for; the last tile is pulled back inside", () => {
    expect(tileGrid(100, 512, 32)).toEqual([{ start: 0, size: 100 }]);
    expect(tileGrid(1000, 512, 32)).toEqual([
      { start: 0, size: 512 },
      { start: 480, size: 512 },
      { start: 488, size: 512 },
    ]);
  });

  test("blending overlapping tiles of a local operator leaves no seam: tiled 2× nearest equals whole-image 2× nearest", async () => {
    const img = pattern(150, 97);
    const progress: number[] = [];
    const out = await upscaleTiled(img, async (tile) => nearest(tile, 2), { scale: 2, tileSize: 40, overlap: 8, onTile: (d) => void progress.push(d) });
    expect(out.tiles).toBe(5 * 3);
    expect(progress).toEqual(Array.from({ length: 15 }, (_, i) => i + 1));
    expect(Buffer.from(out.pixels).equals(Buffer.from(nearest(img, 2).pixels))).toBe(true);
  });

  test("in waves of `batch`: a wave's tiles are in flight together, results blended and reported in tile order", async () => {
    const img = pattern(150, 97);
    const sequential = await upscaleTiled(img, async (tile) => nearest(tile, 2), { scale: 2, tileSize: 40, overlap: 8 });
    let inFlight = 0;
    let most = 0;
    const waves: number[] = [];
    const progress: number[] = [];
    const out = await upscaleTiled(
      img,
      async (tile) => {
        inFlight++;
        most = Math.max(most, inFlight);
        waves.push(inFlight);
        // Later tiles of a wave finish first: the blend order must not follow completion order.
        await new Promise((resolve) => setTimeout(resolve, (4 - inFlight) * 2));
        inFlight--;
        return nearest(tile, 2);
      },
      { scale: 2, tileSize: 40, overlap: 8, batch: 4, onTile: (d) => void progress.push(d) },
    );
    expect(most).toBe(4);
    // 15 tiles: three full waves of 4, then the 3 left over.
    expect(waves).toEqual([1, 2, 3, 4, 1, 2, 3, 4, 1, 2, 3, 4, 1, 2, 3]);
    expect(progress).toEqual(Array.from({ length: 15 }, (_, i) => i + 1));
    expect(Buffer.from(out.pixels).equals(Buffer.from(sequential.pixels))).toBe(true);
  });

  test("cancelling stops a run whose wave is still waiting on the model, without waiting for it", async () => {
    const controller = new AbortController();
    let started = 0;
    const run = upscaleTiled(
      pattern(150, 97),
      () => {
        started++;
        if (started === 2) controller.abort();
        return new Promise<RgbImage>(() => {}); // a model call that never answers
      },
      { scale: 2, tileSize: 40, overlap: 8, batch: 3, signal: controller.signal },
    );
    await expect(run).rejects.toThrow("cancelled");
    expect(started).toBe(3);
  });

  test("a tile of the wrong size from a backend is an error, not a stretched image", async () => {
    await expect(upscaleTiled(pattern(10, 10), async (t) => t, { scale: 2, tileSize: 8, overlap: 2 })).rejects.toThrow(/came back 8×8, not 16×16/);
  });
});

const upscaler: ModelManifest = {
  id: "test-upscaler",
  version: "1.0.0",
  task: "upscaling",
  description: "test",
  license: "MIT",
  format: "onnx",
  file: "x.onnx",
  source: { kind: "local", path: "x.onnx" },
  sha256: "0".repeat(64),
  size: 1,
  memoryMb: 1,
  inputs: [{ name: "in", dtype: "float32", shape: [1, 3, 32, 32], layout: "NCHW", normalisation: { mean: [0, 0, 0], std: [255, 255, 255] } }],
  outputs: [{ name: "out", dtype: "float32", shape: [1, 3, 64, 64] }],
  recipe: { pre: "none", post: "none" },
};

describe("ONNX backend (ctx.models with a 2× nearest 'model' standing in for the runtime)", () => {
  const models: Pick<PluginModels, "get" | "run"> = {
    get: (id: string) => (id === upscaler.id ? upscaler : { ...upscaler, id, task: "face-detection" as const }),
    run: async (_id, feeds) => {
      const x = feeds.in as { data: Float32Array; dims: readonly number[] };
      const [, , h, w] = x.dims as [number, number, number, number];
      const out = new Float32Array(3 * h * 2 * w * 2);
      for (let c = 0; c < 3; c++)
        for (let y = 0; y < h * 2; y++)
          for (let xx = 0; xx < w * 2; xx++) out[c * h * w * 4 + y * w * 2 + xx] = x.data[c * h * w + Math.floor(y / 2) * w + Math.floor(xx / 2)] as number;
      return { outputs: { out: { type: "float32", data: out, dims: [1, 3, h * 2, w * 2] } }, device: "cpu", fallback: null, batchSize: 1 };
    },
  };

  test("reads the scale and normalisation from the manifest and refuses a model that is not an upscaler", () => {
    expect(onnxSpec(upscaler, "upscale")).toMatchObject({ scale: 2, fixed: { width: 32, height: 32 }, mean: [0, 0, 0], std: [255, 255, 255], maxBatch: 1 });
    expect(onnxSpec({ ...upscaler, batch: { maxBatch: 3 } }, "upscale").maxBatch).toBe(3);
    expect(() => onnxBackend(models, { upscaleModel: "blazeface-front" })).toThrow(/not an upscaling one/);
  });

  test("tiles at the model's size through ctx.models give the model's result for the whole image", async () => {
    const backend = onnxBackend(models, { upscaleModel: "test-upscaler" });
    expect(backend.capabilities).toEqual({ upscale: [2], generate: false, style: false });
    const img = pattern(80, 50);
    const out = await upscaleTiled(img, (t) => (backend.upscaleTile as NonNullable<typeof backend.upscaleTile>)(t, 2, {}), {
      scale: 2,
      tileSize: 32,
      overlap: 8,
    });
    expect(Buffer.from(out.pixels).equals(Buffer.from(nearest(img, 2).pixels))).toBe(true);
  });

  test("the ONNX backend cannot generate: UPSCALE_BACKEND_NOT_CONFIGURED (409) before any model is looked at", async () => {
    const ctx = {
      settings: { get: async () => ({ backend: "onnx", onnx: { upscaleModel: "test-upscaler" } }) },
      models,
    } as unknown as UpscaleCtx;
    await expect(resolveBackend(ctx, "t", "generate")).rejects.toMatchObject({ code: "UPSCALE_BACKEND_NOT_CONFIGURED", status: 409 });
  });
});
