import path from "node:path";
import { fileURLToPath } from "node:url";
import { createTestKernel, installModel, type TestKernel } from "@crealia/kernel/testing";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { type StubServer, startSdWebUiStub } from "./sdwebui-stub.js";

const pluginDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

/** A smooth test pattern (PNG) the resizes can be compared on. */
async function testPattern(width: number, height: number): Promise<Buffer> {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><defs><linearGradient id="g"><stop offset="0" stop-color="#2050c0"/><stop offset="1" stop-color="#f0c040"/></linearGradient></defs><rect width="100%" height="100%" fill="url(#g)"/><circle cx="${width / 2}" cy="${height / 2}" r="${height / 3}" fill="#c03030"/></svg>`;
  return sharp(Buffer.from(svg)).png().toBuffer();
}

function psnr(a: Buffer, b: Buffer): number {
  let se = 0;
  for (let i = 0; i < a.length; i++) se += ((a[i] as number) - (b[i] as number)) ** 2;
  return 10 * Math.log10((255 * 255) / (se / a.length));
}

describe("upscale plugin in a test kernel", { timeout: 60_000 }, () => {
  let t: TestKernel;
  let stub: StubServer;
  let assetId: string;
  const settings = (s: Record<string, unknown>) => t.inject({ method: "PATCH", url: "/api/tenant/plugins/upscale", payload: { settings: s } });
  const post = (url: string, payload: unknown) => t.inject({ method: "POST", url: `/api/p/upscale/v1${url}`, payload: payload as Record<string, unknown> });
  const original = async (version: number) => (await t.inject({ method: "GET", url: `/api/assets/${assetId}/files/original?version=${version}` })).rawPayload;

  beforeAll(async () => {
    [t, stub] = await Promise.all([createTestKernel({ plugins: [pluginDir] }), startSdWebUiStub({ auth: "crealia:s3cret" })]);
    ({ assetId } = await t.upload("pattern.png", await testPattern(150, 100)));
  });
  afterAll(async () => {
    await t?.close();
    await stub?.close();
  });

  test("by default (auto) with the model not fetched, every job type answers 409 saying what to do, and nothing is queued", async () => {
    const up = await post(`/assets/${assetId}/upscale`, { scale: 2 });
    expect(up.statusCode).toBe(409);
    expect(up.json().error).toMatchObject({
      code: "UPSCALE_BACKEND_NOT_CONFIGURED",
      message: expect.stringContaining("run `crealia models fetch waifu2x-upconv7-2x` on the server"),
      details: { capability: "upscale", modelId: "waifu2x-upconv7-2x", fetch: "crealia models fetch waifu2x-upconv7-2x" },
    });
    expect((await post("/generate", { prompt: "a lighthouse" })).json().error).toMatchObject({
      code: "UPSCALE_BACKEND_NOT_CONFIGURED",
      message: expect.stringContaining('"sdwebui"'),
    });
    expect((await post(`/assets/${assetId}/style`, { prompt: "watercolour" })).json().error).toMatchObject({
      code: "UPSCALE_BACKEND_NOT_CONFIGURED",
      message: expect.stringContaining("onnx.styleModel"),
    });
    expect((await t.inject({ method: "GET", url: "/api/jobs" })).json().jobs.filter((j: { type: string }) => j.type.startsWith("upscale."))).toEqual([]);
    const backend = (await t.inject({ method: "GET", url: "/api/p/upscale/v1/backend" })).json();
    expect(backend).toMatchObject({
      backend: "auto",
      id: null,
      model: { id: "waifu2x-upconv7-2x", status: "missing", fetch: "crealia models fetch waifu2x-upconv7-2x" },
      capabilities: { upscale: { available: false }, generate: { available: false }, style: { available: false } },
    });
  });

  test("the lanczos fallback runs only when asked for, and says it is one", async () => {
    const res = await post(`/assets/${assetId}/upscale`, { scale: 2, fallback: "lanczos" });
    expect(res.statusCode, res.body).toBe(202);
    const job = await t.waitForJob(res.json().jobId);
    expect(job.status, JSON.stringify(job.error)).toBe("succeeded");
    expect(job.result).toMatchObject({ backend: "lanczos", fallback: expect.stringContaining("not an AI upscale"), width: 300, height: 200, newVersion: 2 });
    await t.waitForJob((job.result as { ingestJobId: string }).ingestJobId);
  });

  test("auto picks the ONNX backend once its model is fetched; an explicit none still turns it off", async () => {
    await installModel(t, "waifu2x-upconv7-2x");
    const backend = (await t.inject({ method: "GET", url: "/api/p/upscale/v1/backend" })).json();
    expect(backend).toMatchObject({
      backend: "auto",
      id: "onnx:waifu2x-upconv7-2x",
      model: { id: "waifu2x-upconv7-2x", status: "installed" },
      capabilities: { upscale: { available: true }, generate: { available: false }, style: { available: false } },
    });
    const res = await post(`/assets/${assetId}/upscale`, { scale: 2, version: 1 });
    expect(res.statusCode, res.body).toBe(202);
    const job = await t.waitForJob(res.json().jobId, { timeoutMs: 60_000 });
    expect(job.status, JSON.stringify(job.error)).toBe("succeeded");
    expect(job.result).toMatchObject({ backend: "onnx:waifu2x-upconv7-2x", fallback: null, width: 300, height: 200 });
    await t.waitForJob((job.result as { ingestJobId: string }).ingestJobId);

    // A batch: one parent, a 2× child per photo, each from its current version (the first photo's is the 300×200 just made).
    const second = await t.upload("pattern-2.png", await testPattern(120, 80));
    const batch = await post("/batch/upscale", { assetIds: [assetId, second.assetId], scale: 2 });
    expect(batch.statusCode, batch.body).toBe(202);
    const parent = await t.waitForJob(batch.json().jobId, { timeoutMs: 60_000 });
    expect(parent).toMatchObject({ type: "kernel.batch", status: "succeeded", result: { total: 2, succeeded: 2, failed: 0 } });
    const sizes = await Promise.all((batch.json().children as string[]).map(async (id) => (await t.waitForJob(id)).result));
    expect(sizes).toMatchObject([
      { width: 600, height: 400 },
      { width: 240, height: 160 },
    ]);

    await settings({ backend: "none" });
    const off = await post(`/assets/${assetId}/upscale`, { scale: 2, version: 1 });
    expect(off.statusCode).toBe(409);
    const queued = (await t.inject({ method: "GET", url: "/api/jobs?type=upscale.upscale&limit=100" })).json().jobs.length;
    expect((await post("/batch/upscale", { assetIds: [assetId, second.assetId] })).statusCode).toBe(409);
    expect((await t.inject({ method: "GET", url: "/api/jobs?type=upscale.upscale&limit=100" })).json().jobs.length).toBe(queued);
    expect(off.json().error).toMatchObject({ code: "UPSCALE_BACKEND_NOT_CONFIGURED", message: expect.stringContaining('backend "none"') });
    expect((await t.inject({ method: "GET", url: "/api/p/upscale/v1/backend" })).json()).toMatchObject({
      backend: "none",
      id: null,
      model: { status: "installed" },
    });
  });

  test("an ONNX backend naming a model never fetched answers the kernel's 409 with the fetch command; nothing is queued", async () => {
    await settings({ backend: "onnx", onnx: { upscaleModel: "realesr-animevideov3-4x" } });
    const res = await post(`/assets/${assetId}/upscale`, { scale: 4, version: 1 });
    expect(res.statusCode).toBe(409);
    expect(res.json().error).toMatchObject({
      code: "KERNEL_MODEL_NOT_INSTALLED",
      details: { modelId: "realesr-animevideov3-4x", fetch: "crealia models fetch realesr-animevideov3-4x" },
    });
  });

  test("an ONNX backend naming a model that is not an upscaler is refused (422); an unknown one is 404", async () => {
    await settings({ backend: "onnx", onnx: { upscaleModel: "blazeface-front" } });
    expect((await post(`/assets/${assetId}/upscale`, { version: 1 })).json().error.code).toBe("UPSCALE_MODEL_UNSUITABLE");
    await settings({ backend: "onnx", onnx: { upscaleModel: "no-such-model" } });
    expect((await post(`/assets/${assetId}/upscale`, { version: 1 })).json().error.code).toBe("KERNEL_MODEL_NOT_FOUND");
  });

  test("Stable Diffusion WebUI backend: 2× by overlapping tiles through /sdapi/v1/extra-single-image, seams blended", async () => {
    await settings({ backend: "sdwebui", sdwebui: { url: stub.url, upscaler: "Lanczos" }, tileSize: 64, tileOverlap: 8 });
    await t.inject({ method: "PUT", url: "/api/tenant/plugins/upscale/secrets/sdwebuiAuth", payload: { value: "crealia:s3cret" } });
    const backend = (await t.inject({ method: "GET", url: "/api/p/upscale/v1/backend" })).json();
    expect(backend).toMatchObject({
      backend: "sdwebui",
      server: { reachable: true, upscalers: expect.arrayContaining(["Lanczos"]) },
      capabilities: { generate: { available: true } },
    });
    stub.calls.length = 0;
    const res = await post(`/assets/${assetId}/upscale`, { scale: 2, version: 1 });
    expect(res.statusCode, res.body).toBe(202);
    const job = await t.waitForJob(res.json().jobId);
    expect(job.status, JSON.stringify(job.error)).toBe("succeeded");
    expect(job.result).toMatchObject({ backend: `sdwebui:${stub.url}`, fallback: null, tiles: 6, width: 300, height: 200 });
    expect(stub.calls.filter((c) => c.path === "/sdapi/v1/extra-single-image")).toHaveLength(6);
    expect(stub.calls[1]?.body).toMatchObject({ upscaling_resize: 2, upscaler_1: "Lanczos", resize_mode: 0 });
    await t.waitForJob((job.result as { ingestJobId: string }).ingestJobId);
    // Tiles blended: close to the same upscaler run on the whole image at once.
    const tiled = await sharp(await original((job.result as { newVersion: number }).newVersion))
      .raw()
      .toBuffer();
    const whole = await sharp(await original(1))
      .removeAlpha()
      .resize(300, 200, { kernel: "lanczos3" })
      .raw()
      .toBuffer();
    expect(psnr(tiled, whole)).toBeGreaterThan(35);
  });

  test("generate: /sdapi/v1/txt2img → a new asset", async () => {
    const res = await post("/generate", { prompt: "a lighthouse at dusk", width: 256, height: 192, seed: 7, name: "lighthouse.png" });
    expect(res.statusCode, res.body).toBe(202);
    const job = await t.waitForJob(res.json().jobId);
    expect(job.status, JSON.stringify(job.error)).toBe("succeeded");
    const call = stub.calls.find((c) => c.path === "/sdapi/v1/txt2img");
    expect(call?.body).toMatchObject({ prompt: "a lighthouse at dusk", width: 256, height: 192, seed: 7, steps: 25 });
    const { assetId: created, ingestJobId } = job.result as { assetId: string; ingestJobId: string };
    await t.waitForJob(ingestJobId);
    const asset = (await t.inject({ method: "GET", url: `/api/assets/${created}` })).json();
    expect(asset).toMatchObject({ name: "lighthouse.png", kind: "image", version: { width: 256, height: 192 } });
  });

  test("style: /sdapi/v1/img2img with the photo → a new version", async () => {
    const res = await post(`/assets/${assetId}/style`, { prompt: "oil painting", strength: 0.4, version: 1 });
    const job = await t.waitForJob(res.json().jobId);
    expect(job.status, JSON.stringify(job.error)).toBe("succeeded");
    const call = stub.calls.find((c) => c.path === "/sdapi/v1/img2img");
    expect(call?.body).toMatchObject({ prompt: "oil painting", denoising_strength: 0.4, width: 150, height: 100, init_images: [expect.any(String)] });
    expect(job.result).toMatchObject({ status: "styled", fromVersion: 1 });
  });

  test("the server's errors become clear job errors: 500 (its error text), 400 unknown upscaler, 401 credentials, 422 validation", async () => {
    const failed = await t.waitForJob((await post("/generate", { prompt: "FAIL please" })).json().jobId, { timeoutMs: 20_000 });
    expect(failed.status).toBe("failed");
    expect(failed.error).toMatchObject({ code: "UPSCALE_BACKEND_FAILED", message: expect.stringContaining("CUDA out of memory") });

    await settings({ backend: "sdwebui", sdwebui: { url: stub.url, upscaler: "SwinIR 9x" } });
    const rejected = await t.waitForJob((await post(`/assets/${assetId}/upscale`, { version: 1 })).json().jobId);
    expect(rejected.error).toMatchObject({ code: "UPSCALE_BACKEND_REJECTED", message: expect.stringContaining("Invalid upscaler") });
    expect(rejected.attempts).toBe(1); // not retried: it cannot succeed

    await settings({ backend: "sdwebui", sdwebui: { url: stub.url } });
    await t.inject({ method: "PUT", url: "/api/tenant/plugins/upscale/secrets/sdwebuiAuth", payload: { value: "crealia:wrong" } });
    const auth = await t.waitForJob((await post("/generate", { prompt: "x" })).json().jobId);
    expect(auth.error).toMatchObject({ code: "UPSCALE_BACKEND_AUTH" });
    await t.inject({ method: "PUT", url: "/api/tenant/plugins/upscale/secrets/sdwebuiAuth", payload: { value: "crealia:s3cret" } });

    const { sdWebUiBackend } = await import("../src/backends/sdwebui.js");
    const direct = sdWebUiBackend({ url: stub.url, auth: "crealia:s3cret" });
    await expect((direct.generate as NonNullable<typeof direct.generate>)({ prompt: "x", width: 1.5, height: 64 }, {})).rejects.toMatchObject({
      code: "UPSCALE_BACKEND_REJECTED",
      message: expect.stringContaining("body.width: value is not a valid integer"),
    });
  });

  test("an unreachable server: UPSCALE_BACKEND_UNREACHABLE", async () => {
    const closed = await startSdWebUiStub();
    await closed.close(); // a port nothing listens on any more
    await settings({ backend: "sdwebui", sdwebui: { url: closed.url } });
    const job = await t.waitForJob((await post("/generate", { prompt: "x" })).json().jobId, { timeoutMs: 20_000 });
    expect(job.error).toMatchObject({ code: "UPSCALE_BACKEND_UNREACHABLE", message: expect.stringContaining("ECONNREFUSED") });
    const backend = (await t.inject({ method: "GET", url: "/api/p/upscale/v1/backend" })).json();
    expect(backend.server).toMatchObject({ reachable: false });
  });
});
