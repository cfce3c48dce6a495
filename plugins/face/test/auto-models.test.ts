/**
 * `model: "auto"` (the default) with one, both or neither BlazeFace model fetched: it runs the
 * fetched ones, says which in `runs`, and is refused (409 naming a fetch command) only with neither.
 */
import path from "node:path";
import { fileURLToPath } from "node:url";
import { createTestKernel, installModel, type TestKernel, uninstallModel } from "@crealia/kernel/testing";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { facesScene } from "./fixtures.js";

const here = path.dirname(fileURLToPath(import.meta.url));
const pluginDir = path.resolve(here, "..");
const filtersStub = path.join(here, "fixtures/filters-stub");

describe("face: model auto uses the detector models that were fetched", { timeout: 120_000 }, () => {
  let t: TestKernel;
  let groupId: string;
  let portraitId: string;
  const upload = async (name: string, image: Buffer) => (await t.upload(name, image, { contentType: "image/jpeg", timeoutMs: 30_000 })).assetId;
  const detect = async (assetId: string) => {
    const res = await t.inject({ method: "POST", url: `/api/p/face/v1/assets/${assetId}/detect`, payload: {} });
    expect(res.statusCode, res.body).toBe(202);
    const job = await t.waitForJob(res.json().jobId, { timeoutMs: 60_000 });
    expect(job.status, JSON.stringify(job.error)).toBe("succeeded");
    return job.result as { model: string; count: number; runs: { model: string }[] };
  };
  const storedRuns = async (assetId: string) =>
    ((await t.inject({ method: "GET", url: `/api/p/face/v1/assets/${assetId}/faces` })).json().runs as { model: string }[]).map((r) => r.model);

  beforeAll(async () => {
    t = await createTestKernel({ plugins: [filtersStub, pluginDir] });
    const group = await facesScene(1600, 900, [
      { x: 100, y: 300, size: 200 },
      { x: 700, y: 250, size: 200 },
      { x: 1250, y: 320, size: 200 },
    ]);
    groupId = await upload("group.jpg", group.image);
    portraitId = await upload("portrait.jpg", (await facesScene(480, 640, [{ x: 90, y: 80, size: 300 }])).image);
  });
  afterAll(() => t?.close());

  test("neither fetched: detect and retouch answer 409 naming a fetch command; no job is queued", async () => {
    for (const action of ["detect", "retouch"]) {
      const res = await t.inject({ method: "POST", url: `/api/p/face/v1/assets/${groupId}/${action}`, payload: {} });
      expect(res.statusCode).toBe(409);
      expect(res.json().error).toMatchObject({
        code: "KERNEL_MODEL_NOT_INSTALLED",
        message: expect.stringContaining("crealia models fetch blazeface-front"),
        details: { modelId: "blazeface-front" },
      });
    }
    for (const type of ["face.detect", "face.retouch"]) expect((await t.inject({ method: "GET", url: `/api/jobs?type=${type}` })).json().jobs).toEqual([]);
  });

  test("only blazeface-back fetched: auto runs it alone, records that in the job result and the stored detection, and retouch works", async () => {
    await installModel(t, "blazeface-back");
    const result = await detect(groupId);
    expect(result).toMatchObject({ model: "auto", count: 3 });
    expect(result.runs.map((r) => r.model)).toEqual(["blazeface-back"]);
    expect(await storedRuns(groupId)).toEqual(["blazeface-back"]);

    const res = await t.inject({ method: "POST", url: `/api/p/face/v1/assets/${groupId}/retouch`, payload: { smoothing: 0.5 } });
    expect(res.statusCode, res.body).toBe(202);
    const job = await t.waitForJob(res.json().jobId, { timeoutMs: 60_000 });
    expect(job.status, JSON.stringify(job.error)).toBe("succeeded");
    expect(job.result).toMatchObject({ status: "retouched", faces: 3, newVersion: 2 });
  });

  test("both fetched: auto runs both and merges them; with only blazeface-front left, it runs that one", async () => {
    await installModel(t, "blazeface-front");
    const both = await detect(portraitId);
    expect(both).toMatchObject({ model: "auto", count: 1 });
    expect(both.runs.map((r) => r.model)).toEqual(["blazeface-front", "blazeface-back"]);
    expect(await storedRuns(portraitId)).toEqual(["blazeface-front", "blazeface-back"]);

    uninstallModel(t, "blazeface-back");
    const front = await detect(portraitId);
    expect(front).toMatchObject({ model: "auto", count: 1 });
    expect(front.runs.map((r) => r.model)).toEqual(["blazeface-front"]);
    // The new detection replaced the one of both models (one stored detection per version and choice).
    expect(await storedRuns(portraitId)).toEqual(["blazeface-front"]);
  });
});
