/**
 * The plugin in a test kernel (PGlite, in-process jobs, temp storage): previews, exports, batch,
 * presets, LUTs, masks from another plugin, GraphQL and tenant isolation, through HTTP.
 */
import { createTestKernel, type TestKernel } from "@crealia/kernel/testing";
import exifr from "exifr";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { formatCube, identityCube } from "../src/render/color/cube.js";
import { API, decodeRaw, fixtureDir, jpegWithGps, mean, patches, photoJpeg, pluginDir, testCard, upload } from "./helpers.js";

sharp.concurrency(1);

let t: TestKernel;
let photo: string;
let photoBytes: Buffer;

beforeAll(async () => {
  t = await createTestKernel({ plugins: [pluginDir, fixtureDir("mask-plugin")] });
  photoBytes = await photoJpeg(2000, 1500);
  photo = await upload(t, photoBytes, "photo.jpg");
});
afterAll(() => t?.close());

const json = (res: { body: string }) => JSON.parse(res.body);

async function original(assetId: string, version = 1, tenant?: string): Promise<Buffer> {
  const res = await t.inject({ method: "GET", url: `/api/assets/${assetId}/files/original?version=${version}`, tenant });
  expect(res.statusCode).toBe(200);
  return res.rawPayload;
}

async function exportAndWait(assetId: string, options: object, tenant?: string) {
  const res = await t.inject({ method: "POST", url: `${API}/assets/${assetId}/export`, payload: { options }, tenant });
  expect(res.statusCode, res.body).toBe(202);
  const job = await t.waitForJob(res.json().jobId, { timeoutMs: 30_000 });
  expect(job.status, JSON.stringify(job.error)).toBe("succeeded");
  const result = job.result as {
    saveAs: string;
    assetId: string;
    version?: number;
    newAssetId?: string;
    ingestJobId: string;
    width: number;
    height: number;
    bytes: number;
  };
  await t.waitForJob(result.ingestJobId, { timeoutMs: 30_000 });
  const file = result.saveAs === "version" ? await original(assetId, result.version, tenant) : await original(result.newAssetId as string, 1, tenant);
  return { job, result, file };
}

describe("plugin", () => {
  test("starts with its routes, panel and mask providers", async () => {
    expect(t.kernel.plugins().find((p) => p.id === "filters")?.state).toBe("started");
    const schema = json(await t.inject({ method: "GET", url: `${API}/recipe-schema` }));
    expect(schema.params.basic.exposure).toMatchObject({ min: -5, max: 5, default: 0 });
    expect(schema.jsonSchema.properties.hsl.properties.aqua).toBeDefined();
    const masks = json(await t.inject({ method: "GET", url: `${API}/masks` }));
    expect(masks.providers.map((p: { id: string }) => p.id)).toEqual(["fixture-masks/left-half", "fixture-masks/bright", "fixture-masks/broken"]);
    const panels = json(await t.inject({ method: "GET", url: "/api/ui/panels" }));
    expect(panels.panels.find((p: { plugin: string }) => p.plugin === "filters")).toMatchObject({
      slot: "editor.tool",
      title: "Develop",
      url: "/plugins/filters/1.0.0/dist/ui/develop.js",
    });
  });
});

