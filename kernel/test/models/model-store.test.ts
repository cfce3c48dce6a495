import { randomBytes } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { Readable } from "node:stream";
import { describe, expect, test } from "vitest";
import { ModelStore } from "../../src/models/model-store.js";
import { ModelRegistry } from "../../src/models/registry.js";
import type { ModelManifest } from "../../src/sdk/model-manifest.js";
import { fakeNpm, manifestFor, sha256, tempDir, writeManifests } from "./helpers.js";

function setup(manifests: ModelManifest[], options: Partial<ConstructorParameters<typeof ModelStore>[0]> = {}) {
  const root = tempDir("models");
  const dir = path.join(root, "manifests");
  writeManifests(dir, manifests);
  const registry = new ModelRegistry(dir);
  expect(registry.invalid).toEqual([]);
  return { root, dir, store: new ModelStore({ registry, cacheDir: path.join(root, "cache"), ...options }) };
}

describe("ModelStore", () => {
  const weights = randomBytes(70_000);

  test("loading before a fetch is KERNEL_MODEL_NOT_INSTALLED, naming the model and the fetch command; nothing is downloaded", async () => {
    const calls: string[][] = [];
    const { store } = setup([manifestFor("face", weights)], { npm: fakeNpm({}, calls) });
    const err = await store.load("face").catch((e) => e);
    expect(err).toMatchObject({ code: "KERNEL_MODEL_NOT_INSTALLED", status: 409 });
    expect(err.message).toContain('model "face" 1.0.0 is not installed');
    expect(err.message).toContain("crealia models fetch face");
    expect(err.details).toMatchObject({ modelId: "face", fetch: "crealia models fetch face" });
    expect(calls).toEqual([]);
    expect((await store.status("face")).state).toBe("missing");
  });

  test("fetches a file out of an npm tarball (long pax paths too) into <cache>/<id>/<version>/<file> and loads it", async () => {
    const longPath = `${"deep/".repeat(60)}weights.onnx`; // over 255 characters: only a pax record can hold it
    const calls: string[][] = [];
    const m = manifestFor("face", weights, { source: { kind: "npm", package: "@test/weights", version: "1.0.0", path: longPath } });
    const { store, root } = setup([m], { npm: fakeNpm({ "@test/weights@1.0.0": { [longPath]: weights, "other.bin": randomBytes(10) } }, calls) });
    const result = await store.fetch("face");
    expect(result).toMatchObject({ fetched: true, path: path.join(root, "cache", "face", "1.0.0", "face.onnx") });
    expect(calls[0]?.slice(0, 4)).toEqual(["pack", "@test/weights@1.0.0", "--pack-destination", expect.any(String)]);
    expect(readdirSync(path.join(root, "cache"))).toEqual(["face"]); // the work folder is gone
    const loaded = await store.load("face");
    expect(sha256(loaded.bytes)).toBe(m.sha256);
    expect((await store.status("face")).state).toBe("installed");
    // Fetching again keeps the verified file.
    expect((await store.fetch("face")).fetched).toBe(false);
    expect(calls).toHaveLength(1);
  });

  test("assembles a model shipped in parts, in the manifest's order", async () => {
    const parts = [weights.subarray(0, 30_000), weights.subarray(30_000, 60_000), weights.subarray(60_000)];
    const m = manifestFor("seg", weights, { source: { kind: "npm", package: "chunked", version: "2.0.0", parts: ["dist/c", "dist/a", "dist/b"] } });
    const { store } = setup([m], {
      npm: fakeNpm({ "chunked@2.0.0": { "dist/a": parts[1] as Uint8Array, "dist/b": parts[2] as Uint8Array, "dist/c": parts[0] as Uint8Array } }),
    });
    await store.fetch("seg");
    expect(Buffer.compare((await store.load("seg")).bytes, weights)).toBe(0);
  });

  test("a source whose sha256 differs is refused on fetch and nothing is installed", async () => {
    const m = manifestFor("face", weights);
    const { store } = setup([m], { npm: fakeNpm({ "@test/weights@1.0.0": { "models/face.onnx": randomBytes(weights.length) } }) });
    const err = await store.fetch("face").catch((e) => e);
    expect(err).toMatchObject({ code: "KERNEL_MODEL_CHECKSUM", status: 500, details: { expected: m.sha256 } });
    expect(err.message).toContain("nothing was installed");
    expect((await store.status("face")).state).toBe("missing");
  });

  test("a cached file whose sha256 differs is refused on load; fetch --force replaces it", async () => {
    const m = manifestFor("face", weights);
    const { store } = setup([m], { npm: fakeNpm({ "@test/weights@1.0.0": { "models/face.onnx": weights } }) });
    const { path: file } = await store.fetch("face");
    const tampered = Buffer.from(weights);
    tampered[100] = (tampered[100] as number) ^ 0xff;
    writeFileSync(file, tampered);
    const err = await store.load("face").catch((e) => e);
    expect(err).toMatchObject({ code: "KERNEL_MODEL_CHECKSUM", status: 500 });
    expect(err.message).toContain("refusing to load it");
    expect(err.message).toContain("crealia models fetch face --force");
    expect((await store.status("face")).state).toBe("corrupt");
    await store.fetch("face"); // not forced, but the file is corrupt: fetched again
    expect(sha256(readFileSync(file))).toBe(m.sha256);
  });

  test("a package without the file is KERNEL_MODEL_FETCH, and so is a failing npm", async () => {
    const { store } = setup(
      [manifestFor("face", weights), manifestFor("gone", weights, { source: { kind: "npm", package: "nope", version: "1.0.0", path: "x" } })],
      {
        npm: fakeNpm({ "@test/weights@1.0.0": { "models/other.onnx": weights } }),
      },
    );
    await expect(store.fetch("face")).rejects.toMatchObject({
      code: "KERNEL_MODEL_FETCH",
      status: 502,
      message: expect.stringContaining('has no "models/face.onnx"'),
    });
    await expect(store.fetch("gone")).rejects.toMatchObject({ code: "KERNEL_MODEL_FETCH", message: expect.stringContaining("404") });
  });

  test("a local source is loaded in place, relative to its manifest, and checked like the others", async () => {
    const m = manifestFor("local-model", weights, { source: { kind: "local", path: "../weights/local.onnx" } });
    const { store, root } = setup([m]);
    await expect(store.load("local-model")).rejects.toMatchObject({ code: "KERNEL_MODEL_NOT_INSTALLED", message: expect.stringContaining("local source") });
    mkdirSync(path.join(root, "weights"));
    writeFileSync(path.join(root, "weights", "local.onnx"), weights);
    expect((await store.fetch("local-model")).fetched).toBe(false);
    expect((await store.load("local-model")).path).toBe(path.join(root, "weights", "local.onnx"));
    writeFileSync(path.join(root, "weights", "local.onnx"), randomBytes(weights.length));
    await expect(store.load("local-model")).rejects.toMatchObject({ code: "KERNEL_MODEL_CHECKSUM" });
  });

  test("s3 sources come through the blob store passed in; https only through an explicit fetch", async () => {
    const fetched: string[] = [];
    const { store } = setup(
      [
        manifestFor("from-blob", weights, { source: { kind: "s3", key: "models/from-blob.onnx" } }),
        manifestFor("from-web", weights, { source: { kind: "https", url: "https://models.example/from-web.onnx" } }),
      ],
      {
        blobs: {
          get: async (key) =>
            key === "models/from-blob.onnx" ? Readable.from([weights.subarray(0, 1000), weights.subarray(1000)]) : Promise.reject(new Error("no such key")),
        },
        fetch: (async (url: string) => {
          fetched.push(url);
          return new Response(weights);
        }) as typeof fetch,
      },
    );
    await expect(store.load("from-web")).rejects.toMatchObject({ code: "KERNEL_MODEL_NOT_INSTALLED" });
    expect(fetched).toEqual([]);
    await store.fetch("from-web");
    expect(fetched).toEqual(["https://models.example/from-web.onnx"]);
    await store.fetch("from-blob");
    expect(sha256((await store.load("from-blob")).bytes)).toBe(sha256(weights));
    expect(sha256((await store.load("from-web")).bytes)).toBe(sha256(weights));
  });
});
