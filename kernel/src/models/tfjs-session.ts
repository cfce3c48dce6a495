import { createRequire } from "node:module";
import path from "node:path";
import type { Feeds, TensorData } from "../gpu/tensor-batch.js";
import type { LoadedModel } from "./model-store.js";
import type { ModelRuntimeSession } from "./ort-session.js";

type Tf = typeof import("@tensorflow/tfjs-core");
type Converter = typeof import("@tensorflow/tfjs-converter");

interface TfjsRuntime {
  tf: Tf;
  converter: Converter;
  /** `wasm`, or `cpu` when the WASM module could not start. */
  backend: string;
}

let runtime: Promise<TfjsRuntime> | null = null;

/**
 * TensorFlow.js with its WASM backend, started on first use (processes that run no tfjs model
 * never load it). The backend's .wasm files are read from the installed npm package, never
 * fetched: tfjs would otherwise look for them beside the page, which Node does not have.
 */
export function loadTfjs(): Promise<TfjsRuntime> {
  runtime ??= (async () => {
    const tf = await import("@tensorflow/tfjs-core");
    const converter = await import("@tensorflow/tfjs-converter");
    const wasm = await import("@tensorflow/tfjs-backend-wasm");
    const dist = path.join(path.dirname(createRequire(import.meta.url).resolve("@tensorflow/tfjs-backend-wasm/package.json")), "dist");
    wasm.setWasmPaths({
      "tfjs-backend-wasm.wasm": path.join(dist, "tfjs-backend-wasm.wasm"),
      "tfjs-backend-wasm-simd.wasm": path.join(dist, "tfjs-backend-wasm-simd.wasm"),
      "tfjs-backend-wasm-threaded-simd.wasm": path.join(dist, "tfjs-backend-wasm-threaded-simd.wasm"),
    });
    if (await tf.setBackend("wasm").catch(() => false)) return { tf, converter, backend: "wasm" };
    // The plain-JS backend is ~30× slower but runs anywhere.
    await import("@tensorflow/tfjs-backend-cpu");
    if (!(await tf.setBackend("cpu"))) throw new Error("TensorFlow.js could start neither its wasm nor its cpu backend");
    return { tf, converter, backend: "cpu" };
  })();
  runtime.catch(() => {
    runtime = null;
  });
  return runtime;
}

interface WeightGroup {
  paths: string[];
  weights: import("@tensorflow/tfjs-core").io.WeightsManifestEntry[];
}

/**
 * Creates a session over a verified TensorFlow.js graph model: `bytes` is its model.json, `files`
 * the weight shards it names. Everything is loaded from memory: the only bytes tfjs sees are the
 * ones the model store checked.
 */
export async function createTfjsSession(model: Pick<LoadedModel, "manifest" | "bytes" | "files">): Promise<ModelRuntimeSession> {
  const { tf, converter } = await loadTfjs();
  const json = JSON.parse(model.bytes.toString("utf8")) as {
    modelTopology: object;
    weightsManifest: WeightGroup[];
    format?: string;
    generatedBy?: string;
    convertedBy?: string;
    signature?: object;
    userDefinedMetadata?: Record<string, object>;
  };
  const shards = new Map(model.files.map((f) => [f.name, f.bytes]));
  const chunks: Uint8Array[] = [];
  for (const group of json.weightsManifest ?? []) {
    for (const p of group.paths) {
      const bytes = shards.get(path.posix.basename(p));
      if (!bytes) throw new Error(`model ${model.manifest.id}: its graph names the weight file "${p}", which the manifest's "files" do not list`);
      chunks.push(bytes);
    }
  }
  // tfjs reads the weights of all groups as one buffer, in the manifest's order.
  const weightData = Buffer.concat(chunks);
  const artifacts = {
    modelTopology: json.modelTopology,
    weightSpecs: (json.weightsManifest ?? []).flatMap((g) => g.weights),
    weightData: weightData.buffer.slice(weightData.byteOffset, weightData.byteOffset + weightData.byteLength),
    format: json.format,
    generatedBy: json.generatedBy,
    convertedBy: json.convertedBy,
    signature: json.signature,
    userDefinedMetadata: json.userDefinedMetadata,
  };
  const graph = await converter.loadGraphModel({ load: async () => artifacts });
  const inputNames = graph.inputs.map((i) => i.name);
  const outputNames = [...graph.outputNodes];
  return {
    inputNames,
    outputNames,
    async run(feeds: Feeds) {
      // Synchronous from inputs to read-back: tfjs's engine is one per process, and nothing else may run on it in between.
      const outputs = tf.tidy(() => {
        const inputs: Record<string, import("@tensorflow/tfjs-core").Tensor> = {};
        for (const [name, t] of Object.entries(feeds)) {
          if (t.type !== "float32" && t.type !== "int32")
            throw new Error(`model ${model.manifest.id}: input "${name}" is ${t.type}; tfjs graphs take float32 or int32`);
          inputs[name] = tf.tensor(t.data as Float32Array | Int32Array, [...t.dims], t.type);
        }
        const out = graph.execute(inputs, outputNames);
        return Array.isArray(out) ? out : [out];
      });
      try {
        const result: Record<string, TensorData> = {};
        outputs.forEach((t, i) => {
          result[outputNames[i] as string] = { type: t.dtype, data: t.dataSync() as Float32Array, dims: [...t.shape] };
        });
        return result;
      } finally {
        tf.dispose(outputs);
      }
    },
    release: async () => graph.dispose(),
  };
}