describe("recipes and history", () => {
  test("saves revisions, undoes and redoes server-side, and drops the redo branch on a new save", async () => {
    const id = await upload(t, await testCard(), "card.png");
    const url = `${API}/assets/${id}/recipe`;
    const first = json(await t.inject({ method: "GET", url }));
    expect(first).toMatchObject({ revision: 0, head: 0, canUndo: false, sourceVersion: 1 });
    const r1 = json(await t.inject({ method: "PUT", url, payload: { recipe: { basic: { exposure: 0.5 } }, label: "Exposure" } }));
    expect(r1).toMatchObject({ revision: 1, head: 1, canUndo: true, canRedo: false });
    expect(r1.recipe.basic.exposure).toBe(0.5);
    const r2 = json(
      await t.inject({ method: "PUT", url, payload: { recipe: { basic: { exposure: 0.5, contrast: 20 } }, label: "Contrast", baseRevision: 1 } }),
    );
    expect(r2.revision).toBe(2);
    const undone = json(await t.inject({ method: "POST", url: `${url}/undo` }));
    expect(undone).toMatchObject({ revision: 1, head: 2, canRedo: true });
    expect(undone.recipe.basic.contrast).toBe(0);
    const redone = json(await t.inject({ method: "POST", url: `${url}/redo` }));
    expect(redone.recipe.basic.contrast).toBe(20);
    await t.inject({ method: "POST", url: `${url}/undo` });
    await t.inject({ method: "POST", url: `${url}/undo` });
    const atZero = json(await t.inject({ method: "GET", url }));
    expect(atZero).toMatchObject({ revision: 0, canUndo: false });
    expect(atZero.recipe.basic.exposure).toBe(0);
    const nothing = await t.inject({ method: "POST", url: `${url}/undo` });
    expect(nothing.statusCode).toBe(409);
    expect(json(nothing).error.code).toBe("FILTERS_NOTHING_TO_UNDO");
    const branch = json(await t.inject({ method: "PUT", url, payload: { recipe: { presence: { vibrance: 10 } }, label: "Vibrance" } }));
    expect(branch).toMatchObject({ revision: 1, head: 1, canRedo: false });
    const history = json(await t.inject({ method: "GET", url: `${API}/assets/${id}/history` })).history;
    expect(history.map((h: { label: string }) => h.label)).toEqual(["Vibrance"]);
    const stale = await t.inject({ method: "PUT", url, payload: { recipe: {}, baseRevision: 0 } });
    expect(stale.statusCode).toBe(409);
    expect(json(stale).error.code).toBe("FILTERS_REVISION_CONFLICT");
    const reset = json(await t.inject({ method: "DELETE", url }));
    expect(reset.revision).toBe(2);
    expect(reset.recipe.presence.vibrance).toBe(0);
  });

  test("invalid recipes are clear 400s, on save and on preview", async () => {
    const res = await t.inject({ method: "PUT", url: `${API}/assets/${photo}/recipe`, payload: { recipe: { basic: { exposure: 9 }, hsl: { teal: {} } } } });
    expect(res.statusCode).toBe(400);
    const body = json(res);
    expect(body.error.code).toBe("FILTERS_INVALID_RECIPE");
    expect(body.error.message).toMatch(/\/basic\/exposure must be between -5 and 5 \(got 9\)/);
    expect(body.error.details.map((d: { path: string }) => d.path)).toEqual(["/basic/exposure", "/hsl/teal"]);
    const preview = await t.inject({ method: "POST", url: `${API}/assets/${photo}/preview`, payload: { recipe: { geometry: { rotate: 33 } } } });
    expect(preview.statusCode).toBe(400);
    expect(json(preview).error.details[0].path).toBe("/geometry/rotate");
    const newer = await t.inject({ method: "PUT", url: `${API}/assets/${photo}/recipe`, payload: { recipe: { version: 99 } } });
    expect(json(newer).error.code).toBe("FILTERS_RECIPE_VERSION");
    const shape = await t.inject({ method: "POST", url: `${API}/assets/${photo}/preview`, payload: { size: 10 } });
    expect(json(shape).error.code).toBe("KERNEL_VALIDATION");
    const missing = await t.inject({ method: "GET", url: `${API}/assets/${crypto.randomUUID()}/recipe` });
    expect(missing.statusCode).toBe(404);
    expect(json(missing).error.code).toBe("FILTERS_ASSET_NOT_FOUND");
  });
});

