import type { PluginContext } from "@crealia/kernel/sdk";
import { cutoutError, modelNotInstalled } from "./errors.js";
import { decodeRgb, type RgbImage, readStream } from "./image.js";

export type CutoutCtx = Pick<PluginContext, "assets" | "models" | "jobs" | "log">;

/** Models this plugin runs, best default first. */
export const CUTOUT_MODELS = ["isnet-small", "isnet-medium"] as const;
export type CutoutModel = (typeof CUTOUT_MODELS)[number];

export async function imageVersion(ctx: CutoutCtx, tenantId: string, assetId: string, version?: number): Promise<number> {
  const asset = await ctx.assets.get(tenantId, assetId);
  if (!asset) throw cutoutError("CUTOUT_ASSET_NOT_FOUND", `no asset ${assetId}`);
  if (asset.kind !== "image") throw cutoutError("CUTOUT_NOT_AN_IMAGE", `asset ${assetId} is a ${asset.kind}, not an image`);
  if (version !== undefined && (version < 1 || version > asset.currentVersion))
    throw cutoutError("CUTOUT_ASSET_NOT_FOUND", `asset ${assetId} has no version ${version}`);
  return version ?? asset.currentVersion;
}

export async function assetBytes(ctx: CutoutCtx, tenantId: string, assetId: string, version?: number): Promise<Buffer> {
  const { stream } = await ctx.assets.open(tenantId, assetId, version === undefined ? {} : { version });
  return readStream(stream);
}

export async function loadPixels(ctx: CutoutCtx, tenantId: string, assetId: string, version: number): Promise<RgbImage> {
  const bytes = await assetBytes(ctx, tenantId, assetId, version);
  try {
    return await decodeRgb(bytes);
  } catch (err) {
    throw cutoutError("CUTOUT_IMAGE_UNREADABLE", `asset ${assetId} version ${version} could not be decoded: ${(err as Error).message}`);
  }
}

/** The kernel's 409 `KERNEL_MODEL_NOT_INSTALLED` before a job is queued (a corrupt file fails in the job with `KERNEL_MODEL_CHECKSUM`). */
export async function requireModel(ctx: CutoutCtx, id: string): Promise<void> {
  if ((await ctx.models.status(id)) === "missing") throw modelNotInstalled(id);
}
