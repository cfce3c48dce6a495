import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createTestKernel, type TestKernel } from "../../src/testing/index.js";
import { jpegWithExif, multipart, pngBomb, testAudio, testVideo } from "./media-fixtures.js";

let t: TestKernel;
const scratch = mkdtempSync(path.join(os.tmpdir(), "crealia-assets-"));

beforeAll(async () => {
  t = await createTestKernel({ plugins: [] });
});
afterAll(async () => {
  await t?.close();
  rmSync(scratch, { recursive: true, force: true });
});

const upload = (name: string, data: Buffer, fields: Record<string, string> = {}, tenant?: string) =>
  t.inject({ method: "POST", url: "/api/assets", ...multipart({ name, data }, fields), tenant });

async function uploadReady(name: string, data: Buffer, fields: Record<string, string> = {}) {
  const res = await upload(name, data, fields);
  expect(res.statusCode, res.body).toBe(201);
  const job = await t.waitForJob(res.json().jobId, { timeoutMs: 30_000 });
  expect(job.status, JSON.stringify(job.error)).toBe("succeeded");
  return (await t.inject({ method: "GET", url: `/api/assets/${res.json().asset.id}` })).json();
}

describe("ingest", () => {
  test("a photo: type from the bytes, EXIF metadata, thumbnails in WebP and AVIF", async () => {
    const asset = await uploadReady("holiday.jpg", await jpegWithExif(1600, 1200), { tags: "Beach, summer" });
    expect(asset).toMatchObject({ kind: "image", name: "holiday.jpg", status: "ready", currentVersion: 1, tags: ["beach", "summer"] });
    expect(asset.version).toMatchObject({ mime: "image/jpeg", width: 1600, height: 1200, metadata: { camera: { make: "Crealia", model: "TestCam 1" } } });
    expect(asset.capturedAt).toMatch(/^2026-05-01T/);
    expect(Object.keys(asset.version.derivatives).sort()).toEqual(["thumb-1024.webp", "thumb-256.avif", "thumb-256.webp"]);
    const thumb = await t.inject({ method: "GET", url: asset.urls.files["thumb-256.webp"] });
    expect(thumb.statusCode).toBe(200);
    expect(thumb.headers["content-type"]).toBe("image/webp");
    const meta = await sharp(thumb.rawPayload).metadata();
    expect([meta.width, meta.height]).toEqual([256, 192]);
    const original = await t.inject({ method: "GET", url: asset.urls.original });
    expect(original.rawPayload.length).toBe(asset.version.size);
  });

  test("a video: duration, codecs, fps from ffprobe; a 480p proxy, a poster and thumbnails", async () => {
    const asset = await uploadReady("clip.mov", await testVideo(scratch, 2));
    expect(asset.kind).toBe("video");
    expect(asset.version.width).toBe(640);
    expect(asset.version.durationMs).toBeGreaterThanOrEqual(1900);
    expect(asset.version.metadata).toMatchObject({ video: { codec: "h264", fps: 25 }, audio: { codec: "aac" } });
    expect(Object.keys(asset.version.derivatives)).toEqual(expect.arrayContaining(["proxy.mp4", "poster.jpg", "thumb-256.webp"]));
    const proxy = await t.inject({ method: "GET", url: asset.urls.files["proxy.mp4"] });
    expect(proxy.headers["content-type"]).toBe("video/mp4");
    expect(proxy.rawPayload.length).toBeGreaterThan(1000);
  });

  test("audio: duration and codec, no thumbnails", async () => {
    const asset = await uploadReady("tone.wav", await testAudio(scratch));
    expect(asset).toMatchObject({ kind: "audio", status: "ready" });
    expect(asset.version.durationMs).toBeGreaterThanOrEqual(900);
  });
});