describe("preview", () => {
  test("renders at the requested size, as bytes or as JSON with a histogram, and keeps the decoded base between moves", async () => {
    const res = await t.inject({ method: "POST", url: `${API}/assets/${photo}/preview`, payload: { recipe: { basic: { exposure: 0.5 } }, size: 720 } });
    expect(res.statusCode).toBe(200);
    expect(res.headers["content-type"]).toBe("image/jpeg");
    const meta = await sharp(res.rawPayload).metadata();
    expect([meta.width, meta.height]).toEqual([720, 540]);
    const again = json(
      await t.inject({
        method: "POST",
        url: `${API}/assets/${photo}/preview`,
        headers: { accept: "application/json" },
        payload: { recipe: { basic: { exposure: 0.6 } }, size: 720 },
      }),
    );
    expect(again.image).toMatch(/^data:image\/jpeg;base64,/);
    expect(again.histogram.luma).toHaveLength(256);
    expect(again.timings.decode).toBeLessThan(5); // the base came from the cache
    const brighter = await decodeRaw(Buffer.from(again.image.split(",")[1], "base64"));
    const plain = await decodeRaw((await t.inject({ method: "POST", url: `${API}/assets/${photo}/preview`, payload: { size: 720 } })).rawPayload);
    expect(mean(Array.from(brighter.data))).toBeGreaterThan(mean(Array.from(plain.data)) + 10);
  });

  test("GET renders the saved recipe; a crop asks for more pixels of the photo", async () => {
    const id = await upload(t, await photoJpeg(1200, 800), "crop.jpg");
    await t.inject({ method: "PUT", url: `${API}/assets/${id}/recipe`, payload: { recipe: { geometry: { crop: { aspect: "1:1" } } } } });
    const res = await t.inject({ method: "GET", url: `${API}/assets/${id}/preview?size=400&format=webp` });
    expect(res.statusCode).toBe(200);
    expect(res.headers["content-type"]).toBe("image/webp");
    const meta = await sharp(res.rawPayload).metadata();
    expect([meta.width, meta.height]).toEqual([400, 400]);
  });

  test("masks from another plugin's filters.mask contribution drive local adjustments", async () => {
    const id = await upload(t, await patches([[128, 128, 128]], 200), "grey.png");
    const res = await t.inject({
      method: "POST",
      url: `${API}/assets/${id}/preview`,
      payload: {
        size: 200,
        format: "png",
        recipe: { local: [{ mask: { type: "extension", provider: "fixture-masks/left-half" }, adjustments: { exposure: -2 } }] },
      },
    });
    expect(res.statusCode, res.body).toBe(200);
    const px = await decodeRaw(res.rawPayload);
    expect(px.at(20, 100)[0]).toBeLessThan(80);
    expect(px.at(180, 100)[0]).toBe(128);
    const broken = await t.inject({
      method: "POST",
      url: `${API}/assets/${id}/preview`,
      payload: {
        size: 200,
        recipe: { local: [{ name: "Sky", mask: { type: "extension", provider: "fixture-masks/broken" }, adjustments: { exposure: -2 } }] },
      },
    });
    expect(broken.statusCode).toBe(200);
    expect(decodeURIComponent(String(broken.headers["x-filters-warnings"]))).toMatch(
      /"Sky" was skipped: mask provider "fixture-masks\/broken" returned 3 bytes/,
    );
  });

  test("auto-enhance brightens a dark photo and can save itself as a history step", async () => {
    const { data, info } = await sharp(await testCard())
      .linear(0.3, 0)
      .raw()
      .toBuffer({ resolveWithObject: true });
    const id = await upload(
      t,
      await sharp(data, { raw: { width: info.width, height: info.height, channels: 3 } })
        .png()
        .toBuffer(),
      "dark.png",
    );
    const dry = json(await t.inject({ method: "POST", url: `${API}/assets/${id}/auto`, payload: {} }));
    expect(dry.patch.basic.exposure).toBeGreaterThan(0.5);
    expect(dry.state).toBeNull();
    const applied = json(await t.inject({ method: "POST", url: `${API}/assets/${id}/auto`, payload: { apply: true } }));
    expect(applied.state).toMatchObject({ revision: 1 });
    expect(json(await t.inject({ method: "GET", url: `${API}/assets/${id}/history` })).history[0].label).toBe("Auto");
  });
});

