import { existsSync, readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { kernelError } from "../errors.js";
import type { ModelManifest } from "../sdk/model-manifest.js";
import { validateModelManifest } from "./manifest-schema.js";

/** A manifest file that failed validation; it is left out of the registry with its problems. */
export interface InvalidModelManifest {
  file: string;
  problems: string[];
}

export interface RegisteredModel {
  manifest: ModelManifest;
  /** The manifest file; a `local` source's relative path is resolved against its folder. */
  file: string;
}

/**
 * The models known to this installation: every valid `*.json` in the manifests folder
 * (`models/manifests/` of the workspace by default). The file's name must be `<id>.json`.
 */
export class ModelRegistry {
  private readonly byId = new Map<string, RegisteredModel>();
  readonly invalid: InvalidModelManifest[] = [];

  constructor(readonly dir: string | null) {
    if (!dir || !existsSync(dir)) return;
    for (const name of readdirSync(dir).sort()) {
      if (!name.endsWith(".json")) continue;
      const file = path.join(dir, name);
      let data: unknown;
      try {
        data = JSON.parse(readFileSync(file, "utf8"));
      } catch (err) {
        this.invalid.push({ file, problems: [`not valid JSON: ${(err as Error).message}`] });
        continue;
      }
      const { manifest, problems } = validateModelManifest(data);
      if (!manifest) {
        this.invalid.push({ file, problems });
        continue;
      }
      if (name !== `${manifest.id}.json`) {
        this.invalid.push({ file, problems: [`the file of model "${manifest.id}" must be named ${manifest.id}.json`] });
        continue;
      }
      this.byId.set(manifest.id, { manifest, file });
    }
  }

  /** A registry over manifests given in code (tests, tools). */
  static of(models: RegisteredModel[]): ModelRegistry {
    const registry = new ModelRegistry(null);
    for (const m of models) registry.byId.set(m.manifest.id, m);
    return registry;
  }

  list(): RegisteredModel[] {
    return [...this.byId.values()];
  }

  has(id: string): boolean {
    return this.byId.has(id);
  }

  /** The model with this id; `KERNEL_MODEL_NOT_FOUND` when no valid manifest has it. */
  get(id: string): RegisteredModel {
    const found = this.byId.get(id);
    if (found) return found;
    const broken = this.invalid.find((i) => path.basename(i.file) === `${id}.json`);
    if (broken) throw kernelError("KERNEL_MODEL_NOT_FOUND", `model "${id}" has an invalid manifest (${broken.file}): ${broken.problems.join("; ")}`);
    throw kernelError("KERNEL_MODEL_NOT_FOUND", `no model "${id}" in ${this.dir ?? "the registry"}; known: ${[...this.byId.keys()].join(", ") || "none"}`);
  }
}

/**
 * Where the manifests are: `CREALIA_MODELS_DIR` when set, else the `manifests/` folder of the
 * `@crealia/models` package, else `models/manifests` under the nearest folder above `cwd` that has one.
 */
export function defaultManifestsDir(cwd = process.cwd()): string | null {
  try {
    const pkg = createRequire(import.meta.url).resolve("@crealia/models/package.json");
    const dir = path.join(path.dirname(pkg), "manifests");
    if (existsSync(dir)) return dir;
  } catch {
    // not linked (the workspace was not installed since models/ became a package): look on disk.
  }
  for (let dir = path.resolve(cwd); ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, "models", "manifests");
    if (existsSync(candidate)) return candidate;
    if (path.dirname(dir) === dir) return null;
  }
}
