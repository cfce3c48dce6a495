import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, test } from "vitest";
import { validateModelManifest } from "../../src/models/manifest-schema.js";
import { ModelRegistry } from "../../src/models/registry.js";
import { manifestFor, tempDir, writeManifests } from "./helpers.js";

const manifestsDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../models/manifests");
const bytes = new Uint8Array([1, 2, 3]);

describe("model manifests", () => {
  test("the shipped manifests are valid, each with a real sha256 and a licence", () => {
    const registry = new ModelRegistry(manifestsDir);
    expect(registry.invalid).toEqual([]);
    const ids = registry.list().map((m) => m.manifest.id);
    expect(ids).toEqual(expect.arrayContaining(["blazeface-front", "blazeface-back", "isnet-small", "isnet-medium"]));
    for (const { manifest } of registry.list()) {
      expect(manifest.sha256).toMatch(/^[0-9a-f]{64}$/);
      expect(manifest.license.length).toBeGreaterThan(1);
      expect(manifest.source.kind).toBe("npm");
    }
    expect(registry.get("blazeface-front").manifest.sha256).toBe("d388b1cf8a5f6f1af2b3f4c14f6d0f138bab970cd618cccd12dddb7484e82e51");
    expect(registry.get("blazeface-back").manifest.sha256).toBe("427cbbe0fc41448d09e1dc9cfabe2423d997cf2faaeab91fadd09a510b63b8e2");
  });

  test("unknown keys are refused at every level", () => {
    const good = manifestFor("mm", bytes);
    expect(validateModelManifest(good).problems).toEqual([]);
    expect(validateModelManifest({ ...good, weights: "x" }).problems).toContain('manifest: unknown key "weights"');
    expect(validateModelManifest({ ...good, source: { ...good.source, mirror: "x" } }).problems).toContain('/source: unknown key "mirror"');
    expect(validateModelManifest({ ...good, inputs: [{ ...good.inputs[0], scale: 2 }] }).problems).toContain('/inputs/0: unknown key "scale"');
    expect(validateModelManifest({ ...good, recipe: { pre: "a", post: "b", extra: "c" } }).problems).toContain('/recipe: unknown key "extra"');
  });

  test("refuses a missing or malformed sha256, a version range, an unknown source kind and an impossible batch", () => {
    const good = manifestFor("mm", bytes);
    const { sha256: _drop, ...noSha } = good;
    expect(validateModelManifest(noSha).problems.join()).toMatch(/sha256/);
    expect(validateModelManifest({ ...good, sha256: "ABC" }).problems.join()).toMatch(/\/sha256 must match/);
    expect(validateModelManifest({ ...good, source: { kind: "npm", package: "p", version: "^1.0.0", path: "a.onnx" } }).problems.join()).toMatch(
      /\/source\/version/,
    );
    expect(validateModelManifest({ ...good, source: { kind: "ftp", url: "ftp://x" } }).problems.join()).toMatch(/\/source\/kind/);
    expect(validateModelManifest({ ...good, source: { kind: "https", url: "http://insecure" } }).problems.join()).toMatch(/\/source\/url/);
    expect(validateModelManifest({ ...good, batch: { maxBatch: 8 } }).problems.join()).toMatch(/fixed dimension 0/);
    const batchable = {
      ...good,
      inputs: [{ name: "x", dtype: "float32", shape: ["batch", 2] }],
      outputs: [{ name: "y", dtype: "float32", shape: ["batch", 2] }],
    };
    expect(validateModelManifest({ ...batchable, batch: { maxBatch: 8 } }).problems).toEqual([]);
  });

  test("the registry leaves out invalid files with their problems, and names them when asked for the model", () => {
    const dir = tempDir("manifests");
    writeManifests(dir, [manifestFor("good", bytes), { ...manifestFor("bad", bytes), license: undefined } as never]);
    const registry = new ModelRegistry(dir);
    expect(registry.list().map((m) => m.manifest.id)).toEqual(["good"]);
    expect(registry.invalid).toHaveLength(1);
    expect(() => registry.get("bad")).toThrow(/invalid manifest .*license/);
    expect(() => registry.get("nope")).toThrow(expect.objectContaining({ code: "KERNEL_MODEL_NOT_FOUND", status: 404 }));
  });
});