describe("export", () => {
  test("a full-size export becomes a new version; the original stays untouched; exporting again does not compound", async () => {
    const bytes = await photoJpeg(600, 400);
    const id = await upload(t, bytes, "v.jpg");
    await t.inject({ method: "PUT", url: `${API}/assets/${id}/recipe`, payload: { recipe: { basic: { exposure: 1 } } } });
    const first = await exportAndWait(id, {});
    expect(first.result).toMatchObject({ saveAs: "version", version: 2, width: 600, height: 400, format: "jpeg" });
    expect((await original(id, 1)).equals(bytes)).toBe(true);
    const versions = json(await t.inject({ method: "GET", url: `/api/assets/${id}/versions` })).versions;
    expect(versions.map((v: { source: string }) => v.source)).toEqual(["upload", "edit:filters"]);
    const second = await exportAndWait(id, {});
    expect(second.result.version).toBe(3);
    const m1 = mean(Array.from((await decodeRaw(first.file)).data));
    const m2 = mean(Array.from((await decodeRaw(second.file)).data));
    expect(Math.abs(m1 - m2)).toBeLessThan(1);
    expect(json(await t.inject({ method: "GET", url: `${API}/assets/${id}/recipe` })).sourceVersion).toBe(1);
    // A save may point the recipe at another version on purpose; a version that does not exist is a 404.
    const moved = json(await t.inject({ method: "PUT", url: `${API}/assets/${id}/recipe`, payload: { recipe: {}, sourceVersion: 2 } }));
    expect(moved.sourceVersion).toBe(2);
    const bad = await t.inject({ method: "PUT", url: `${API}/assets/${id}/recipe`, payload: { recipe: {}, sourceVersion: 9 } });
    expect([bad.statusCode, json(bad).error.code]).toEqual([404, "FILTERS_ASSET_NOT_FOUND"]);
  });

  test("platform presets: Instagram 4:5 at 1080×1350, story 9:16, X 16:9, each a new asset under the byte limit", async () => {
    for (const [platform, w, h] of [
      ["instagram-portrait", 1080, 1350],
      ["instagram-story", 844, 1500],
      ["x-landscape", 1600, 900],
    ] as const) {
      const { result, file } = await exportAndWait(photo, { platform });
      expect(result, platform).toMatchObject({ saveAs: "asset", width: w, height: h });
      expect(result.bytes).toBeLessThan(5 * 1024 * 1024);
      const meta = await sharp(file).metadata();
      expect([meta.width, meta.height]).toEqual([w, h]);
    }
  });

  test("formats, long edge and the max-bytes search", async () => {
    for (const format of ["png", "webp", "avif", "tiff"] as const) {
      const { result, file } = await exportAndWait(photo, { format, longEdge: 320 });
      expect(result).toMatchObject({ width: 320, height: 240 });
      expect((await sharp(file).metadata()).format).toBe(format === "tiff" ? "tiff" : format === "avif" ? "heif" : format);
    }
    const big = await exportAndWait(photo, { format: "jpeg", quality: 100 });
    const small = await exportAndWait(photo, { format: "jpeg", quality: 100, maxBytes: Math.round(big.result.bytes / 4) });
    expect(small.result.bytes).toBeLessThanOrEqual(Math.round(big.result.bytes / 4));
    expect((small.job.result as { quality: number }).quality).toBeLessThan(100);
    const mp = await exportAndWait(photo, { megapixels: 0.5 });
    expect(mp.result.width * mp.result.height).toBeLessThanOrEqual(500_000);
  });

  test("colour management: Display P3 on request with its profile embedded, sRGB by default", async () => {
    const p3Icc = (
      await sharp(
        await sharp({ create: { width: 2, height: 2, channels: 3, background: "#888" } })
          .withIccProfile("p3")
          .png()
          .toBuffer(),
      ).metadata()
    ).icc;
    const srgbIcc = (
      await sharp(
        await sharp({ create: { width: 2, height: 2, channels: 3, background: "#888" } })
          .withIccProfile("srgb")
          .png()
          .toBuffer(),
      ).metadata()
    ).icc;
    const p3 = await exportAndWait(photo, { colorSpace: "p3", longEdge: 200 });
    expect((await sharp(p3.file).metadata()).icc?.equals(p3Icc as Buffer)).toBe(true);
    const srgb = await exportAndWait(photo, { longEdge: 200 });
    expect((await sharp(srgb.file).metadata()).icc?.equals(srgbIcc as Buffer)).toBe(true);
    // A P3 photo keeps its wide-gamut green in a P3 export; an sRGB export converts it (as libvips would).
    const raw = new Uint16Array(64 * 64 * 3);
    for (let i = 0; i < raw.length; i += 3) raw.set([0, 60000, 0], i);
    const p3Photo = await sharp(raw, { raw: { width: 64, height: 64, channels: 3 } })
      .withIccProfile("p3")
      .png()
      .toBuffer();
    const id = await upload(t, p3Photo, "p3.png");
    const wide = await decodeRaw((await exportAndWait(id, { colorSpace: "p3", format: "png", saveAs: "asset" })).file);
    const [wr, wg, wb] = wide.at(10, 10);
    expect([wr, Math.abs(wg - 233) <= 1, wb]).toEqual([0, true, 0]); // 60000 / 65535 of P3 green, untouched
    const narrow = await decodeRaw((await exportAndWait(id, { format: "png", saveAs: "asset" })).file);
    const libvips = await decodeRaw(await sharp(p3Photo).png().toBuffer());
    for (let c = 0; c < 3; c++) expect(Math.abs((narrow.at(10, 10)[c] as number) - (libvips.at(10, 10)[c] as number))).toBeLessThanOrEqual(2);
    expect(narrow.at(10, 10)).not.toEqual(wide.at(10, 10));
  });

  test("EXIF: camera data kept and GPS stripped by default; GPS kept on request; everything stripped on request", async () => {
    const id = await upload(t, await jpegWithGps(), "gps.jpg");
    const def = await exifr.parse((await exportAndWait(id, { saveAs: "asset" })).file, { gps: true });
    expect(def).toMatchObject({ Make: "Crealia", Model: "TestCam 2", FNumber: 2.8 });
    expect(def.latitude).toBeUndefined();
    const gps = await exifr.parse((await exportAndWait(id, { saveAs: "asset", exif: { keepGps: true } })).file, { gps: true });
    expect(gps.latitude).toBeCloseTo(48.8567, 3);
    const none = await exifr.parse((await exportAndWait(id, { saveAs: "asset", exif: { keep: false } })).file, { gps: true }).catch(() => undefined);
    expect(none?.Make).toBeUndefined();
  });

  test("bad export options are 400s before any job is made", async () => {
    const res = await t.inject({ method: "POST", url: `${API}/assets/${photo}/export`, payload: { options: { platform: "friendster" } } });
    expect(res.statusCode).toBe(400);
    expect(json(res).error.code).toBe("FILTERS_INVALID_OPTIONS");
  });
});

