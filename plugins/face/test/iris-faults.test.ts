import path from "node:path";
import { fileURLToPath } from "node:url";
import { createTestKernel, installModel, installTamperedModel, type TestKernel, uninstallModel } from "@crealia/kernel/testing";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { facesScene } from "./fixtures.js";

const here = path.dirname(fileURLToPath(import.meta.url));
const pluginDir = path.resolve(here, "..");
const filtersStub = path.join(here, "fixtures/filters-stub");

// Its own kernel: the iris model, once loaded, stays warm in the worker, so the damaged file must be the first one it sees.
describe("face: a damaged iris model, then irises through REST and GraphQL", { timeout: 120_000 }, () => {
  let t: TestKernel;
  let portraitId: string;
  const detect = async () => {
    const res = await t.inject({ method: "POST", url: `/api/p/face/v1/assets/${portraitId}/detect`, payload: { model: "front" } });
    expect(res.statusCode, res.body).toBe(202);
    return t.waitForJob(res.json().jobId, { timeoutMs: 60_000 });
  };

  beforeAll(async () => {
    t = await createTestKernel({ plugins: [filtersStub, pluginDir] });
    const image = (await facesScene(480, 640, [{ x: 90, y: 80, size: 300 }])).image;
    ({ assetId: portraitId } = await t.upload("portrait.jpg", image, { contentType: "image/jpeg", timeoutMs: 30_000 }));
    await installModel(t, "blazeface-front");
    await installModel(t, "facemesh");
  });
  afterAll(() => t?.close());

  test('a tampered iris weight file: the job fails with `model "iris" failed verification`, once, and the worker runs the next job', async () => {
    await installTamperedModel(t, "iris", { file: "iris.bin" });
    const failed = await detect();
    expect(failed.status).toBe("failed");
    expect(failed.error?.code).toBe("KERNEL_MODEL_CHECKSUM");
    expect(failed.error?.message).toMatch(
      /^model "iris" failed verification: model "iris" 3\.0\.4: .+iris\.bin has sha256 [0-9a-f]{64} \(2599092 B\) but the manifest says d7f296d184274213d4642681ae186112cbbec77fd2ab066257d3c56a1940bc71 \(2599092 B\); refusing to load it; `crealia models fetch iris --force` fetches it again$/,
    );
    expect(failed.attempts).toBe(1);

    uninstallModel(t, "iris");
    await installModel(t, "iris");
    const next = await detect();
    expect(next.status, JSON.stringify(next.error)).toBe("succeeded");
    expect(next.result).toMatchObject({ status: "detected", count: 1, landmarks: true, iris: true });
    const runs = (next.result as { runs: { model: string }[] }).runs;
    expect(runs.map((r) => r.model)).toEqual(["blazeface-front", "facemesh", "iris"]);
  });

  test("the irises are stored with the landmarks: REST and GraphQL give each eye's centre and radius", async () => {
    const rest = await t.inject({ method: "GET", url: `/api/p/face/v1/assets/${portraitId}/faces` });
    expect(rest.statusCode).toBe(200);
    const irises = rest.json().faces[0].landmarks.irises as { eye: string; x: number; y: number; radius: number; outline: number[][] }[];
    expect(irises.map((e) => e.eye)).toEqual(["right", "left"]);
    for (const e of irises) {
      expect(e.radius).toBeGreaterThan(2);
      expect(e.outline).toHaveLength(16);
    }
    const gql = await t.graphql(`query($id: ID!) { faceDetection(assetId: $id) { runs { model device } faces { landmarks { irises { eye x y radius } } } } }`, {
      id: portraitId,
    });
    expect(gql.errors).toBeUndefined();
    const detection = (gql.data as { faceDetection: { runs: { model: string }[]; faces: { landmarks: { irises: unknown[] } }[] } }).faceDetection;
    expect(detection.runs.map((r) => r.model)).toEqual(["blazeface-front", "facemesh", "iris"]);
    expect(detection.faces[0]?.landmarks.irises).toEqual(irises.map(({ eye, x, y, radius }) => ({ eye, x, y, radius })));
  });
});
