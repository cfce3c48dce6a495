import { createHash, randomBytes } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, test } from "vitest";
import { discoverDevices } from "../../src/gpu/devices.js";
import type { Feeds } from "../../src/gpu/tensor-batch.js";
import { createLogger } from "../../src/logger.js";
import { ModelService } from "../../src/models/model-service.js";
import { ModelStore } from "../../src/models/model-store.js";
import type { ModelRuntimeSession } from "../../src/models/ort-session.js";
import { createPluginModels } from "../../src/models/plugin-models.js";
import { ModelRegistry } from "../../src/models/registry.js";
import type { PluginManifest } from "../../src/sdk/manifest.js";
import type { ModelManifest } from "../../src/sdk/model-manifest.js";
import { manifestFor, tempDir } from "./helpers.js";

const values = (t: { data: ArrayLike<number | bigint> } | undefined) => Array.from(t?.data ?? []);

/** Two local models: `doubler` has a dynamic batch dimension, `fixed` does not. Sessions are fakes that double their input. */
function setup(gpus: string | null, sessionBudgetMb = 4000) {
  const root = tempDir("svc");
  mkdirSync(path.join(root, "weights"));
  const models: ModelManifest[] = ["doubler", "fixed"].map((id) => {
    const bytes = randomBytes(1000);
    writeFileSync(path.join(root, "weights", `${id}.onnx`), bytes);
    const dyn = id === "doubler";
    return manifestFor(id, bytes, {
      source: { kind: "local", path: path.join(root, "weights", `${id}.onnx`) },
      memoryMb: 3000,
      inputs: [{ name: "x", dtype: "float32", shape: [dyn ? "batch" : 1, 2] }],
      outputs: [{ name: "y", dtype: "float32", shape: [dyn ? "batch" : 1, 2] }],
      ...(dyn ? { batch: { maxBatch: 8, windowMs: 15 } } : {}),
    });
  });
  const store = new ModelStore({
    registry: ModelRegistry.of(models.map((manifest) => ({ manifest, file: path.join(root, `${manifest.id}.json`) }))),
    cacheDir: path.join(root, "cache"),
  });
  const runs: { model: string; device: string; rows: number }[] = [];
  const created: string[] = [];
  const lines: string[] = [];
  const log = createLogger("warn");
  log.warn = ((obj: unknown, msg?: string) => void lines.push(typeof obj === "string" ? obj : (msg ?? ""))) as typeof log.warn;
  const service = new ModelService({
    store,
    log,
    discover: () =>
      discoverDevices({
        gpus,
        providers: async () => [
          { name: "cpu", available: true },
          { name: "cuda", available: true },
        ],
      }),
    sessionBudgetMb,
    createSession: async (bytes, device): Promise<ModelRuntimeSession> => {
      const model = models.find((m) => m.size === bytes.length && m.sha256 === createHash("sha256").update(bytes).digest("hex"));
      created.push(`${model?.id}@${device.id}`);
      return {
        inputNames: ["x"],
        outputNames: ["y"],
        async run(feeds: Feeds) {
          const x = feeds.x as Feeds[string];
          runs.push({ model: model?.id as string, device: device.id, rows: x.dims[0] as number });
          await new Promise((r) => setTimeout(r, 2));
          return { y: { type: "float32", data: (x.data as Float32Array).map((v) => v * 2), dims: [...x.dims] } };
        },
        release: async () => {},
      };
    },
  });
  return { service, runs, created, lines };
}

const plugin = (permissions: string[]): PluginManifest => ({
  id: "face",
  version: "1.0.0",
  kernel: "^1.0.0",
  permissions,
  jobs: { "face.detect": { gpuMemoryMb: 2000 }, "face.thumbs": { gpuMemoryMb: 0 } },
});
const feeds = (a: number, b: number) => ({ x: { type: "float32", data: Float32Array.from([a, b]), dims: [1, 2] } });

