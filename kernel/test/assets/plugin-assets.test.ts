import sharp from "sharp";
import { afterAll, beforeAll, expect, test } from "vitest";
import { createTestKernel, type TestKernel } from "../../src/testing/index.js";
import { fixture } from "../fixtures.js";
import { jpegWithExif, multipart } from "./media-fixtures.js";

let t: TestKernel;
beforeAll(async () => {
  t = await createTestKernel({ plugins: [fixture("asset-editor"), fixture("snoop"), fixture("full")] });
});
afterAll(() => t?.close());

test("a plugin edits an asset through ctx.assets: a new version, the original untouched", async () => {
  const up = await t.inject({ method: "POST", url: "/api/assets", ...multipart({ name: "a.jpg", data: await jpegWithExif(120, 80) }) });
  const id = up.json().asset.id;
  await t.waitForJob(up.json().jobId);
  const edit = await t.inject({ method: "POST", url: `/api/p/fixture-asset-editor/v1/negate/${id}` });
  expect(edit.statusCode, edit.body).toBe(201);
  expect(edit.json().version).toBe(2);
  expect((await t.waitForJob(edit.json().jobId)).status).toBe("succeeded");
  const versions = (await t.inject({ method: "GET", url: `/api/assets/${id}/versions` })).json().versions;
  expect(versions.map((v: { source: string }) => v.source)).toEqual(["upload", "edit:fixture-asset-editor"]);
  const v1 = (await t.inject({ method: "GET", url: `/api/assets/${id}/files/original?version=1` })).rawPayload;
  const v2 = (await t.inject({ method: "GET", url: `/api/assets/${id}/files/original?version=2` })).rawPayload;
  const [p1, p2] = await Promise.all([v1, v2].map((b) => sharp(b).raw().toBuffer()));
  expect((p1 as Buffer)[0]).toBeGreaterThan(150);
  expect((p2 as Buffer)[0]).toBeLessThan(100);
});

test("a plugin creates an asset from bytes it made", async () => {
  const res = await t.inject({ method: "POST", url: "/api/p/fixture-asset-editor/v1/render", payload: { name: "render.png" } });
  expect(res.statusCode, res.body).toBe(201);
  await t.waitForJob(res.json().jobId);
  const asset = (await t.inject({ method: "GET", url: `/api/assets/${res.json().assetId}` })).json();
  expect(asset).toMatchObject({ name: "render.png", kind: "image", status: "ready", version: { width: 64, source: "upload" } });
});

/** Repeats (some at once) of an edit and a render with one key each: the first result comes back every time. */
async function idempotentWrites(t: TestKernel) {
  const up = await t.inject({ method: "POST", url: "/api/assets", ...multipart({ name: "c.jpg", data: await jpegWithExif(60, 40) }) });
  const id = up.json().asset.id;
  await t.waitForJob(up.json().jobId);
  const edit = () => t.inject({ method: "POST", url: `/api/p/fixture-asset-editor/v1/negate/${id}?key=job-1` });
  const [a, b] = await Promise.all([edit(), edit()]);
  const c = await edit();
  expect([a, b, c].map((r) => r.json().version)).toEqual([2, 2, 2]);
  expect(new Set([a, b, c].map((r) => r.json().jobId)).size).toBe(1);
  const other = await t.inject({ method: "POST", url: `/api/p/fixture-asset-editor/v1/negate/${id}?key=job-2` });
  expect(other.json().version).toBe(3);
  const versions = (await t.inject({ method: "GET", url: `/api/assets/${id}/versions` })).json().versions;
  expect(versions).toHaveLength(3);

  const render = () => t.inject({ method: "POST", url: "/api/p/fixture-asset-editor/v1/render", payload: { name: "once.png", key: "render-1" } });
  const [r1, r2] = await Promise.all([render(), render()]);
  expect(r1.json().assetId).toBe(r2.json().assetId);
  expect((await render()).json().assetId).toBe(r1.json().assetId);
  const listed = (await t.inject({ method: "GET", url: "/api/assets?q=once" })).json().assets;
  expect(listed).toHaveLength(1);
}

test("with an idempotency key, a repeated addVersion or create (a retried job) gets the first result back: no duplicate", async () => {
  await idempotentWrites(t);
});

test("the same on Postgres, where concurrent repeats really race for the key", async () => {
  const pg = await createTestKernel({ plugins: [fixture("asset-editor")], database: "postgres" });
  try {
    await idempotentWrites(pg);
  } finally {
    await pg.close();
  }
});

test("ctx.assets refuses a plugin whose manifest does not ask for it, and other tenants' assets are invisible", async () => {
  const up = await t.inject({ method: "POST", url: "/api/assets", ...multipart({ name: "b.jpg", data: await jpegWithExif(50, 50) }) });
  const other = await t.createTenant("plugin-assets-other");
  const res = await t.inject({ method: "POST", url: `/api/p/fixture-asset-editor/v1/negate/${up.json().asset.id}`, tenant: other.id });
  expect(res.statusCode).toBe(404);
  const { createPluginAssets } = await import("../../src/assets/plugin-assets.js");
  const denied = createPluginAssets({ id: "nope", version: "1.0.0", kernel: "^1.0.0" }, () => t.kernel.assets);
  await expect(denied.get(t.defaultTenant.id, up.json().asset.id)).rejects.toThrow(/does not ask for "asset.read"/);
});
