/**
 * ONNX Runtime backend: runs registry models through `ctx.models` (the kernel's GPU scheduler,
 * warm sessions, sha256-verified files). An upscaler is any model of task `upscaling` with one
 * NCHW RGB input; its scale and context padding come from the manifest's `upscaling` block (else the
 * scale is read from the output/input shapes, or is 4 when they are dynamic). Input values are `(pixel − mean) / std` from the manifest (default: pixel / 255); the
 * output is read back the same way. A style model is NCHW RGB in, same-size RGB out. Each tile is
 * its own `ctx.models.run` call of one row; for a model whose manifest has `batch`, the kernel stacks
 * concurrent equal-size tiles into one call, so `tileBatch` tells the tiler how many to send at once.
 * Image generation needs a diffusion pipeline (text encoder, scheduler loop, VAE): not offered here.
 */
import type { ModelManifest, PluginModels } from "@crealia/kernel/sdk";
import sharp from "sharp";
import { upscaleError } from "../errors.js";
import type { RgbImage } from "../image.js";
import type { ModelBackend, StyleRequest, UpscaledTile } from "./backend.js";

interface Spec {
  id: string;
  input: string;
  output: string;
  mean: number[];
  std: number[];
  /** Fixed input size, or null when H and W are dynamic. */
  fixed: { width: number; height: number } | null;
  scale: number;
  /** Input pixels on each side the model consumes as context (unpadded convolutions). */
  padding: number;
  /** Concurrent calls the kernel may merge into one (the manifest's `batch.maxBatch`), else 1. */
  maxBatch: number;
}

export function onnxSpec(m: ModelManifest, kind: "upscale" | "style"): Spec {
  const input = m.inputs[0];
  const output = m.outputs[0];
  const shape = input?.shape ?? [];
  if (!input || !output || m.inputs.length !== 1 || shape.length !== 4 || shape[1] !== 3 || (input.layout && input.layout !== "NCHW")) {
    throw upscaleError("UPSCALE_MODEL_UNSUITABLE", `model ${m.id} needs one NCHW RGB input (N×3×H×W)`);
  }
  if (kind === "upscale" && m.task !== "upscaling") throw upscaleError("UPSCALE_MODEL_UNSUITABLE", `model ${m.id} is a ${m.task} model, not an upscaling one`);
  const [, , h, w] = shape;
  const [, , oh] = output.shape;
  const fixed = typeof h === "number" && typeof w === "number" ? { width: w, height: h } : null;
  const scale = kind === "style" ? 1 : (m.upscaling?.scale ?? (typeof h === "number" && typeof oh === "number" ? oh / h : 4));
  const padding = kind === "style" ? 0 : (m.upscaling?.padding ?? 0);
  if (fixed && padding) throw upscaleError("UPSCALE_MODEL_UNSUITABLE", `model ${m.id} has a fixed input size and context padding; tiles cannot feed it`);
  const norm = input.normalisation ?? { mean: [0, 0, 0], std: [255, 255, 255] };
  return { id: m.id, input: input.name, output: output.name, mean: norm.mean, std: norm.std, fixed, scale, padding, maxBatch: m.batch?.maxBatch ?? 1 };
}

function toTensor(img: RgbImage, spec: Spec): Float32Array {
  const plane = img.width * img.height;
  const data = new Float32Array(3 * plane);
  for (let c = 0; c < 3; c++) {
    const mean = spec.mean[c] ?? 0;
    const inv = 1 / (spec.std[c] ?? 1);
    for (let i = 0; i < plane; i++) data[c * plane + i] = ((img.pixels[i * 3 + c] as number) - mean) * inv;
  }
  return data;
}

function fromTensor(data: ArrayLike<number>, width: number, height: number, spec: Spec): RgbImage {
  const plane = width * height;
  if (data.length < 3 * plane) throw upscaleError("UPSCALE_BACKEND_BAD_OUTPUT", `model ${spec.id} gave ${data.length} values, not 3×${width}×${height}`);
  const pixels = new Uint8Array(3 * plane);
  for (let c = 0; c < 3; c++) {
    const mean = spec.mean[c] ?? 0;
    const std = spec.std[c] ?? 1;
    for (let i = 0; i < plane; i++) {
      const v = (data[c * plane + i] as number) * std + mean;
      pixels[i * 3 + c] = v <= 0 ? 0 : v >= 255 ? 255 : Math.round(v);
    }
  }
  return { pixels, width, height };
}

async function fit(img: RgbImage, width: number, height: number): Promise<RgbImage> {
  if (img.width === width && img.height === height) return img;
  const buf = await sharp(img.pixels, { raw: { width: img.width, height: img.height, channels: 3 } })
    .resize(width, height, { fit: "fill", kernel: "lanczos3" })
    .raw()
    .toBuffer();
  return { pixels: new Uint8Array(buf.buffer, buf.byteOffset, buf.length), width, height };
}

export function onnxBackend(
  models: Pick<PluginModels, "get" | "run">,
  options: { upscaleModel?: string; styleModel?: string; jobType?: string },
): ModelBackend {
  const up = options.upscaleModel ? onnxSpec(models.get(options.upscaleModel), "upscale") : null;
  const st = options.styleModel ? onnxSpec(models.get(options.styleModel), "style") : null;
  const run = async (spec: Spec, img: RgbImage, signal?: AbortSignal): Promise<UpscaledTile> => {
    // A fixed-size model gets the tile resized to its input; the tiler's tiles match it when tileSize does.
    const input = spec.fixed ? await fit(img, spec.fixed.width, spec.fixed.height) : img;
    const result = await models.run(
      spec.id,
      { [spec.input]: { type: "float32", data: toTensor(input, spec), dims: [1, 3, input.height, input.width] } },
      { jobType: options.jobType, signal },
    );
    const out = result.outputs[spec.output];
    if (!out) throw upscaleError("UPSCALE_BACKEND_BAD_OUTPUT", `model ${spec.id} has no output ${spec.output}`);
    const [, , oh, ow] = out.dims;
    return { ...fromTensor(out.data as Float32Array, ow as number, oh as number, spec), batchSize: result.batchSize };
  };
  return {
    id: `onnx:${[up?.id, st?.id].filter(Boolean).join("+")}`,
    capabilities: { upscale: up ? [up.scale] : [], generate: false, style: st !== null },
    context: up?.padding ?? 0,
    tileBatch: up?.maxBatch ?? 1,
    upscaleTile: up
      ? async (tile, scale, call) => {
          if (scale !== up.scale) throw upscaleError("UPSCALE_MODEL_UNSUITABLE", `model ${up.id} upscales ${up.scale}×, not ${scale}×`);
          const out = await run(up, tile, call.signal);
          // The tile came with `padding` px of context per side, which the model consumes.
          const want = { width: (tile.width - 2 * up.padding) * scale, height: (tile.height - 2 * up.padding) * scale };
          if (out.width === want.width && out.height === want.height) return out;
          return { ...(await fit(out, want.width, want.height)), batchSize: out.batchSize };
        }
      : undefined,
    style: st
      ? async (req: StyleRequest, call) => {
          const out = await run(st, req.image, call.signal);
          return sharp(out.pixels, { raw: { width: out.width, height: out.height, channels: 3 } })
            .resize(req.image.width, req.image.height, { fit: "fill" })
            .png()
            .toBuffer();
        }
      : undefined,
  };
}
