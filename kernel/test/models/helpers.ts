import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { NpmRunner } from "../../src/models/model-store.js";
import type { ModelManifest } from "../../src/sdk/model-manifest.js";

export const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

export function tempDir(prefix: string): string {
  return mkdtempSync(path.join(os.tmpdir(), `crealia-${prefix}-`));
}

/** A valid manifest for `bytes`, with an npm source unless overridden. */
export function manifestFor(id: string, bytes: Uint8Array, overrides: Partial<ModelManifest> = {}): ModelManifest {
  return {
    id,
    version: "1.0.0",
    task: "other",
    description: `test model ${id}`,
    license: "MIT",
    format: "onnx",
    file: `${id}.onnx`,
    source: { kind: "npm", package: "@test/weights", version: "1.0.0", path: `models/${id}.onnx` },
    sha256: sha256(bytes),
    size: bytes.length,
    memoryMb: 100,
    inputs: [{ name: "x", dtype: "float32", shape: [1, 2] }],
    outputs: [{ name: "y", dtype: "float32", shape: [1, 2] }],
    recipe: { pre: "none", post: "none" },
    ...overrides,
  };
}

export function writeManifests(dir: string, manifests: ModelManifest[]): void {
  mkdirSync(dir, { recursive: true });
  for (const m of manifests) writeFileSync(path.join(dir, `${m.id}.json`), JSON.stringify(m, null, 2));
}

/**
 * Stands in for `npm pack <spec> --pack-destination <dir> --json`: writes a real gzipped pax tarball
 * (with GNU tar, as npm's are) holding `files` under `package/`, and prints npm's JSON.
 */
export function fakeNpm(packages: Record<string, Record<string, Uint8Array>>, calls: string[][] = []): NpmRunner {
  return async (args) => {
    calls.push(args);
    const spec = args[1] as string;
    const files = packages[spec];
    if (!files) throw new Error(`npm error 404 Not Found - GET https://registry.npmjs.org/${spec}`);
    const dest = args[args.indexOf("--pack-destination") + 1] as string;
    const src = tempDir("pack");
    mkdirSync(path.join(src, "package"), { recursive: true });
    writeFileSync(path.join(src, "package", "package.json"), JSON.stringify({ name: spec }));
    for (const [file, bytes] of Object.entries(files)) {
      mkdirSync(path.dirname(path.join(src, "package", file)), { recursive: true });
      writeFileSync(path.join(src, "package", file), bytes);
    }
    const filename = `${spec.replace(/^@/, "").replace(/[/@]/g, "-")}.tgz`;
    execFileSync("tar", ["--format=pax", "-czf", path.join(dest, filename), "-C", src, "package"]);
    return `${JSON.stringify([{ id: spec, filename, files: [] }], null, 2)}\n`;
  };
}
