import type { JobContext } from "@crealia/kernel/sdk";
import type { Sharp } from "sharp";
import type { ModelBackend } from "../backends/backend.js";
import { upscaleError } from "../errors.js";
import { type RgbImage, rawSharp } from "../image.js";
import { loadPixels, resolveBackend, type UpscaleCtx } from "../service.js";
import { upscaleTiled } from "../tiles.js";

export interface UpscalePayload {
  assetId: string;
  version: number;
  scale: number;
  /** `lanczos`: asked for explicitly, used only when no backend is configured or its model is not installed, and said so in the result. */
  fallback?: "lanczos";
}

/** Output limit: the blend buffers cost 16 bytes per output pixel. */
export const MAX_OUTPUT_PIXELS = 64_000_000;

/** Why a lanczos fallback (when asked for) may stand in: no backend, or its model not fetched. */
export const FALLBACK_REASONS: Record<string, string> = {
  UPSCALE_BACKEND_NOT_CONFIGURED: "no model backend is configured",
  KERNEL_MODEL_NOT_INSTALLED: "the upscaling model is not installed (crealia models fetch)",
};

/**
 * The passes that reach `scale` with what the backend can do: one pass when it offers the scale,
 * else repeated passes of one it offers (4× as two 2× passes); null when none fits.
 */
export function upscalePasses(offered: readonly number[], scale: number): number[] | null {
  if (offered.includes(scale)) return [scale];
  for (const s of offered) {
    const passes: number[] = [];
    for (let reached = 1; reached < scale; reached *= s) passes.push(s);
    if (s > 1 && s ** passes.length === scale) return passes;
  }
  return null;
}

/** The passes for `scale` on this backend, or 422 `UPSCALE_MODEL_UNSUITABLE`. */
export function planPasses(backend: ModelBackend, scale: number): number[] {
  const passes = upscalePasses(backend.capabilities.upscale, scale);
  if (!passes)
    throw upscaleError("UPSCALE_MODEL_UNSUITABLE", `backend ${backend.id} upscales ${backend.capabilities.upscale.join("×, ")}×, which cannot make ${scale}×`);
  return passes;
}

export async function upscaleJob(ctx: UpscaleCtx, job: JobContext<UpscalePayload>) {
  const { assetId, version, scale } = job.payload;
  const started = performance.now();
  const img = await loadPixels(ctx, job.tenantId, assetId, version);
  if (img.width * img.height * scale * scale > MAX_OUTPUT_PIXELS) {
    throw upscaleError(
      "UPSCALE_TOO_LARGE",
      `${img.width}×${img.height} at ${scale}× is ${Math.round((img.width * img.height * scale * scale) / 1e6)} MP, over the ${MAX_OUTPUT_PIXELS / 1e6} MP limit`,
    );
  }
  let out: Sharp;
  let backendId: string;
  let fallback: string | null = null;
  let tiles = 0;
  // The most tiles one model call ran together, as the kernel reported it (1: none batched; 0: no model ran).
  let largestBatch = 0;
  try {
    const { backend, settings } = await resolveBackend(ctx, job.tenantId, "upscale", "upscale.upscale");
    if (!backend.upscaleTile) throw upscaleError("UPSCALE_BACKEND_NOT_CONFIGURED", `backend ${backend.id} cannot upscale`);
    const upscaleTile = backend.upscaleTile;
    const passes = planPasses(backend, scale);
    let current: RgbImage = img;
    for (const [i, passScale] of passes.entries()) {
      const tileUp = async (tile: RgbImage) => {
        const up = await upscaleTile(tile, passScale, { signal: job.signal });
        largestBatch = Math.max(largestBatch, up.batchSize ?? 1);
        return up;
      };
      const result = await upscaleTiled(current, tileUp, {
        scale: passScale,
        // A wave of the model's batch size at a time: the kernel runs equal-size tiles as one call.
        batch: backend.tileBatch ?? 1,
        tileSize: settings.tileSize ?? 512,
        overlap: settings.tileOverlap ?? 32,
        context: backend.context ?? 0,
        signal: job.signal,
        // Progress per tile, the passes sharing 5–90 %.
        onTile: (done, total) => job.progress(0.05 + (0.85 * (i + done / total)) / passes.length),
      });
      tiles += result.tiles;
      current = result;
    }
    backendId = backend.id;
    out = rawSharp(current);
  } catch (err) {
    const reason = FALLBACK_REASONS[(err as { code?: string }).code ?? ""];
    if (job.payload.fallback !== "lanczos" || !reason) throw err;
    backendId = "lanczos";
    fallback = `${reason}: a sharp lanczos3 resize, not an AI upscale`;
    out = rawSharp(img).resize(img.width * scale, img.height * scale, { kernel: "lanczos3" });
  }
  const bytes =
    img.format === "png"
      ? await out.png().toBuffer()
      : img.format === "webp"
        ? await out.webp({ quality: 92 }).toBuffer()
        : await out.jpeg({ quality: 92 }).toBuffer();
  const added = await ctx.assets.addVersion(job.tenantId, assetId, bytes, { userId: job.userId, idempotencyKey: job.id });
  const seconds = (performance.now() - started) / 1000;
  return {
    status: "upscaled",
    assetId,
    fromVersion: version,
    newVersion: added.version,
    ingestJobId: added.jobId,
    scale,
    width: img.width * scale,
    height: img.height * scale,
    backend: backendId,
    fallback,
    tiles,
    largestBatch,
    megapixelsPerSecond: Math.round(((img.width * img.height * scale * scale) / 1e6 / seconds) * 100) / 100,
  };
}