describe("batch and sync", () => {
  test("100 photos with one failing: one parent, 99 done, 1 reported with its reason", async () => {
    const small = await sharp({ create: { width: 48, height: 32, channels: 3, background: { r: 120, g: 100, b: 90 } } })
      .jpeg()
      .toBuffer();
    const ids: string[] = [];
    for (let i = 0; i < 99; i++) ids.push(await upload(t, small, `b${i}.jpg`));
    const missing = crypto.randomUUID();
    ids.splice(50, 0, missing);
    const res = await t.inject({ method: "POST", url: `${API}/batch`, payload: { assetIds: ids, presetId: "builtin:bw-classic" } });
    expect(res.statusCode, res.body).toBe(202);
    const body = json(res);
    expect(body.children).toHaveLength(100);
    const parent = await t.waitForJob(body.jobId, { timeoutMs: 120_000 });
    expect(parent.status).toBe("succeeded");
    expect(parent.progress).toBe(1);
    expect(parent.result).toEqual({ total: 100, succeeded: 99, failed: 1, cancelled: 0 });
    const failed = body.children.find((c: { assetId: string }) => c.assetId === missing);
    const child = await t.waitForJob(failed.jobId);
    expect(child.status).toBe("failed");
    expect(child.attempts).toBe(1);
    expect(child.error).toMatchObject({ code: "FILTERS_ASSET_NOT_FOUND" });
    const r = json(await t.inject({ method: "GET", url: `${API}/assets/${ids[0]}/recipe` }));
    expect(r.recipe.presence.saturation).toBe(-100);
    expect(json(await t.inject({ method: "GET", url: `${API}/assets/${ids[0]}/history` })).history[0].label).toBe("Preset: B&W classic");
  }, 180_000);

  test("a batch can export each photo; sync copies chosen groups of one photo's settings to others", async () => {
    const a = await upload(t, await photoJpeg(300, 200), "a.jpg");
    const b = await upload(t, await photoJpeg(300, 200), "b.jpg");
    const c = await upload(t, await photoJpeg(300, 200), "c.jpg");
    const res = json(
      await t.inject({ method: "POST", url: `${API}/batch`, payload: { assetIds: [a, b], recipe: { basic: { exposure: 0.3 } }, export: { longEdge: 100 } } }),
    );
    await t.waitForJob(res.jobId, { timeoutMs: 30_000 });
    for (const child of res.children) {
      const job = await t.waitForJob(child.jobId);
      expect(job.status).toBe("succeeded");
      expect((job.result as { export: { width: number; newAssetId: string } }).export).toMatchObject({ width: 100 });
    }
    await t.inject({
      method: "PUT",
      url: `${API}/assets/${a}/recipe`,
      payload: { recipe: { basic: { temperature: 30, exposure: 1 }, geometry: { rotate: 90 } } },
    });
    const sync = json(await t.inject({ method: "POST", url: `${API}/assets/${a}/sync`, payload: { targets: [b, c], groups: ["whiteBalance"] } }));
    expect((await t.waitForJob(sync.jobId)).result).toMatchObject({ succeeded: 2 });
    const rb = json(await t.inject({ method: "GET", url: `${API}/assets/${b}/recipe` })).recipe;
    expect(rb.basic).toMatchObject({ temperature: 30, exposure: 0.3 });
    expect(rb.geometry.rotate).toBe(0);
    const syncAll = json(await t.inject({ method: "POST", url: `${API}/assets/${a}/sync`, payload: { targets: [c] } }));
    await t.waitForJob(syncAll.jobId);
    const rc = json(await t.inject({ method: "GET", url: `${API}/assets/${c}/recipe` })).recipe;
    expect(rc.basic.exposure).toBe(1);
    expect(rc.geometry.rotate).toBe(0); // geometry is not synced unless asked
  });
});

