import type { KernelConfig } from "../config.js";
import type { Logger } from "../logger.js";
import type { BlobStore } from "../storage/blob-store.js";
import { ModelService } from "./model-service.js";
import { ModelStore } from "./model-store.js";
import { defaultManifestsDir, ModelRegistry } from "./registry.js";

export { modelManifestSchema, validateModelManifest } from "./manifest-schema.js";
export type { LoadedModel, ModelInstallState, ModelStatus, NpmRunner } from "./model-store.js";
export { ModelStore, sha256File } from "./model-store.js";
export type { InvalidModelManifest, RegisteredModel } from "./registry.js";
export { defaultManifestsDir, ModelRegistry } from "./registry.js";

/** The registry and cache the configuration names (the CLI's `models` commands use this). */
export function createModelStore(config: KernelConfig, options: { blobs?: Pick<BlobStore, "get"> | null; log?: (message: string) => void } = {}): ModelStore {
  const registry = new ModelRegistry(config.modelsDir ?? defaultManifestsDir());
  return new ModelStore({ registry, cacheDir: config.modelCacheDir, blobs: options.blobs ?? null, log: options.log });
}

/** The service behind `ctx.models`. Devices are found on first use, not here. */
export function createModelService(config: KernelConfig, blobs: Pick<BlobStore, "get">, log: Logger): ModelService {
  const store = createModelStore(config, { blobs, log: (message) => log.info(message) });
  for (const bad of store.registry.invalid) log.warn({ file: bad.file, problems: bad.problems }, "model manifest left out");
  return new ModelService({ store, log, gpus: config.gpus, sessionBudgetMb: config.modelCacheMb });
}
