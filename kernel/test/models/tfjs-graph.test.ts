import { randomBytes } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, test } from "vitest";
import { validateModelManifest } from "../../src/models/manifest-schema.js";
import { ModelStore } from "../../src/models/model-store.js";
import { ModelRegistry } from "../../src/models/registry.js";
import { createTfjsSession } from "../../src/models/tfjs-session.js";
import type { ModelManifest } from "../../src/sdk/model-manifest.js";
import { fakeNpm, manifestFor, sha256, tempDir, writeManifests } from "./helpers.js";

/**
 * A real TensorFlow.js graph, written by hand: y = x · W + b (MatMul then BiasAdd), W and b in
 * two weight shards. Small enough to know the answer, real enough to go through tfjs-converter.
 */
function tinyGraph() {
  const w = new Float32Array([1, 2, 3, 4]); // [[1, 2], [3, 4]]
  const b = new Float32Array([10, 20]);
  const json = {
    format: "graph-model",
    generatedBy: "test",
    convertedBy: "test",
    modelTopology: {
      node: [
        { name: "x", op: "Placeholder", attr: { dtype: { type: "DT_FLOAT" }, shape: { shape: { dim: [{ size: "-1" }, { size: "2" }] } } } },
        {
          name: "w",
          op: "Const",
          attr: { dtype: { type: "DT_FLOAT" }, value: { tensor: { dtype: "DT_FLOAT", tensorShape: { dim: [{ size: "2" }, { size: "2" }] } } } },
        },
        { name: "b", op: "Const", attr: { dtype: { type: "DT_FLOAT" }, value: { tensor: { dtype: "DT_FLOAT", tensorShape: { dim: [{ size: "2" }] } } } } },
        { name: "mm", op: "MatMul", input: ["x", "w"], attr: { T: { type: "DT_FLOAT" }, transpose_a: { b: false }, transpose_b: { b: false } } },
        { name: "y", op: "BiasAdd", input: ["mm", "b"], attr: { T: { type: "DT_FLOAT" }, data_format: { s: "TkhXQw==" } } },
      ],
      library: {},
      versions: {},
    },
    weightsManifest: [
      { paths: ["w.bin"], weights: [{ name: "w", shape: [2, 2], dtype: "float32" }] },
      { paths: ["b.bin"], weights: [{ name: "b", shape: [2], dtype: "float32" }] },
    ],
  };
  return {
    json: Buffer.from(JSON.stringify(json)),
    w: Buffer.from(w.buffer),
    b: Buffer.from(b.buffer),
  };
}

function graphManifest(g: ReturnType<typeof tinyGraph>, overrides: Partial<ModelManifest> = {}): ModelManifest {
  return manifestFor("tiny", g.json, {
    format: "tfjs-graph",
    file: "model.json",
    files: [
      { name: "w.bin", sha256: sha256(g.w), size: g.w.length },
      { name: "b.bin", sha256: sha256(g.b), size: g.b.length },
    ],
    source: { kind: "npm", package: "@test/graphs", version: "1.0.0", path: "models/tiny/model.json" },
    inputs: [{ name: "x", dtype: "float32", shape: ["batch", 2] }],
    outputs: [{ name: "y", dtype: "float32", shape: ["batch", 2] }],
    ...overrides,
  });
}

function setup(manifests: ModelManifest[], options: Partial<ConstructorParameters<typeof ModelStore>[0]> = {}) {
  const root = tempDir("tfjs");
  writeManifests(path.join(root, "manifests"), manifests);
  const registry = new ModelRegistry(path.join(root, "manifests"));
  expect(registry.invalid).toEqual([]);
  return { root, store: new ModelStore({ registry, cacheDir: path.join(root, "cache"), ...options }) };
}