describe("presets and LUTs", () => {
  test("built-in and user presets: create, rename, duplicate names, delete; built-ins cannot change", async () => {
    const list = json(await t.inject({ method: "GET", url: `${API}/presets` }));
    expect(list.presets.filter((p: { builtIn: boolean }) => p.builtIn).length).toBeGreaterThanOrEqual(12);
    const created = await t.inject({
      method: "POST",
      url: `${API}/presets`,
      payload: { name: "Golden", recipe: { basic: { temperature: 25 } }, group: "Mine" },
    });
    expect(created.statusCode, created.body).toBe(201);
    const p = json(created);
    expect(p).toMatchObject({ name: "Golden", group: "Mine", builtIn: false, recipe: { basic: { temperature: 25 } } });
    expect((await t.inject({ method: "POST", url: `${API}/presets`, payload: { name: "Golden", recipe: {} } })).statusCode).toBe(409);
    const bad = await t.inject({ method: "POST", url: `${API}/presets`, payload: { name: "Bad", recipe: { basic: { tint: 500 } } } });
    expect(json(bad).error.code).toBe("FILTERS_INVALID_RECIPE");
    const renamed = json(await t.inject({ method: "PATCH", url: `${API}/presets/${p.id}`, payload: { name: "Golden hour" } }));
    expect(renamed.name).toBe("Golden hour");
    expect((await t.inject({ method: "PATCH", url: `${API}/presets/builtin:vivid`, payload: { name: "x" } })).statusCode).toBe(404);
    expect((await t.inject({ method: "DELETE", url: `${API}/presets/builtin:vivid` })).statusCode).toBe(404);
    const applied = json(await t.inject({ method: "POST", url: `${API}/assets/${photo}/recipe/preset`, payload: { presetId: p.id } }));
    expect(applied.recipe.basic.temperature).toBe(25);
    expect((await t.inject({ method: "DELETE", url: `${API}/presets/${p.id}` })).statusCode).toBe(204);
    expect((await t.inject({ method: "GET", url: `${API}/presets/${p.id}` })).statusCode).toBe(404);
  });

  test("LUTs: import a .cube once, use it in a recipe, export and import a preset that carries it", async () => {
    const cube = identityCube(9);
    for (let i = 0; i < cube.data.length; i += 3) cube.data[i] = Math.min(1, (cube.data[i] as number) * 1.2);
    const text = formatCube({ ...cube, title: "Warmer" });
    const res = await t.inject({ method: "POST", url: `${API}/luts`, payload: { name: "Warmer", cube: text } });
    expect(res.statusCode, res.body).toBe(201);
    const lut = json(res);
    expect(lut).toMatchObject({ name: "Warmer", kind: "3d", size: 9 });
    const again = await t.inject({ method: "POST", url: `${API}/luts`, payload: { name: "Same", cube: text } });
    expect([again.statusCode, json(again).id]).toEqual([200, lut.id]);
    const badCube = await t.inject({ method: "POST", url: `${API}/luts`, payload: { cube: "LUT_3D_SIZE 2\n1 2\n" } });
    expect(json(badCube).error).toMatchObject({ code: "FILTERS_INVALID_LUT" });
    expect(json(badCube).error.message).toMatch(/line 2/);

    const id = await upload(t, await patches([[100, 100, 100]], 32), "lut.png");
    const png = (await t.inject({ method: "POST", url: `${API}/assets/${id}/preview`, payload: { size: 32, format: "png", recipe: { lut: { id: lut.id } } } }))
      .rawPayload;
    const px = (await decodeRaw(png)).at(16, 16);
    expect(px[0]).toBeGreaterThan(112);
    expect(px[1]).toBe(100);
    const unknown = await t.inject({ method: "PUT", url: `${API}/assets/${id}/recipe`, payload: { recipe: { lut: { id: crypto.randomUUID() } } } });
    expect([unknown.statusCode, json(unknown).error.code]).toEqual([404, "FILTERS_LUT_NOT_FOUND"]);

    const preset = json(await t.inject({ method: "POST", url: `${API}/presets`, payload: { name: "With LUT", recipe: { lut: { id: lut.id, amount: 60 } } } }));
    const doc = json(await t.inject({ method: "GET", url: `${API}/presets/${preset.id}/export` }));
    expect(doc).toMatchObject({ schema: "crealia.filters.preset", version: 1, name: "With LUT" });
    expect(doc.luts[lut.id].cube).toMatch(/LUT_3D_SIZE 9/);
    const other = await t.createTenant("lut-importer");
    const imported = await t.inject({ method: "POST", url: `${API}/presets/import`, payload: doc, tenant: other.id });
    expect(imported.statusCode, imported.body).toBe(201);
    const theirs = json(imported);
    expect(theirs.recipe.lut.amount).toBe(60);
    expect(theirs.recipe.lut.id).not.toBe(lut.id);
    const luts = json(await t.inject({ method: "GET", url: `${API}/luts`, tenant: other.id })).luts;
    expect(luts.map((l: { id: string }) => l.id)).toEqual([theirs.recipe.lut.id]);
    const twice = json(await t.inject({ method: "POST", url: `${API}/presets/import?rename=true`, payload: doc, tenant: other.id }));
    expect(twice.name).toBe("With LUT (2)");
    const notAPreset = await t.inject({ method: "POST", url: `${API}/presets/import`, payload: { name: "x" } });
    expect(json(notAPreset).error.code).toBe("FILTERS_INVALID_PRESET");
  });
});

