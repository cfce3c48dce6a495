/**
 * Person segmentation with MediaPipe Selfie Segmentation (`selfie`, a tfjs graph run by the kernel):
 * the whole upright image is resized (stretched, as MediaPipe feeds it) to the model's square input,
 * normalised as its manifest says, and the model's soft person probability comes back upsampled to
 * full size by libvips. Typed arrays throughout: one byte per pixel out.
 */
import type { ModelRunOptions, PluginModels } from "@crealia/kernel/sdk";
import sharp from "sharp";
import { type RgbImage, rawSharp } from "../image.js";

export const SELFIE_MODEL = "selfie";

export interface PersonMask {
  /** 0..255 per pixel of the image: the probability that it belongs to a person. */
  mask: Uint8Array;
  width: number;
  height: number;
  device: string;
  fallback: string | null;
  timings: { preprocessMs: number; inferenceMs: number; postprocessMs: number };
}

/** The input's name, side and normalisation, read from the manifest so that a new version of the graph needs no code change. */
function inputSpec(models: Pick<PluginModels, "get">) {
  const manifest = models.get(SELFIE_MODEL);
  const input = manifest.inputs[0];
  const output = manifest.outputs[0];
  const [, h, w, c] = input?.shape ?? [];
  if (!input || !output || typeof h !== "number" || h !== w || c !== 3 || input.layout !== "NHWC") {
    throw new Error(`model "${SELFIE_MODEL}": expected one square NHWC RGB input in its manifest`);
  }
  const mean = input.normalisation?.mean ?? [0, 0, 0];
  const std = input.normalisation?.std ?? [255, 255, 255];
  return { name: input.name, output: output.name, size: h, mean, std };
}

export async function personMask(models: Pick<PluginModels, "get" | "run">, img: RgbImage, run?: ModelRunOptions): Promise<PersonMask> {
  const spec = inputSpec(models);
  const { size } = spec;
  let t = performance.now();
  const small = await rawSharp(img).resize(size, size, { fit: "fill", kernel: "linear" }).raw().toBuffer();
  const data = new Float32Array(size * size * 3);
  for (let i = 0; i < data.length; i++) {
    const c = i % 3;
    data[i] = ((small[i] as number) - (spec.mean[c] as number)) / (spec.std[c] as number);
  }
  const preprocessMs = performance.now() - t;
  t = performance.now();
  const result = await models.run(SELFIE_MODEL, { [spec.name]: { type: "float32", data, dims: [1, size, size, 3] } }, run);
  const inferenceMs = performance.now() - t;
  t = performance.now();
  const prob = result.outputs[spec.output]?.data as Float32Array;
  const low = new Uint8Array(size * size);
  for (let i = 0; i < low.length; i++) {
    const p = prob[i] as number;
    low[i] = p <= 0 ? 0 : p >= 1 ? 255 : Math.round(p * 255);
  }
  // Bilinear: no overshoot at the mask's edges. A 1-channel raw input comes out of sharp as 3 channels: keep one.
  const up = await sharp(low, { raw: { width: size, height: size, channels: 1 } })
    .resize(img.width, img.height, { fit: "fill", kernel: "linear" })
    .extractChannel(0)
    .raw()
    .toBuffer();
  const postprocessMs = performance.now() - t;
  const ms = (v: number) => Math.round(v * 100) / 100;
  return {
    mask: new Uint8Array(up.buffer, up.byteOffset, up.length),
    width: img.width,
    height: img.height,
    device: result.device,
    fallback: result.fallback,
    timings: { preprocessMs: ms(preprocessMs), inferenceMs: ms(inferenceMs), postprocessMs: ms(postprocessMs) },
  };
}
