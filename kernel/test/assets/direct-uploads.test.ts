import { randomBytes } from "node:crypto";
import { readdirSync } from "node:fs";
import { connect } from "node:net";
import sharp from "sharp";
import { afterAll, beforeAll, expect, test } from "vitest";
import { DirectUploads } from "../../src/assets/direct-uploads.js";
import { createTestKernel, type TestKernel } from "../../src/testing/index.js";
import { jpegWithExif } from "./media-fixtures.js";

let t: TestKernel;
let base: string;
const MiB = 1024 * 1024;

beforeAll(async () => {
  t = await createTestKernel({ plugins: [] });
  base = await t.kernel.app.listen({ port: 0, host: "127.0.0.1" });
});
afterAll(() => t?.close());

const assetCount = async () => (await t.inject({ method: "GET", url: "/api/assets?limit=200" })).json().assets.length;
const stagedBlobs = async () => (await t.kernel.assets.blobsForTest().list(`tenants/${t.defaultTenant.id}/uploads`)).length;

test("a presigned PUT, then complete, makes the asset", async () => {
  const data = await jpegWithExif(400, 300);
  const started = await t.inject({ method: "POST", url: "/api/assets/uploads", payload: { name: "direct.jpg", size: data.length, contentType: "image/jpeg" } });
  expect(started.statusCode, started.body).toBe(201);
  const { id, put } = started.json();
  const sent = await fetch(new URL(put.url, base), { method: put.method, headers: put.headers, body: new Uint8Array(data) });
  expect(sent.status).toBeLessThan(300);
  const done = await t.inject({ method: "POST", url: `/api/assets/uploads/${id}/complete` });
  expect(done.statusCode, done.body).toBe(201);
  expect((await t.waitForJob(done.json().jobId)).status).toBe("succeeded");
  expect(done.json().asset).toMatchObject({ name: "direct.jpg", kind: "image" });
  expect((await t.inject({ method: "GET", url: `/api/assets/uploads/${id}` })).json()).toMatchObject({ status: "completed", assetId: done.json().asset.id });
  expect(await stagedBlobs()).toBe(0);
});

test("a resumable upload: parts survive a cut, the client asks what arrived and sends the rest", async () => {
  const uploads = new DirectUploads(t.kernel.database.knex, t.kernel.assets.blobsForTest(), t.kernel.assets, { singlePutLimit: MiB, partSize: 5 * MiB });
  const noise = await sharp({ create: { width: 3800, height: 3000, channels: 3, background: "#000", noise: { type: "gaussian", mean: 128, sigma: 60 } } })
    .jpeg({ quality: 98 })
    .toBuffer();
  expect(noise.length).toBeGreaterThan(10 * MiB);
  const session = await uploads.start(t.defaultTenant.id, null, { name: "big.jpg", size: noise.length, contentType: "image/jpeg" });
  const count = session.multipart?.partCount ?? 0;
  expect(count).toBeGreaterThanOrEqual(3);
  const sendPart = async (n: number) => {
    const [part] = await uploads.partUrls(t.defaultTenant.id, session.id, [n]);
    if (!part) throw new Error(`no URL for part ${n}`);
    const { request } = part;
    const res = await fetch(new URL(request.url, base), {
      method: request.method,
      headers: request.headers,
      body: noise.subarray((n - 1) * 5 * MiB, n * 5 * MiB),
    });
    expect(res.status).toBeLessThan(300);
  };
  await sendPart(1);
  // The connection drops; completing now refuses and keeps what arrived.
  await expect(uploads.complete(t.defaultTenant.id, session.id)).rejects.toThrow(/only \d+ of \d+ bytes arrived/);
  const resumed = await uploads.describe(t.defaultTenant.id, session.id);
  expect(resumed.multipart?.uploadedParts).toEqual([1]);
  for (let n = 2; n <= count; n++) if (!resumed.multipart?.uploadedParts.includes(n)) await sendPart(n);
  const { asset, job } = await uploads.complete(t.defaultTenant.id, session.id);
  expect((await t.waitForJob(job.id, { timeoutMs: 30_000 })).status).toBe("succeeded");
  const original = await t.inject({ method: "GET", url: `/api/assets/${asset.id}/files/original` });
  expect(Buffer.compare(original.rawPayload, noise)).toBe(0);
});