describe("tenants and GraphQL", () => {
  test("another tenant sees none of this tenant's assets, recipes, presets or LUTs; a disabled plugin answers 404", async () => {
    await t.inject({ method: "POST", url: `${API}/presets`, payload: { name: "Private look", recipe: { presence: { vibrance: 50 } } } });
    const other = await t.createTenant("filters-other");
    const presets = json(await t.inject({ method: "GET", url: `${API}/presets`, tenant: other.id })).presets;
    expect(presets.every((p: { builtIn: boolean }) => p.builtIn)).toBe(true);
    for (const req of [
      { method: "GET" as const, url: `${API}/assets/${photo}/recipe` },
      { method: "POST" as const, url: `${API}/assets/${photo}/preview`, payload: {} },
      { method: "POST" as const, url: `${API}/assets/${photo}/export`, payload: {} },
    ]) {
      const res = await t.inject({ ...req, tenant: other.id });
      expect(res.statusCode, req.url).toBe(404);
      expect(json(res).error.code).toBe("FILTERS_ASSET_NOT_FOUND");
    }
    const mine = json(await t.inject({ method: "GET", url: `${API}/presets` })).presets.find((p: { name: string }) => p.name === "Private look");
    expect((await t.inject({ method: "GET", url: `${API}/presets/${mine.id}`, tenant: other.id })).statusCode).toBe(404);
    expect((await t.inject({ method: "DELETE", url: `${API}/presets/${mine.id}`, tenant: other.id })).statusCode).toBe(404);
    const gql = await t.graphql("{ filtersPresets { name builtIn } }", {}, { tenant: other.id });
    expect((gql.data as { filtersPresets: { builtIn: boolean }[] }).filtersPresets.every((p) => p.builtIn)).toBe(true);
    await t.kernel.tenants.setEnabled(other.id, "filters", false);
    const off = await t.inject({ method: "GET", url: `${API}/presets`, tenant: other.id });
    expect([off.statusCode, json(off).error.code]).toEqual([404, "KERNEL_PLUGIN_DISABLED"]);
  });

  test("GraphQL: recipe, save, undo, presets, platforms, export and batch", async () => {
    const id = await upload(t, await testCard(), "gql.png");
    const saved = await t.graphql(
      `mutation($id: ID!) { filtersSaveRecipe(assetId: $id, recipe: { basic: { exposure: 0.7 } }, label: "gql") { revision recipe } }`,
      { id },
    );
    expect(saved.errors).toBeUndefined();
    expect(saved.data).toMatchObject({ filtersSaveRecipe: { revision: 1, recipe: { basic: { exposure: 0.7 } } } });
    const undone = await t.graphql(`mutation($id: ID!) { filtersUndo(assetId: $id) { revision canRedo } }`, { id });
    expect(undone.data).toEqual({ filtersUndo: { revision: 0, canRedo: true } });
    const q = await t.graphql(
      `query($id: ID!) { filtersRecipe(assetId: $id) { head } filtersPlatforms { id width height } filtersPresets { id } filtersMaskProviders { id } }`,
      { id },
    );
    const data = q.data as { filtersRecipe: { head: number }; filtersPlatforms: { id: string }[]; filtersPresets: unknown[]; filtersMaskProviders: unknown[] };
    expect(data.filtersRecipe.head).toBe(1);
    expect(data.filtersPlatforms.find((p) => p.id === "instagram-portrait")).toEqual({ id: "instagram-portrait", width: 1080, height: 1350 });
    expect(data.filtersPresets.length).toBeGreaterThanOrEqual(12);
    const bad = await t.graphql(`mutation($id: ID!) { filtersSaveRecipe(assetId: $id, recipe: { basic: { exposure: 70 } }) { revision } }`, { id });
    expect(bad.errors?.[0]?.message).toMatch(/exposure must be between -5 and 5/);
    const exp = await t.graphql(`mutation($id: ID!) { filtersExport(assetId: $id, options: { longEdge: 64 }) { id type status } }`, { id });
    const job = (exp.data as { filtersExport: { id: string; type: string } }).filtersExport;
    expect(job.type).toBe("filters.export");
    expect((await t.waitForJob(job.id)).status).toBe("succeeded");
    const b = await t.graphql(`mutation($ids: [ID!]!) { filtersBatch(assetIds: $ids, presetId: "builtin:matte") { job { id type } children { id } } }`, {
      ids: [id],
    });
    const batch = (b.data as { filtersBatch: { job: { id: string; type: string }; children: unknown[] } }).filtersBatch;
    expect(batch.job.type).toBe("kernel.batch");
    expect((await t.waitForJob(batch.job.id)).result).toMatchObject({ succeeded: 1 });
  });
});