describe("tfjs-graph models: several files, each verified, run from memory", () => {
  const g = tinyGraph();

  test("the manifest rules: files only (and always) for tfjs graphs, never with parts, no duplicate names", () => {
    expect(validateModelManifest(graphManifest(g)).problems).toEqual([]);
    expect(validateModelManifest(graphManifest(g, { files: undefined })).problems).toEqual(["files: a tfjs-graph model must list its weight files"]);
    expect(validateModelManifest(manifestFor("one", g.w, { files: [{ name: "x.bin", sha256: sha256(g.w), size: 16 }] })).problems).toEqual([
      "files: an onnx model is one file; only tfjs-graph models list more",
    ]);
    const parts = graphManifest(g, { source: { kind: "npm", package: "@test/graphs", version: "1.0.0", parts: ["a", "b"] } });
    expect(validateModelManifest(parts).problems).toEqual([
      "files: the other files are taken from beside the source's file, so the source must name one file (a path)",
    ]);
    const twice = graphManifest(g, { files: [{ name: "model.json", sha256: sha256(g.w), size: 16 }] });
    expect(validateModelManifest(twice).problems).toEqual(['files: "model.json" is listed twice (or is the model file itself)']);
    expect(validateModelManifest({ ...graphManifest(g), files: [{ name: "../w.bin", sha256: sha256(g.w), size: 16 }] }).manifest).toBeNull();
  });

  test("one npm pack gives the graph and its shards; each is verified; the session computes x·W + b", async () => {
    const calls: string[][] = [];
    const m = graphManifest(g);
    const pkg = { "models/tiny/model.json": g.json, "models/tiny/w.bin": g.w, "models/tiny/b.bin": g.b, "models/other.bin": randomBytes(8) };
    const { store, root } = setup([m], { npm: fakeNpm({ "@test/graphs@1.0.0": pkg }, calls) });
    expect((await store.status("tiny")).state).toBe("missing");
    await store.fetch("tiny");
    expect(calls).toHaveLength(1);
    expect((await store.status("tiny")).state).toBe("installed");
    const loaded = await store.load("tiny");
    expect(loaded.files.map((f) => [f.name, sha256(f.bytes)])).toEqual([
      ["w.bin", sha256(g.w)],
      ["b.bin", sha256(g.b)],
    ]);
    const session = await createTfjsSession(loaded);
    expect(session.inputNames).toEqual(["x"]);
    const out = await session.run({ x: { type: "float32", data: new Float32Array([1, 1, 2, 0]), dims: [2, 2] } });
    const y = out.y as unknown as { data: Float32Array; dims: number[] };
    expect(y.dims).toEqual([2, 2]);
    expect(Array.from(y.data)).toEqual([14, 26, 12, 24]);
    await session.release();

    // A damaged shard: the model reads as corrupt, and loading it is the checksum error naming that file.
    const shard = path.join(root, "cache", "tiny", "1.0.0", "b.bin");
    const bytes = readFileSync(shard);
    bytes[0] = (bytes[0] as number) ^ 0xff;
    writeFileSync(shard, bytes);
    expect((await store.status("tiny")).state).toBe("corrupt");
    await expect(store.load("tiny")).rejects.toMatchObject({ code: "KERNEL_MODEL_CHECKSUM", message: expect.stringContaining("b.bin has sha256") });
  });

  test("a source whose shard differs installs nothing; a package without a shard is KERNEL_MODEL_FETCH", async () => {
    const m = graphManifest(g);
    const bad = { "models/tiny/model.json": g.json, "models/tiny/w.bin": g.w, "models/tiny/b.bin": randomBytes(g.b.length) };
    const { store, root } = setup([m], { npm: fakeNpm({ "@test/graphs@1.0.0": bad }) });
    await expect(store.fetch("tiny")).rejects.toMatchObject({ code: "KERNEL_MODEL_CHECKSUM", message: expect.stringContaining("its neighbour b.bin") });
    expect((await store.status("tiny")).state).toBe("missing");
    expect(() => readFileSync(path.join(root, "cache", "tiny", "1.0.0", "w.bin"))).toThrow();
    const missing = setup([m], { npm: fakeNpm({ "@test/graphs@1.0.0": { "models/tiny/model.json": g.json, "models/tiny/w.bin": g.w } }) });
    await expect(missing.store.fetch("tiny")).rejects.toMatchObject({ code: "KERNEL_MODEL_FETCH", message: expect.stringContaining('"models/tiny/b.bin"') });
  });

  test("a graph naming a weight file the manifest does not list is refused when the session is made", async () => {
    const m = graphManifest(g, { files: [{ name: "w.bin", sha256: sha256(g.w), size: g.w.length }] });
    await expect(createTfjsSession({ manifest: m, bytes: g.json, files: [{ name: "w.bin", bytes: g.w }] })).rejects.toThrow(
      'its graph names the weight file "b.bin", which the manifest\'s "files" do not list',
    );
  });
});
