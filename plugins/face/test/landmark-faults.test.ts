import path from "node:path";
import { fileURLToPath } from "node:url";
import { createTestKernel, installModel, installTamperedModel, type TestKernel, uninstallModel } from "@crealia/kernel/testing";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { facesScene } from "./fixtures.js";

const here = path.dirname(fileURLToPath(import.meta.url));
const pluginDir = path.resolve(here, "..");
const filtersStub = path.join(here, "fixtures/filters-stub");

// Its own kernel: the mesh, once loaded, stays warm in the worker, so the damaged file must be the first one it sees.
describe("face: a damaged face-mesh model", { timeout: 120_000 }, () => {
  let t: TestKernel;
  let portraitId: string;
  const detect = async (assetId: string, model: "front" | "back" | "auto") => {
    const res = await t.inject({ method: "POST", url: `/api/p/face/v1/assets/${assetId}/detect`, payload: { model } });
    expect(res.statusCode, res.body).toBe(202);
    return t.waitForJob(res.json().jobId, { timeoutMs: 60_000 });
  };

  beforeAll(async () => {
    t = await createTestKernel({ plugins: [filtersStub, pluginDir] });
    const image = (await facesScene(480, 640, [{ x: 90, y: 80, size: 300 }])).image;
    ({ assetId: portraitId } = await t.upload("portrait.jpg", image, { contentType: "image/jpeg", timeoutMs: 30_000 }));
  });
  afterAll(() => t?.close());

  test('a tampered face-mesh weight file: the job fails with `model "facemesh" failed verification`, once, and the worker runs the next job', async () => {
    await installModel(t, "blazeface-front");
    await installTamperedModel(t, "facemesh", { file: "facemesh.bin" });
    const failed = await detect(portraitId, "front");
    expect(failed.status).toBe("failed");
    expect(failed.error?.code).toBe("KERNEL_MODEL_CHECKSUM");
    expect(failed.error?.message).toMatch(
      /^model "facemesh" failed verification: model "facemesh" 3\.0\.4: .+facemesh\.bin has sha256 [0-9a-f]{64} \(1477958 B\) but the manifest says 3826da640b0a3021161605369ee6af293f75d518040355b960ec71a3390c1c0b \(1477958 B\); refusing to load it; `crealia models fetch facemesh --force` fetches it again$/,
    );
    expect(failed.attempts).toBe(1);

    uninstallModel(t, "facemesh");
    await installModel(t, "facemesh");
    const next = await detect(portraitId, "front");
    expect(next.status, JSON.stringify(next.error)).toBe("succeeded");
    expect(next.result).toMatchObject({ status: "detected", count: 1, landmarks: true });
    expect((next.result as { faces: { landmarks: { points: unknown[] } }[] }).faces[0]?.landmarks.points).toHaveLength(468);
  });
});
