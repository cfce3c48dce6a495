import path from "node:path";
import { fileURLToPath } from "node:url";
import { createTestKernel, installModel, installTamperedModel, type TestKernel, uninstallModel } from "@crealia/kernel/testing";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { productScene } from "./fixtures.js";

const pluginDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

// Its own kernel: a model loaded once stays warm in the worker, so the damaged file must be the first one it sees.
describe("cutout: damaged or missing model files, and a panorama", { timeout: 120_000 }, () => {
  let t: TestKernel;
  let ballId: string;
  const upload = async (name: string, data: Buffer) => (await t.upload(name, data, { timeoutMs: 30_000 })).assetId;
  const queue = (payload: Record<string, unknown>) =>
    t.kernel.jobs.enqueue(
      "cutout",
      "cutout.remove",
      { version: 1, format: "png", background: { kind: "transparent" }, refine: true, ...payload },
      {
        tenantId: t.defaultTenant.id,
      },
    );

  beforeAll(async () => {
    t = await createTestKernel({ plugins: [pluginDir] });
    ballId = await upload("ball.jpg", (await productScene(320, 240)).image);
  });
  afterAll(() => t?.close());

  test('a tampered model file: the job fails with `model "isnet-small" failed verification` (the kernel\'s checksum error), once, and the worker runs the next job', async () => {
    await installTamperedModel(t, "isnet-small");
    expect((await t.inject({ method: "GET", url: "/api/p/cutout/v1/models" })).json().models[0]).toMatchObject({ id: "isnet-small", status: "corrupt" });
    const res = await t.inject({ method: "POST", url: `/api/p/cutout/v1/assets/${ballId}/remove`, payload: {} });
    expect(res.statusCode, res.body).toBe(202);
    const failed = await t.waitForJob(res.json().jobId, { timeoutMs: 30_000 });
    expect(failed.status).toBe("failed");
    expect(failed.error?.code).toBe("KERNEL_MODEL_CHECKSUM");
    expect(failed.error?.message).toMatch(
      /^model "isnet-small" failed verification: model "isnet-small" 1\.4\.5: .+ has sha256 [0-9a-f]{64} \(\d+ B\) but the manifest says [0-9a-f]{64} \(\d+ B\); refusing to load it; `crealia models fetch isnet-small --force` fetches it again$/,
    );
    expect(failed.attempts).toBe(1);

    uninstallModel(t, "isnet-small");
    await installModel(t, "isnet-small");
    const again = await t.inject({ method: "POST", url: `/api/p/cutout/v1/assets/${ballId}/remove`, payload: {} });
    const next = await t.waitForJob(again.json().jobId, { timeoutMs: 90_000 });
    expect(next.status, JSON.stringify(next.error)).toBe("succeeded");
    expect(next.result).toMatchObject({ status: "done", model: "isnet-small" });
  });

  test('a model file gone after the route checked it: the job fails with `model "isnet-medium" failed verification`, naming the fetch command', async () => {
    const failed = await t.waitForJob((await queue({ assetId: ballId, model: "isnet-medium" })).id, { timeoutMs: 30_000 });
    expect(failed.status).toBe("failed");
    expect(failed.error?.code).toBe("KERNEL_MODEL_NOT_INSTALLED");
    expect(failed.error?.message).toMatch(
      /^model "isnet-medium" failed verification: model "isnet-medium" [\d.]+ is not installed: .*`crealia models fetch isnet-medium`$/,
    );
    expect(failed.attempts).toBe(1);
  });

  test("a 20 000×400 panorama PNG is refused with a clear message: at the route (single and batch) and in a job that got queued anyway", async () => {
    const width = 20_000;
    const height = 400;
    const gradient = Buffer.from(
      `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><defs><linearGradient id="g"><stop offset="0" stop-color="#204060"/><stop offset="1" stop-color="#e0c090"/></linearGradient></defs><rect width="100%" height="100%" fill="url(#g)"/></svg>`,
    );
    const id = await upload("panorama.png", await sharp(gradient).png({ compressionLevel: 1 }).toBuffer());
    const jobs = async () => (await t.inject({ method: "GET", url: "/api/jobs?type=cutout.remove" })).json().jobs.length as number;
    const before = await jobs();
    const res = await t.inject({ method: "POST", url: `/api/p/cutout/v1/assets/${id}/remove`, payload: {} });
    expect(res.statusCode).toBe(422);
    expect(res.json().error).toMatchObject({
      code: "CUTOUT_ASPECT_UNSUPPORTED",
      message: expect.stringMatching(/20000×400 \(50\.0:1\).*at most 4:1.*crop it first/),
    });
    const batch = await t.inject({ method: "POST", url: "/api/p/cutout/v1/batch", payload: { assetIds: [ballId, id] } });
    expect(batch.statusCode).toBe(422);
    expect(batch.json().error.code).toBe("CUTOUT_ASPECT_UNSUPPORTED");
    expect(await jobs()).toBe(before); // nothing was queued

    const failed = await t.waitForJob((await queue({ assetId: id, model: "isnet-small" })).id, { timeoutMs: 30_000 });
    expect(failed.status).toBe("failed");
    expect(failed.error?.code).toBe("CUTOUT_ASPECT_UNSUPPORTED");
    expect(failed.attempts).toBe(1);
  });
});
