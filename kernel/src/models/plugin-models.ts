import { kernelError } from "../errors.js";
import type { Feeds } from "../gpu/tensor-batch.js";
import type { ModelRunOptions, ModelSession, PluginModels } from "../sdk/context.js";
import { CrealiaError, isCrealiaError } from "../sdk/errors.js";
import type { PluginManifest } from "../sdk/manifest.js";
import type { ModelService, RunPlacement } from "./model-service.js";
import { ModelStore } from "./model-store.js";

/** `gpu.use` lets a plugin's models run on GPUs; without it they run on the CPU. */
export const GPU_PERMISSION = "gpu.use";

/**
 * `ctx.models` for one plugin. Every plugin may run models on the CPU (it could run any code
 * there); GPUs, a shared and scarce resource, need `gpu.use` in the manifest. A plugin without it
 * runs on the CPU, and the result says so in `fallback`.
 */
export function createPluginModels(manifest: PluginManifest, service: ModelService): PluginModels {
  const gpuAllowed = (manifest.permissions ?? []).includes(GPU_PERMISSION);

  const placement = (modelId: string, options: ModelRunOptions = {}): RunPlacement => {
    const model = service.manifest(modelId);
    let jobMemory: number | undefined;
    if (options.jobType !== undefined) {
      const job = manifest.jobs?.[options.jobType];
      if (!job)
        throw kernelError("KERNEL_CAPABILITY_DENIED", `${manifest.id} cannot run models for job type "${options.jobType}": it is not in the manifest's "jobs"`);
      jobMemory = job.gpuMemoryMb;
    }
    if (options.memoryMb !== undefined && !(Number.isFinite(options.memoryMb) && options.memoryMb >= 0)) {
      throw kernelError("KERNEL_VALIDATION", `memoryMb must be a number ≥ 0 (got ${options.memoryMb})`);
    }
    const memoryMb = options.device === "cpu" ? 0 : (options.memoryMb ?? jobMemory ?? model.memoryMb);
    return {
      memoryMb,
      key: options.jobType ?? `${manifest.id}:${modelId}`,
      cpuOnly: gpuAllowed ? null : `plugin ${manifest.id} does not have the "${GPU_PERMISSION}" permission`,
      signal: options.signal,
    };
  };

  return {
    get: (modelId) => structuredClone(service.manifest(modelId)),
    list: () => structuredClone(service.manifests()),
    status: async (modelId) => (await service.store.status(modelId)).state,
    async require(modelId) {
      if ((await service.store.status(modelId)).state !== "missing") return;
      const fetch = ModelStore.fetchCommand(modelId);
      throw kernelError("KERNEL_MODEL_NOT_INSTALLED", `model "${modelId}" is not installed: run \`${fetch}\``, { modelId, fetch });
    },
    async run(modelId, feeds, options) {
      const result = await service.run(modelId, feeds as Feeds, placement(modelId, options)).catch((err) => {
        throw verificationFailure(err, modelId);
      });
      return { outputs: result.outputs, device: result.device, fallback: result.fallback, batchSize: result.batchSize };
    },
    async session(modelId, options): Promise<ModelSession> {
      const s = await service.session(modelId, placement(modelId, options)).catch((err) => {
        throw verificationFailure(err, modelId);
      });
      return {
        modelId,
        device: s.device,
        fallback: s.fallback,
        inputNames: s.inputNames,
        outputNames: s.outputNames,
        run: (feeds) => s.run(feeds as Feeds),
        release: () => s.release(),
      };
    },
  };
}

/**
 * A model file refused at load (damaged, tampered with, or gone since a route checked it) fails the
 * job at once with a message that leads with the model: retrying cannot help, only a fetch can.
 */
function verificationFailure(err: unknown, modelId: string): unknown {
  if (!isCrealiaError(err) || (err.code !== "KERNEL_MODEL_CHECKSUM" && err.code !== "KERNEL_MODEL_NOT_INSTALLED")) return err;
  return Object.assign(new CrealiaError(err.code, err.status, `model "${modelId}" failed verification: ${err.message}`, err.details), { retryable: false });
}
