/**
 * Runs a segmentation model from the registry (ISNet: one NCHW RGB input, alpha output) through
 * `ctx.models`: the image is resized (not letterboxed) to the model's input, normalised with the
 * manifest's mean and std, and the alpha comes back at the model's size, 0..255.
 */
import type { ModelManifest, ModelRunOptions, PluginModels } from "@crealia/kernel/sdk";
import sharp from "sharp";
import { cutoutError } from "../errors.js";
import type { RgbImage } from "../image.js";

export interface LowResMatte {
  alpha: Uint8Array;
  width: number;
  height: number;
  device: string;
  fallback: string | null;
  timings: { preprocessMs: number; inferenceMs: number; postprocessMs: number };
}

/** Reads size, names and normalisation from the manifest; refuses a model this plugin cannot feed. */
export function segmentationSpec(m: ModelManifest) {
  const input = m.inputs[0];
  const output = m.outputs[0];
  const [n, c, h, w] = input?.shape ?? [];
  if (
    !input ||
    !output ||
    m.inputs.length !== 1 ||
    input.layout !== "NCHW" ||
    c !== 3 ||
    typeof h !== "number" ||
    typeof w !== "number" ||
    (n !== 1 && typeof n !== "string")
  ) {
    throw cutoutError("CUTOUT_MODEL_UNSUITABLE", `model ${m.id} is not a segmentation model with one 1×3×H×W input`);
  }
  const norm = input.normalisation ?? { mean: [0, 0, 0], std: [255, 255, 255] };
  return { input: input.name, output: output.name, width: w, height: h, mean: norm.mean, std: norm.std };
}

export async function segment(models: Pick<PluginModels, "get" | "run">, modelId: string, img: RgbImage, run?: ModelRunOptions): Promise<LowResMatte> {
  const spec = segmentationSpec(models.get(modelId));
  let t = performance.now();
  const raw = await sharp(img.pixels, { raw: { width: img.width, height: img.height, channels: 3 } })
    .resize(spec.width, spec.height, { fit: "fill", kernel: "cubic" })
    .raw()
    .toBuffer();
  const plane = spec.width * spec.height;
  const data = new Float32Array(3 * plane);
  for (let c = 0; c < 3; c++) {
    const mean = spec.mean[c] ?? 0;
    const inv = 1 / (spec.std[c] ?? 1);
    for (let i = 0, o = c * plane; i < plane; i++, o++) data[o] = ((raw[i * 3 + c] as number) - mean) * inv;
  }
  const preprocessMs = performance.now() - t;
  t = performance.now();
  const result = await models.run(modelId, { [spec.input]: { type: "float32", data, dims: [1, 3, spec.height, spec.width] } }, run);
  const inferenceMs = performance.now() - t;
  t = performance.now();
  const out = result.outputs[spec.output]?.data as Float32Array;
  // ISNet's alpha is a sigmoid, but its range is not always the full 0..1: stretch it like IMG.LY does.
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < plane; i++) {
    const v = out[i] as number;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  const span = hi - lo > 1e-6 ? hi - lo : 1;
  const alpha = new Uint8Array(plane);
  for (let i = 0; i < plane; i++) alpha[i] = Math.round((((out[i] as number) - lo) / span) * 255);
  const round = (v: number) => Math.round(v * 10) / 10;
  return {
    alpha,
    width: spec.width,
    height: spec.height,
    device: result.device,
    fallback: result.fallback,
    timings: { preprocessMs: round(preprocessMs), inferenceMs: round(inferenceMs), postprocessMs: round(performance.now() - t) },
  };
}
