import type { JobContext } from "@crealia/kernel/sdk";
import type { Sharp } from "sharp";
import { upscaleError } from "../errors.js";
import { rawSharp } from "../image.js";
import { loadPixels, resolveBackend, type UpscaleCtx } from "../service.js";
import { upscaleTiled } from "../tiles.js";

export interface UpscalePayload {
  assetId: string;
  version: number;
  scale: number;
  /** `lanczos`: asked for explicitly, used only when no backend is configured, and said so in the result. */
  fallback?: "lanczos";
}

/** Output limit: the blend buffers cost 16 bytes per output pixel. */
export const MAX_OUTPUT_PIXELS = 64_000_000;

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
  try {
    const { backend, settings } = await resolveBackend(ctx, job.tenantId, "upscale", "upscale.upscale");
    if (!backend.upscaleTile) throw upscaleError("UPSCALE_BACKEND_NOT_CONFIGURED", `backend ${backend.id} cannot upscale`);
    const upscaleTile = backend.upscaleTile;
    const result = await upscaleTiled(img, (tile) => upscaleTile(tile, scale, { signal: job.signal }), {
      scale,
      tileSize: settings.tileSize ?? 512,
      overlap: settings.tileOverlap ?? 32,
      signal: job.signal,
      onTile: (done, total) => job.progress(0.05 + 0.85 * (done / total)),
    });
    tiles = result.tiles;
    backendId = backend.id;
    out = rawSharp(result);
  } catch (err) {
    if (job.payload.fallback !== "lanczos" || (err as { code?: string }).code !== "UPSCALE_BACKEND_NOT_CONFIGURED") throw err;
    backendId = "lanczos";
    fallback = "no model backend is configured: a sharp lanczos3 resize, not an AI upscale";
    out = rawSharp(img).resize(img.width * scale, img.height * scale, { kernel: "lanczos3" });
  }
  const bytes =
    img.format === "png"
      ? await out.png().toBuffer()
      : img.format === "webp"
        ? await out.webp({ quality: 92 }).toBuffer()
        : await out.jpeg({ quality: 92 }).toBuffer();
  const added = await ctx.assets.addVersion(job.tenantId, assetId, bytes, { userId: job.userId });
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
    megapixelsPerSecond: Math.round(((img.width * img.height * scale * scale) / 1e6 / seconds) * 100) / 100,
  };
}
