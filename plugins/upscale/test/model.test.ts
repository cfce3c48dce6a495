import path from "node:path";
import { fileURLToPath } from "node:url";
import { createTestKernel, directModels, installModel, type TestKernel, uninstallModel } from "@crealia/kernel/testing";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { onnxBackend } from "../src/backends/onnx.js";
import type { RgbImage } from "../src/image.js";
import { upscaleTiled } from "../src/tiles.js";

const pluginDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const MODEL = "waifu2x-upconv7-2x";

/** Edges, thin strokes, text and gradients: what an upscaler must keep sharp. */
async function testPattern(width: number, height: number): Promise<RgbImage> {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">
    <defs><linearGradient id="g" x2="1" y2="1"><stop offset="0" stop-color="#1d3f9a"/><stop offset="1" stop-color="#f2c14e"/></linearGradient></defs>
    <rect width="100%" height="100%" fill="url(#g)"/>
    <circle cx="${width * 0.3}" cy="${height * 0.5}" r="${height * 0.3}" fill="#c0392b"/>
    <text x="${width * 0.5}" y="${height * 0.45}" font-family="sans-serif" font-size="${height * 0.22}" fill="#111">Crealia 42</text>
    <path d="M${width * 0.5} ${height * 0.7} L${width * 0.95} ${height * 0.9} M${width * 0.55} ${height * 0.95} L${width * 0.95} ${height * 0.65}" stroke="#fff" stroke-width="2"/>
    <rect x="${width * 0.05}" y="${height * 0.05}" width="${width * 0.15}" height="${height * 0.15}" fill="none" stroke="#000" stroke-width="1"/>
  </svg>`;
  const { data, info } = await sharp(Buffer.from(svg)).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { pixels: new Uint8Array(data), width: info.width, height: info.height };
}

async function resize(img: RgbImage, width: number, height: number, kernel: "cubic" | "lanczos3"): Promise<RgbImage> {
  const data = await sharp(img.pixels, { raw: { width: img.width, height: img.height, channels: 3 } })
    .resize(width, height, { kernel, fit: "fill" })
    .raw()
    .toBuffer();
  return { pixels: new Uint8Array(data), width, height };
}

function psnr(a: RgbImage, b: RgbImage): number {
  expect([a.width, a.height]).toEqual([b.width, b.height]);
  let se = 0;
  for (let i = 0; i < a.pixels.length; i++) se += ((a.pixels[i] as number) - (b.pixels[i] as number)) ** 2;
  return 10 * Math.log10((255 * 255) / (se / a.pixels.length));
}

describe("waifu2x UpConv7 through the plugin's ONNX backend and tiler", { timeout: 120_000 }, () => {
  const backend = onnxBackend(directModels(), { upscaleModel: MODEL });
  const upscale = (img: RgbImage, tileSize: number, overlap: number) =>
    upscaleTiled(img, (tile) => (backend.upscaleTile as NonNullable<typeof backend.upscaleTile>)(tile, 2, {}), {
      scale: 2,
      tileSize,
      overlap,
      context: backend.context,
    });

  test("the manifest's scale and context padding reach the backend", () => {
    expect(backend.capabilities.upscale).toEqual([2]);
    expect(backend.context).toBe(7);
    // The manifest lets the kernel batch it: the tiler sends that many tiles at once.
    expect(backend.tileBatch).toBe(2);
  });

  test("2× of a 2×-downscaled test pattern is closer to the original than bicubic (PSNR)", async () => {
    const original = await testPattern(192, 128);
    const small = await resize(original, 96, 64, "cubic");
    const model = await upscale(small, 64, 16);
    const bicubic = await resize(small, 192, 128, "cubic");
    const [m, b] = [psnr(model, original), psnr(bicubic, original)];
    console.log(`upscale PSNR vs original: ${MODEL} ${m.toFixed(2)} dB, bicubic ${b.toFixed(2)} dB`);
    expect(m).toBeGreaterThan(b + 1);
  });

  test("a large image tile by tile equals the whole image at once (no seams), with progress per tile", async () => {
    const img = await resize(await testPattern(400, 300), 200, 150, "lanczos3");
    const whole = await upscale(img, 512, 0);
    expect(whole.tiles).toBe(1);
    const progress: number[] = [];
    const tiled = await upscaleTiled(img, (tile) => (backend.upscaleTile as NonNullable<typeof backend.upscaleTile>)(tile, 2, {}), {
      scale: 2,
      tileSize: 64,
      overlap: 16,
      context: backend.context,
      onTile: (done) => void progress.push(done),
    });
    expect(tiled.tiles).toBe(4 * 3);
    expect(progress).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
    // Each tile sees its real neighbours as context, so tiles agree with the whole-image run up to float rounding.
    let worst = 0;
    for (let i = 0; i < whole.pixels.length; i++) worst = Math.max(worst, Math.abs((whole.pixels[i] as number) - (tiled.pixels[i] as number)));
    expect(worst).toBeLessThanOrEqual(1);
    expect(psnr(tiled, whole)).toBeGreaterThan(60);
  });
});

describe("upscale jobs on the registry model in a test kernel", { timeout: 180_000 }, () => {
  let t: TestKernel;
  let assetId: string;
  const post = (url: string, payload: unknown) => t.inject({ method: "POST", url: `/api/p/upscale/v1${url}`, payload: payload as Record<string, unknown> });

  beforeAll(async () => {
    t = await createTestKernel({ plugins: [pluginDir] });
    await installModel(t, MODEL);
    const img = await testPattern(128, 80);
    const png = await sharp(img.pixels, { raw: { width: img.width, height: img.height, channels: 3 } })
      .png()
      .toBuffer();
    ({ assetId } = await t.upload("p.png", png, { contentType: "image/png" }));
    // Only the backend is named: the model is the settings' default.
    const set = await t.inject({
      method: "PATCH",
      url: "/api/tenant/plugins/upscale",
      payload: { settings: { backend: "onnx", tileSize: 64, tileOverlap: 16 } },
    });
    expect(set.statusCode, set.body).toBe(200);
  });
  afterAll(async () => {
    await t?.close();
  });

  test("2× and 4× (two 2× passes) run on the default model, tile by tile, with progress", async () => {
    for (const scale of [2, 4]) {
      const res = await post(`/assets/${assetId}/upscale`, { scale, version: 1 });
      expect(res.statusCode, res.body).toBe(202);
      const job = await t.waitForJob(res.json().jobId, { timeoutMs: 120_000 });
      expect(job.status, JSON.stringify(job.error)).toBe("succeeded");
      expect(job.result).toMatchObject({ backend: `onnx:${MODEL}`, fallback: null, width: 128 * scale, height: 80 * scale });
      // 128×80 in 64-px tiles overlapping by 16: 3×2 tiles; the second 2× pass (256×160) takes 5×3.
      expect((job.result as { tiles: number }).tiles).toBe(scale === 2 ? 6 : 6 + 15);
      expect(job.progress).toBe(1);
    }
  });

  test("tiles sent together are batched by the kernel, and the batched image equals a tile-by-tile run within 1 level", async () => {
    const res = await post(`/assets/${assetId}/upscale`, { scale: 2, version: 1 });
    const job = await t.waitForJob(res.json().jobId, { timeoutMs: 120_000 });
    expect(job.status, JSON.stringify(job.error)).toBe("succeeded");
    // 6 equal 64-px tiles in waves of the manifest's maxBatch (2): the kernel ran them two to a call.
    expect(job.result).toMatchObject({ tiles: 6, largestBatch: 2 });
    const file = async (version: number) => (await t.inject({ method: "GET", url: `/api/assets/${assetId}/files/original?version=${version}` })).rawPayload;
    const decode = async (bytes: Buffer): Promise<RgbImage> => {
      const { data, info } = await sharp(bytes).removeAlpha().raw().toBuffer({ resolveWithObject: true });
      return { pixels: new Uint8Array(data), width: info.width, height: info.height };
    };
    const batched = await decode(await file((job.result as { newVersion: number }).newVersion));
    // The same tiles one at a time, each its own onnxruntime call (batch 1), outside the kernel.
    const single = onnxBackend(directModels(), { upscaleModel: MODEL });
    const tileByTile = await upscaleTiled(await decode(await file(1)), (tile) => (single.upscaleTile as NonNullable<typeof single.upscaleTile>)(tile, 2, {}), {
      scale: 2,
      tileSize: 64,
      overlap: 16,
      context: single.context,
    });
    expect([batched.width, batched.height]).toEqual([tileByTile.width, tileByTile.height]);
    let worst = 0;
    for (let i = 0; i < batched.pixels.length; i++) worst = Math.max(worst, Math.abs((batched.pixels[i] as number) - (tileByTile.pixels[i] as number)));
    expect(worst).toBeLessThanOrEqual(1);
  });

  test("3× cannot be made from a 2× model: 422 before anything is queued", async () => {
    const res = await post(`/assets/${assetId}/upscale`, { scale: 3, version: 1 });
    expect(res.statusCode).toBe(422);
    expect(res.json().error).toMatchObject({ code: "UPSCALE_MODEL_UNSUITABLE", message: expect.stringContaining("cannot make 3×") });
  });

  test("without the model fetched, the lanczos fallback (when asked for) runs and says it is one", async () => {
    uninstallModel(t, MODEL);
    expect((await post(`/assets/${assetId}/upscale`, { scale: 2, version: 1 })).json().error.code).toBe("KERNEL_MODEL_NOT_INSTALLED");
    const res = await post(`/assets/${assetId}/upscale`, { scale: 2, version: 1, fallback: "lanczos" });
    expect(res.statusCode, res.body).toBe(202);
    const job = await t.waitForJob(res.json().jobId);
    expect(job.result).toMatchObject({ backend: "lanczos", fallback: expect.stringMatching(/model is not installed.*not an AI upscale/), width: 256 });
  });
});