describe("bad input gets a clear 4xx and leaves nothing behind", () => {
  const cases: [string, () => Promise<{ name: string; data: Buffer }>, number, string][] = [
    ["a corrupted JPEG", async () => ({ name: "broken.jpg", data: (await jpegWithExif(800, 600)).subarray(0, 3000) }), 422, "KERNEL_MEDIA_CORRUPT"],
    [
      "an SVG with a script named .jpg",
      async () => ({ name: "cat.jpg", data: Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>') }),
      415,
      "KERNEL_UNSUPPORTED_MEDIA",
    ],
    [
      "HTML named .jpg",
      async () => ({ name: "page.jpg", data: Buffer.from("<!doctype html><html><body><script>fetch('/x')</script></body></html>") }),
      415,
      "KERNEL_UNSUPPORTED_MEDIA",
    ],
    ["a 50 000 × 50 000 PNG bomb", async () => ({ name: "bomb.png", data: pngBomb() }), 413, "KERNEL_MEDIA_TOO_LARGE"],
    ["an empty file", async () => ({ name: "empty.jpg", data: Buffer.alloc(0) }), 400, "KERNEL_EMPTY_FILE"],
    ["a 0-byte video", async () => ({ name: "empty.mp4", data: Buffer.alloc(0) }), 400, "KERNEL_EMPTY_FILE"],
    ["a video cut short", async () => ({ name: "cut.mp4", data: (await testVideo(scratch, 1)).subarray(0, 600) }), 422, "KERNEL_MEDIA_CORRUPT"],
    ["a ../ in the file name", async () => ({ name: "../../etc/passwd.jpg", data: await jpegWithExif(64, 64) }), 400, "KERNEL_VALIDATION"],
  ];

  test.each(cases)("%s", async (_label, make, status, code) => {
    const before = (await t.inject({ method: "GET", url: "/api/assets?limit=200" })).json().assets.length;
    const file = await make();
    const res = await upload(file.name, file.data);
    expect(res.statusCode, res.body).toBe(status);
    expect(res.json().error.code).toBe(code);
    expect(res.json().error.message.length).toBeGreaterThan(10);
    expect((await t.inject({ method: "GET", url: "/api/assets?limit=200" })).json().assets.length).toBe(before);
    const tmp = path.join(t.kernel.assets.tmpDir);
    expect(readdirSync(tmp).filter((f) => f.startsWith("upload-"))).toEqual([]);
  });

  test("an upload over the size limit is refused and removed", async () => {
    const limits = t.kernel.assets.limits;
    const saved = limits.maxUploadBytes;
    limits.maxUploadBytes = 10_000;
    try {
      const res = await upload("big.jpg", await jpegWithExif(2000, 2000));
      expect(res.statusCode).toBe(413);
      expect(res.json().error.code).toBe("KERNEL_UPLOAD_TOO_LARGE");
    } finally {
      limits.maxUploadBytes = saved;
    }
  });

  test("a request without a file says what to send", async () => {
    const res = await t.inject({ method: "POST", url: "/api/assets", payload: { hello: 1 } });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.message).toMatch(/multipart\/form-data/);
  });
});

describe("library", () => {
  test("versions keep the original; tags, projects, search, filters, cursor pagination, trash and restore", async () => {
    const a = await uploadReady("sunset.jpg", await jpegWithExif(300, 200), { tags: "sky" });
    const b = await uploadReady("portrait.jpg", await jpegWithExif(200, 300), { tags: "people" });

    const edited = await t.inject({
      method: "POST",
      url: `/api/assets/${a.id}/versions`,
      ...multipart({ name: "sunset-edit.jpg", data: await jpegWithExif(320, 200) }),
    });
    expect(edited.statusCode, edited.body).toBe(201);
    expect(edited.json().version).toBe(2);
    await t.waitForJob(edited.json().jobId);
    const versions = (await t.inject({ method: "GET", url: `/api/assets/${a.id}/versions` })).json().versions;
    expect(versions.map((v: { version: number; width: number }) => [v.version, v.width])).toEqual([
      [1, 300],
      [2, 320],
    ]);
    const v1 = await t.inject({ method: "GET", url: `/api/assets/${a.id}/files/original?version=1` });
    expect((await sharp(v1.rawPayload).metadata()).width).toBe(300);
    expect((await t.inject({ method: "GET", url: `/api/assets/${a.id}` })).json().currentVersion).toBe(2);

    const project = (await t.inject({ method: "POST", url: "/api/projects", payload: { name: "Campaign", kind: "album" } })).json();
    await t.inject({ method: "POST", url: `/api/projects/${project.id}/assets`, payload: { assetIds: [b.id] } });
    const inProject = (await t.inject({ method: "GET", url: `/api/assets?projectId=${project.id}` })).json().assets;
    expect(inProject.map((x: { id: string }) => x.id)).toEqual([b.id]);
    expect((await t.inject({ method: "GET", url: "/api/assets?tag=sky" })).json().assets.map((x: { id: string }) => x.id)).toEqual([a.id]);
    expect((await t.inject({ method: "GET", url: "/api/assets?q=portr" })).json().assets.map((x: { id: string }) => x.id)).toEqual([b.id]);
    expect((await t.inject({ method: "GET", url: "/api/assets?q=peop" })).json().assets.map((x: { id: string }) => x.id)).toEqual([b.id]);
    const videos = (await t.inject({ method: "GET", url: "/api/assets?kind=video" })).json().assets;
    expect(videos.every((x: { kind: string }) => x.kind === "video")).toBe(true);

    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { assets: { id: string }[]; nextCursor: string | null } = (
        await t.inject({ method: "GET", url: `/api/assets?limit=2${cursor ? `&cursor=${cursor}` : ""}` })
      ).json();
      seen.push(...page.assets.map((x: { id: string }) => x.id));
      cursor = page.nextCursor;
    } while (cursor);
    const all = (await t.inject({ method: "GET", url: "/api/assets?limit=200" })).json().assets.map((x: { id: string }) => x.id);
    expect(seen).toEqual(all);
    expect(new Set(seen).size).toBe(seen.length);

    expect((await t.inject({ method: "DELETE", url: `/api/assets/${a.id}` })).statusCode).toBe(204);
    expect((await t.inject({ method: "GET", url: `/api/assets/${a.id}` })).statusCode).toBe(404);
    expect((await t.inject({ method: "GET", url: "/api/assets?deleted=true" })).json().assets.map((x: { id: string }) => x.id)).toEqual([a.id]);
    expect((await t.inject({ method: "POST", url: `/api/assets/${a.id}/restore` })).json().id).toBe(a.id);

    const patched = await t.inject({ method: "PATCH", url: `/api/assets/${b.id}`, payload: { name: "Anna", tags: ["people", "Studio"] } });
    expect(patched.json()).toMatchObject({ name: "Anna", tags: ["people", "studio"] });

    expect((await t.inject({ method: "DELETE", url: `/api/assets/${b.id}?purge=true` })).statusCode).toBe(204);
    expect((await t.inject({ method: "GET", url: "/api/assets?deleted=true" })).json().assets).toEqual([]);
  });

  test("another tenant sees none of it", async () => {
    const mine = await uploadReady("mine.jpg", await jpegWithExif(100, 100));
    const other = await t.createTenant("assets-other");
    expect((await t.inject({ method: "GET", url: `/api/assets/${mine.id}`, tenant: other.id })).statusCode).toBe(404);
    expect((await t.inject({ method: "GET", url: mine.urls.original, tenant: other.id })).statusCode).toBe(404);
    expect((await t.inject({ method: "GET", url: "/api/assets", tenant: other.id })).json().assets).toEqual([]);
    expect((await t.inject({ method: "DELETE", url: `/api/assets/${mine.id}`, tenant: other.id })).statusCode).toBe(404);
  });
});
