import path from "node:path";
import { fileURLToPath } from "node:url";
import { createTestKernel, installModel, installTamperedModel, type TestKernel, uninstallModel } from "@crealia/kernel/testing";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { facesScene } from "./fixtures.js";

const here = path.dirname(fileURLToPath(import.meta.url));
const pluginDir = path.resolve(here, "..");
const filtersStub = path.join(here, "fixtures/filters-stub");

// Its own kernel: a model loaded once stays warm in the worker, so the damaged file must be the first one it sees.
describe("face: damaged or missing model files, and a panorama", { timeout: 120_000 }, () => {
  let t: TestKernel;
  let portraitId: string;
  const upload = async (name: string, data: Buffer) => (await t.upload(name, data, { timeoutMs: 30_000 })).assetId;
  const detect = async (assetId: string, model: "front" | "back" | "auto") => {
    const res = await t.inject({ method: "POST", url: `/api/p/face/v1/assets/${assetId}/detect`, payload: { model } });
    expect(res.statusCode, res.body).toBe(202);
    return t.waitForJob(res.json().jobId, { timeoutMs: 60_000 });
  };

  beforeAll(async () => {
    t = await createTestKernel({ plugins: [filtersStub, pluginDir] });
    await installModel(t, "facemesh");
    portraitId = await upload("portrait.jpg", (await facesScene(480, 640, [{ x: 90, y: 80, size: 300 }])).image);
  });
  afterAll(() => t?.close());

  test('a tampered model file: the job fails with `model "blazeface-front" failed verification` (the kernel\'s checksum error), once, and the worker runs the next job', async () => {
    await installTamperedModel(t, "blazeface-front");
    // The route refuses only a model that is not there at all; a damaged file is found when the job loads it.
    const failed = await detect(portraitId, "front");
    expect(failed.status).toBe("failed");
    expect(failed.error?.code).toBe("KERNEL_MODEL_CHECKSUM");
    expect(failed.error?.message).toMatch(
      /^model "blazeface-front" failed verification: model "blazeface-front" 1\.2\.0: .+ has sha256 [0-9a-f]{64} \(442005 B\) but the manifest says d388b1cf8a5f6f1af2b3f4c14f6d0f138bab970cd618cccd12dddb7484e82e51 \(442005 B\); refusing to load it; `crealia models fetch blazeface-front --force` fetches it again$/,
    );
    expect(failed.attempts).toBe(1); // not retried: only fetching the file again helps

    uninstallModel(t, "blazeface-front");
    await installModel(t, "blazeface-front");
    const next = await detect(portraitId, "front");
    expect(next.status, JSON.stringify(next.error)).toBe("succeeded");
    expect(next.result).toMatchObject({ status: "detected", count: 1 });
  });

  test('a model file gone after the route checked it: the job fails with `model "blazeface-back" failed verification`, naming the fetch command; then it works again', async () => {
    // As if the file was deleted between the route's check and the worker: the job is queued directly.
    const queued = await t.kernel.jobs.enqueue("face", "face.detect", { assetId: portraitId, version: 1, model: "back" }, { tenantId: t.defaultTenant.id });
    const failed = await t.waitForJob(queued.id, { timeoutMs: 30_000 });
    expect(failed.status).toBe("failed");
    expect(failed.error?.code).toBe("KERNEL_MODEL_NOT_INSTALLED");
    expect(failed.error?.message).toMatch(
      /^model "blazeface-back" failed verification: model "blazeface-back" 1\.2\.0 is not installed: .*`crealia models fetch blazeface-back`$/,
    );
    expect(failed.attempts).toBe(1);

    await installModel(t, "blazeface-back");
    const next = await detect(portraitId, "auto");
    expect(next.status, JSON.stringify(next.error)).toBe("succeeded");
    expect(next.result).toMatchObject({ count: 1 });
  });

  test("a 20 000×400 panorama PNG: searched in windows, its two faces found; a panorama without faces: an empty result", async () => {
    const { image } = await facesScene(20_000, 400, [
      { x: 2_500, y: 25, size: 220 },
      { x: 16_100, y: 15, size: 220 },
    ]);
    const id = await upload("panorama.png", await sharp(image).png({ compressionLevel: 1 }).toBuffer());
    const job = await detect(id, "auto");
    expect(job.status, JSON.stringify(job.error)).toBe("succeeded");
    const result = job.result as { count: number; width: number; height: number; faces: { box: { x: number } }[]; runs: { model: string; windows?: number }[] };
    expect(result).toMatchObject({ count: 2, width: 20_000, height: 400 });
    expect(result.faces.map((f) => Math.round(f.box.x / 1000)).sort((a, b) => a - b)).toEqual([3, 16]);
    expect(result.runs.filter((r) => r.model.startsWith("blazeface")).every((r) => (r.windows ?? 0) > 40)).toBe(true);

    const blank = await sharp({ create: { width: 20_000, height: 400, channels: 3, background: "#a0b0c0" } })
      .png()
      .toBuffer();
    const empty = await detect(await upload("blank-panorama.png", blank), "auto");
    expect(empty.status, JSON.stringify(empty.error)).toBe("succeeded");
    expect(empty.result).toMatchObject({ status: "detected", count: 0, faces: [] });
  });
});
