import type { Device } from "../gpu/devices.js";
import type { ReleasableSession } from "../gpu/session-cache.js";
import type { Feeds, TensorData, TypedArray } from "../gpu/tensor-batch.js";

/** An inference session as the model service uses it; ONNX Runtime's sits behind `createOrtSession`. */
export interface ModelRuntimeSession extends ReleasableSession {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  run(feeds: Feeds): Promise<Feeds>;
}

export type SessionFactory = (bytes: Uint8Array, device: Device) => Promise<ModelRuntimeSession>;

type Ort = typeof import("onnxruntime-node");
let ortModule: Promise<Ort> | null = null;

/** onnxruntime-node, imported on first use so that processes that run no model never load it. */
export function loadOrt(): Promise<Ort> {
  ortModule ??= import("onnxruntime-node");
  return ortModule;
}

/** Creates an ONNX Runtime session from verified bytes, with the device's execution providers. */
export const createOrtSession: SessionFactory = async (bytes, device) => {
  const ort = await loadOrt();
  const executionProviders = device.executionProviders.map((name) =>
    name === "cuda" || name === "tensorrt" ? { name, deviceId: device.index ?? 0 } : name,
  ) as import("onnxruntime-node").InferenceSession.ExecutionProviderConfig[];
  // Warnings (3) and up: ORT's own notes on unused initialisers are noise here.
  const session = await ort.InferenceSession.create(bytes, { executionProviders, logSeverityLevel: 3 });
  return {
    inputNames: session.inputNames,
    outputNames: session.outputNames,
    async run(feeds) {
      const input: Record<string, import("onnxruntime-node").Tensor> = {};
      for (const [name, t] of Object.entries(feeds)) {
        input[name] = t instanceof ort.Tensor ? t : new ort.Tensor(t.type as "float32", t.data as Float32Array, t.dims);
      }
      const out = await session.run(input);
      const result: Record<string, TensorData> = {};
      for (const [name, t] of Object.entries(out)) {
        const tensor = t as import("onnxruntime-node").Tensor;
        result[name] = { type: tensor.type, data: tensor.data as TypedArray, dims: [...tensor.dims] };
      }
      return result;
    },
    release: () => session.release(),
  };
};