describe("ModelService and ctx.models", () => {
  test("a plugin with gpu.use runs on a simulated GPU; its session stays warm", async () => {
    const { service, runs, created } = setup("0:8192");
    const models = createPluginModels(plugin(["gpu.use"]), service);
    const r1 = await models.run("fixed", feeds(1, 2));
    const r2 = await models.run("fixed", feeds(3, 4), { jobType: "face.detect" });
    expect(values(r1.outputs.y)).toEqual([2, 4]);
    expect(r1).toMatchObject({ device: "cuda:0", fallback: null, batchSize: 1 });
    expect(r2.device).toBe("cuda:0");
    expect(created).toEqual(["fixed@cuda:0"]);
    expect(runs).toHaveLength(2);
    await service.stop();
  });

  test("without gpu.use the work runs on the CPU, and the result says why; logged once", async () => {
    const { service, lines } = setup("0:8192");
    const models = createPluginModels(plugin([]), service);
    const results = await Promise.all([models.run("fixed", feeds(1, 2)), models.run("fixed", feeds(1, 2))]);
    for (const r of results) {
      expect(r.device).toBe("cpu");
      expect(r.fallback).toBe('plugin face does not have the "gpu.use" permission');
    }
    expect(lines.filter((l) => l.includes("on the CPU"))).toHaveLength(1);
  });

  test("no GPU on the worker: CPU fallback visible in the result and logged once per job type", async () => {
    const { service, lines } = setup("none");
    const models = createPluginModels(plugin(["gpu.use"]), service);
    const r = await models.run("fixed", feeds(1, 2), { jobType: "face.detect" });
    await models.run("fixed", feeds(1, 2), { jobType: "face.detect" });
    expect(r).toMatchObject({ device: "cpu", fallback: "no GPU device on this worker" });
    expect(lines).toEqual(["running face.detect on the CPU: no GPU device on this worker"]);
    // A job type declaring 0 MiB never needs a GPU: no fallback note.
    expect((await models.run("fixed", feeds(1, 2), { jobType: "face.thumbs" })).fallback).toBeNull();
    // device: "cpu" is a choice, not a fallback.
    expect((await models.run("fixed", feeds(1, 2), { device: "cpu" })).fallback).toBeNull();
  });

  test("concurrent runs of a model with a dynamic batch dimension are micro-batched and split back", async () => {
    const { service, runs } = setup("0:8192");
    const models = createPluginModels(plugin(["gpu.use"]), service);
    const results = await Promise.all([1, 2, 3, 4, 5].map((i) => models.run("doubler", feeds(i, 10 * i))));
    expect(results.map((r) => values(r.outputs.y))).toEqual([
      [2, 20],
      [4, 40],
      [6, 60],
      [8, 80],
      [10, 100],
    ]);
    expect(results.every((r) => r.batchSize === 5 && r.device === "cuda:0")).toBe(true);
    expect(runs).toEqual([{ model: "doubler", device: "cuda:0", rows: 5 }]);
  });

  test("a held session keeps its lease until release; bad feeds and foreign job types are refused", async () => {
    const { service } = setup("0:4096", 1024); // 4096 MiB less 1024 for warm sessions: 3072 MiB leasable
    const models = createPluginModels(plugin(["gpu.use"]), service);
    const held = await models.session("fixed");
    expect(held).toMatchObject({ device: "cuda:0", inputNames: ["x"], outputNames: ["y"] });
    expect(values((await held.run(feeds(5, 6))).y)).toEqual([10, 12]);
    let second: string | null = null;
    const waiting = models.session("fixed").then((s) => {
      second = s.device;
      return s;
    });
    await new Promise((r) => setTimeout(r, 20));
    expect(second).toBeNull(); // 3000 + 3000 MiB do not fit in 3072
    held.release();
    (await waiting).release();
    expect(second).toBe("cuda:0");
    await expect(models.run("fixed", { x: { type: "float32", data: new Float32Array(3), dims: [1, 3] } })).rejects.toMatchObject({ code: "KERNEL_VALIDATION" });
    await expect(models.run("fixed", feeds(1, 2), { jobType: "other.job" })).rejects.toMatchObject({ code: "KERNEL_CAPABILITY_DENIED" });
    expect(() => models.get("nope")).toThrow(expect.objectContaining({ code: "KERNEL_MODEL_NOT_FOUND" }));
    expect(models.get("doubler").batch).toEqual({ maxBatch: 8, windowMs: 15 });
    expect(await models.status("fixed")).toBe("installed");
  });
});