test("an abandoned upload leaves no asset and no staged bytes; a non-media upload is refused at complete", async () => {
  const before = await assetCount();
  const started = (await t.inject({ method: "POST", url: "/api/assets/uploads", payload: { name: "x.jpg", size: 2000, contentType: "image/jpeg" } })).json();
  await fetch(new URL(started.put.url, base), { method: "PUT", headers: started.put.headers, body: new Uint8Array(randomBytes(2000)) });
  const refused = await t.inject({ method: "POST", url: `/api/assets/uploads/${started.id}/complete` });
  expect(refused.statusCode).toBe(415);
  expect((await t.inject({ method: "GET", url: `/api/assets/uploads/${started.id}` })).json().status).toBe("aborted");

  const other = (await t.inject({ method: "POST", url: "/api/assets/uploads", payload: { name: "y.jpg", size: 2000, contentType: "image/jpeg" } })).json();
  await fetch(new URL(other.put.url, base), {
    method: "PUT",
    headers: other.put.headers,
    body: new Uint8Array((await jpegWithExif(30, 30)).subarray(0, 500)),
  }).catch(() => {});
  expect((await t.inject({ method: "DELETE", url: `/api/assets/uploads/${other.id}` })).statusCode).toBe(204);
  expect(await assetCount()).toBe(before);
  expect(await stagedBlobs()).toBe(0);
  const bad = await t.inject({ method: "POST", url: "/api/assets/uploads", payload: { name: "../etc/passwd", size: 10, contentType: "image/jpeg" } });
  expect(bad.statusCode).toBe(400);
  const huge = await t.inject({ method: "POST", url: "/api/assets/uploads", payload: { name: "huge.mp4", size: 10 * 1024 ** 4, contentType: "video/mp4" } });
  expect(huge.json().error.code).toBe("KERNEL_UPLOAD_TOO_LARGE");
});

test("a 100 MB multipart upload cut off half-way leaves no half asset and no temp file", async () => {
  const before = await assetCount();
  const boundary = "----crealiacut";
  const head = Buffer.from(`--${boundary}\r\ncontent-disposition: form-data; name="file"; filename="big.mp4"\r\ncontent-type: video/mp4\r\n\r\n`);
  const total = 100 * MiB;
  const url = new URL("/api/assets", base);
  await new Promise<void>((resolve) => {
    const socket = connect(Number(url.port), url.hostname, () => {
      socket.write(
        `POST /api/assets HTTP/1.1\r\nhost: ${url.host}\r\ncontent-type: multipart/form-data; boundary=${boundary}\r\ncontent-length: ${total + head.length + 64}\r\n\r\n`,
      );
      socket.write(head);
      const chunk = randomBytes(MiB);
      let sent = 0;
      const pump = () => {
        while (sent < total / 2) {
          sent += chunk.length;
          if (!socket.write(chunk)) return socket.once("drain", pump);
        }
        setTimeout(() => {
          socket.destroy();
          resolve();
        }, 100);
      };
      pump();
    });
    socket.on("error", () => resolve());
  });
  const tmp = t.kernel.assets.tmpDir;
  for (let i = 0; i < 100 && readdirSync(tmp).some((f) => f.startsWith("upload-")); i++) await new Promise((r) => setTimeout(r, 20));
  expect(readdirSync(tmp).filter((f) => f.startsWith("upload-"))).toEqual([]);
  expect(await assetCount()).toBe(before);
  const blobs = await t.kernel.assets.blobsForTest().list(`tenants/${t.defaultTenant.id}/assets`);
  const assetIds = new Set((await t.inject({ method: "GET", url: "/api/assets?limit=200" })).json().assets.map((a: { id: string }) => a.id));
  expect(blobs.filter((b) => !assetIds.has(b.key.split("/")[3]))).toEqual([]);
}, 60_000);
