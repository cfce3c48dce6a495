import path from "node:path";
import { fileURLToPath } from "node:url";
import { createTestKernel, installModel, type TestKernel } from "@crealia/kernel/testing";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { facesScene, personScene } from "./fixtures.js";

const here = path.dirname(fileURLToPath(import.meta.url));
const pluginDir = path.resolve(here, "..");
// A stand-in for the filters plugin that declares `filters.mask` and calls providers as its renderer does.
const filtersStub = path.join(here, "fixtures/filters-stub");

describe("face plugin in a test kernel", { timeout: 60_000 }, () => {
  let t: TestKernel;
  let groupId: string;
  const upload = async (name: string, data: Buffer, tenant?: string) => (await t.upload(name, data, { tenant })).assetId;

  beforeAll(async () => {
    t = await createTestKernel({ plugins: [filtersStub, pluginDir] });
    const group = await facesScene(1600, 900, [
      { x: 100, y: 300, size: 200 },
      { x: 700, y: 250, size: 200 },
      { x: 1250, y: 320, size: 200 },
    ]);
    groupId = await upload("group.jpg", group.image);
  });
  afterAll(() => t?.close());

  test("starts, with its migration and its masks contributed to filters.mask", async () => {
    expect(t.kernel.plugins().find((p) => p.id === "face")?.state).toBe("started");
    const res = await t.inject({ method: "GET", url: "/api/p/filters/v1/masks" });
    expect(res.json().masks).toEqual(["face/faces", "face/skin", "face/eyes", "face/mouth", "face/lips", "face/teeth", "face/person", "face/hair"]);
  });

  test("detecting before the models were fetched answers 409 KERNEL_MODEL_NOT_INSTALLED naming the fetch command; no job is queued", async () => {
    const res = await t.inject({ method: "POST", url: `/api/p/face/v1/assets/${groupId}/detect`, payload: { model: "back" } });
    expect(res.statusCode).toBe(409);
    expect(res.json().error).toMatchObject({ code: "KERNEL_MODEL_NOT_INSTALLED", message: expect.stringContaining("crealia models fetch blazeface-back") });
    const jobs = (await t.inject({ method: "GET", url: "/api/jobs?type=face.detect" })).json().jobs;
    expect(jobs).toEqual([]);
  });

  test("landmarks asked for need the face mesh: 409 naming it and its fetch command; no job is queued", async () => {
    await installModel(t, "blazeface-front");
    await installModel(t, "blazeface-back");
    const res = await t.inject({ method: "POST", url: `/api/p/face/v1/assets/${groupId}/detect`, payload: { landmarks: true } });
    expect(res.statusCode).toBe(409);
    expect(res.json().error).toMatchObject({
      code: "KERNEL_MODEL_NOT_INSTALLED",
      message: expect.stringContaining("crealia models fetch facemesh"),
      details: { modelId: "facemesh" },
    });
    expect((await t.inject({ method: "GET", url: "/api/jobs?type=face.detect" })).json().jobs).toEqual([]);
  });

  test("landmarks not asked for, mesh not fetched: BlazeFace alone (a caller that fetched only BlazeFace keeps working)", async () => {
    const res = await t.inject({ method: "POST", url: `/api/p/face/v1/assets/${groupId}/detect`, payload: {} });
    expect(res.statusCode, res.body).toBe(202);
    const job = await t.waitForJob(res.json().jobId);
    expect(job.status, JSON.stringify(job.error)).toBe("succeeded");
    expect(job.result).toMatchObject({ status: "detected", count: 3, landmarks: false });
    const result = job.result as { faces: { landmarks?: unknown }[]; runs: { model: string }[] };
    expect(result.faces.filter((f) => f.landmarks)).toEqual([]);
    expect(result.runs.map((r) => r.model)).toEqual(["blazeface-front", "blazeface-back"]);
  });

  test("once the mesh is fetched, landmarks by default: three faces in a job, each with 468 landmarks, stored for the asset version (REST and GraphQL)", async () => {
    await installModel(t, "facemesh");
    const res = await t.inject({ method: "POST", url: `/api/p/face/v1/assets/${groupId}/detect`, payload: {} });
    expect(res.statusCode, res.body).toBe(202);
    const job = await t.waitForJob(res.json().jobId);
    expect(job.status, JSON.stringify(job.error)).toBe("succeeded");
    expect(job.result).toMatchObject({ status: "detected", count: 3, version: 1, model: "auto", landmarks: true });
    const runs = (job.result as { runs: { model: string; device: string; fallback: string | null }[] }).runs;
    expect(runs.map((r) => [r.model, r.device])).toEqual([
      ["blazeface-front", "cpu"],
      ["blazeface-back", "cpu"],
      ["facemesh", "cpu"],
    ]);
    const faces = await t.inject({ method: "GET", url: `/api/p/face/v1/assets/${groupId}/faces` });
    expect(faces.statusCode).toBe(200);
    expect(faces.json()).toMatchObject({ version: 1, model: "auto", width: 1600, height: 900 });
    expect(faces.json().faces).toHaveLength(3);
    const gql = await t.graphql(`query($id: ID!) { faceDetection(assetId: $id) { version faces { score keypoints { name } landmarks { score points } } } }`, {
      id: groupId,
    });
    const gqlFaces = (gql.data as { faceDetection: { faces: { landmarks: { points: number[][] } }[] } }).faceDetection.faces;
    expect(gqlFaces).toHaveLength(3);
    for (const f of gqlFaces) expect(f.landmarks.points).toHaveLength(468);
  });

  test("a skin mask PNG from the stored detection", async () => {
    const res = await t.inject({ method: "GET", url: `/api/p/face/v1/assets/${groupId}/mask.png?kind=faces&width=800` });
    expect(res.statusCode).toBe(200);
    expect(res.headers["content-type"]).toBe("image/png");
    const meta = await sharp(res.rawPayload).metadata();
    expect([meta.width, meta.height]).toEqual([800, 450]);
  });

  test("retouch saves a new version; faces are smoothed, the background is not", async () => {
    const res = await t.inject({ method: "POST", url: `/api/p/face/v1/assets/${groupId}/retouch`, payload: { smoothing: 1, eyes: 0.5, teeth: 0.5 } });
    expect(res.statusCode, res.body).toBe(202);
    const job = await t.waitForJob(res.json().jobId);
    expect(job.status, JSON.stringify(job.error)).toBe("succeeded");
    expect(job.result).toMatchObject({ status: "retouched", fromVersion: 1, newVersion: 2, faces: 3 });
    expect((await t.waitForJob((job.result as { ingestJobId: string }).ingestJobId)).status).toBe("succeeded");
    const versions = (await t.inject({ method: "GET", url: `/api/assets/${groupId}/versions` })).json().versions;
    expect(versions.map((v: { source: string }) => v.source)).toEqual(["upload", "edit:face"]);
    const [v1, v2] = await Promise.all(
      [1, 2].map(async (v) =>
        sharp((await t.inject({ method: "GET", url: `/api/assets/${groupId}/files/original?version=${v}` })).rawPayload)
          .raw()
          .toBuffer(),
      ),
    );
    expect((v2 as Buffer).length).toBe((v1 as Buffer).length);
    // Mean difference per channel in a patch of a face's cheek vs a patch of background.
    const diff = (x0: number, y0: number) => {
      let sum = 0;
      for (let y = y0; y < y0 + 20; y++)
        for (let x = x0; x < x0 + 20; x++)
          for (let c = 0; c < 3; c++) sum += Math.abs(((v1 as Buffer)[(y * 1600 + x) * 3 + c] as number) - ((v2 as Buffer)[(y * 1600 + x) * 3 + c] as number));
      return sum / 1200;
    };
    expect(diff(780, 480)).toBeGreaterThan(diff(20, 20) + 0.3);
    expect(diff(20, 20)).toBeLessThan(1.5); // JPEG re-encoding only
  });

  test("filters builds a face mask through the extension point, detecting on the pixels it is given", async () => {
    const { image, faces } = await facesScene(480, 640, [{ x: 90, y: 80, size: 300 }]);
    const res = await t.inject({ method: "POST", url: "/api/p/filters/v1/masks/build", payload: { provider: "face/faces", image: image.toString("base64") } });
    expect(res.statusCode, res.body).toBe(200);
    const mask = Buffer.from(res.json().mask, "base64");
    expect(mask.length).toBe(480 * 640);
    const f = faces[0] as { x: number; y: number; width: number; height: number };
    const centre = Math.round(f.y + f.height / 2) * 480 + Math.round(f.x + f.width / 2);
    expect(mask[centre]).toBe(255);
    expect(mask[10 * 480 + 10]).toBe(0);
  });

  test("filters builds person and hair masks through the extension point once `selfie` is fetched; before, the kernel's 409 names it", async () => {
    const { image, person, hair } = await personScene(640, 660, { x: 120, y: 60, size: 400, seed: 0 });
    const build = (provider: string) =>
      t.inject({ method: "POST", url: "/api/p/filters/v1/masks/build", payload: { provider, image: image.toString("base64") } });
    const missing = await build("face/person");
    expect(missing.statusCode).toBe(409);
    expect(missing.json().error).toMatchObject({
      code: "KERNEL_MODEL_NOT_INSTALLED",
      message: expect.stringMatching(/^model "selfie" failed verification: .*crealia models fetch selfie/),
    });

    await installModel(t, "selfie");
    const overlap = (a: Uint8Array, b: Uint8Array) => {
      let inter = 0;
      let union = 0;
      for (let i = 0; i < a.length; i++) {
        if ((a[i] as number) > 128 && (b[i] as number) > 128) inter++;
        if ((a[i] as number) > 128 || (b[i] as number) > 128) union++;
      }
      return inter / union;
    };
    const res = await build("face/person");
    expect(res.statusCode, res.body).toBe(200);
    const mask = new Uint8Array(Buffer.from(res.json().mask, "base64"));
    expect(mask.length).toBe(640 * 660);
    expect(overlap(mask, person)).toBeGreaterThanOrEqual(0.8);
    const hairRes = await build("face/hair");
    expect(hairRes.statusCode, hairRes.body).toBe(200);
    expect(overlap(new Uint8Array(Buffer.from(hairRes.json().mask, "base64")), hair)).toBeGreaterThanOrEqual(0.5);
  });

  test("a photo without faces gives an empty result, and retouch leaves it alone", async () => {
    const id = await upload("empty.jpg", (await facesScene(320, 240, [])).image);
    const job = await t.waitForJob((await t.inject({ method: "POST", url: `/api/p/face/v1/assets/${id}/detect`, payload: { model: "front" } })).json().jobId);
    expect(job.result).toMatchObject({ status: "detected", count: 0, faces: [] });
    const rt = await t.waitForJob((await t.inject({ method: "POST", url: `/api/p/face/v1/assets/${id}/retouch`, payload: {} })).json().jobId);
    expect(rt.result).toMatchObject({ status: "no-faces", newVersion: null });
  });

  test("a batch retouch: one parent job, a child per photo (a photo without faces is left alone); an unknown photo refuses the whole batch", async () => {
    const portrait = await upload("batch-portrait.jpg", (await facesScene(480, 640, [{ x: 90, y: 80, size: 300 }])).image);
    const empty = await upload("batch-empty.jpg", (await facesScene(320, 240, [])).image);
    const res = await t.inject({
      method: "POST",
      url: "/api/p/face/v1/batch/retouch",
      payload: { assetIds: [portrait, empty], smoothing: 0.8, blemishes: 0.5 },
    });
    expect(res.statusCode, res.body).toBe(202);
    const parent = await t.waitForJob(res.json().jobId, { timeoutMs: 60_000 });
    expect(parent).toMatchObject({ type: "kernel.batch", status: "succeeded", result: { total: 2, succeeded: 2, failed: 0 } });
    const [one, none] = await Promise.all((res.json().children as string[]).map((id) => t.waitForJob(id)));
    expect(one?.result).toMatchObject({ status: "retouched", assetId: portrait, newVersion: 2, faces: 1, params: { smoothing: 0.8, blemishes: 0.5 } });
    expect(none?.result).toMatchObject({ status: "no-faces", newVersion: null });

    const before = (await t.inject({ method: "GET", url: "/api/jobs?type=face.retouch&limit=100" })).json().jobs.length;
    const bad = await t.inject({
      method: "POST",
      url: "/api/p/face/v1/batch/retouch",
      payload: { assetIds: [portrait, "00000000-0000-4000-8000-000000000000"] },
    });
    expect(bad.statusCode).toBe(404);
    expect((await t.inject({ method: "GET", url: "/api/jobs?type=face.retouch&limit=100" })).json().jobs.length).toBe(before);
    expect((await t.inject({ method: "POST", url: "/api/p/face/v1/batch/retouch", payload: { assetIds: [] } })).statusCode).toBe(400);
  });

  test("other tenants see neither the asset nor its faces; bad input is refused at the edge", async () => {
    const other = await t.createTenant("face-other");
    const res = await t.inject({ method: "GET", url: `/api/p/face/v1/assets/${groupId}/faces`, tenant: other.id });
    expect(res.statusCode).toBe(404);
    expect(res.json().error.code).toBe("FACE_ASSET_NOT_FOUND");
    const bad = await t.inject({ method: "POST", url: `/api/p/face/v1/assets/${groupId}/retouch`, payload: { smoothing: 3 } });
    expect(bad.statusCode).toBe(400);
    const notYet = await t.inject({ method: "GET", url: `/api/p/face/v1/assets/${groupId}/faces?version=2` });
    expect(notYet.json().error.code).toBe("FACE_NOT_DETECTED");
  });
});
