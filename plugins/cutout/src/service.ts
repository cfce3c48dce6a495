import { buffer } from "node:stream/consumers";
import type { PluginContext } from "@crealia/kernel/sdk";
import { cutoutError } from "./errors.js";
import { decodeRgb, type RgbImage } from "./image.js";

export type CutoutCtx = Pick<PluginContext, "assets" | "models" | "jobs" | "log">;

/** Models this plugin runs, best default first. */
export const CUTOUT_MODELS = ["isnet-small", "isnet-medium"] as const;
export type CutoutModel = (typeof CUTOUT_MODELS)[number];

/**
 * Longest side ÷ shortest side the segmentation takes. The model sees the photo resized to its
 * square input (1024²): a 4:1 photo is squeezed 4× across already, and a 20 000×400 panorama
 * (50:1) would leave its subject a few pixels wide. Tiling does not help: a salient-object model
 * finds "the subject" of each tile. Such photos are refused; cropping them first is the way.
 */
export const MAX_ASPECT = 4;

export function checkAspect(width: number | null, height: number | null, what: string): void {
  if (!width || !height) return;
  const aspect = Math.max(width, height) / Math.min(width, height);
  if (aspect > MAX_ASPECT) {
    throw cutoutError(
      "CUTOUT_ASPECT_UNSUPPORTED",
      `${what} is ${width}×${height} (${aspect.toFixed(1)}:1); background removal takes at most ${MAX_ASPECT}:1, because the model sees the photo squeezed into a square: crop it first`,
      { width, height, maxAspect: MAX_ASPECT },
    );
  }
}

export async function imageVersion(ctx: CutoutCtx, tenantId: string, assetId: string, version?: number): Promise<number> {
  const asset = await ctx.assets.get(tenantId, assetId);
  if (!asset) throw cutoutError("CUTOUT_ASSET_NOT_FOUND", `no asset ${assetId}`);
  if (asset.kind !== "image") throw cutoutError("CUTOUT_NOT_AN_IMAGE", `asset ${assetId} is a ${asset.kind}, not an image`);
  if (version !== undefined && (version < 1 || version > asset.currentVersion))
    throw cutoutError("CUTOUT_ASSET_NOT_FOUND", `asset ${assetId} has no version ${version}`);
  // The asset's size is its current version's; the job checks the version it decodes all the same.
  if (version === undefined || version === asset.currentVersion) checkAspect(asset.width, asset.height, `asset ${assetId}`);
  return version ?? asset.currentVersion;
}

export async function assetBytes(ctx: CutoutCtx, tenantId: string, assetId: string, version?: number): Promise<Buffer> {
  const { stream } = await ctx.assets.open(tenantId, assetId, version === undefined ? {} : { version });
  return buffer(stream);
}

export async function loadPixels(ctx: CutoutCtx, tenantId: string, assetId: string, version: number): Promise<RgbImage> {
  const bytes = await assetBytes(ctx, tenantId, assetId, version);
  try {
    return await decodeRgb(bytes);
  } catch (err) {
    throw cutoutError("CUTOUT_IMAGE_UNREADABLE", `asset ${assetId} version ${version} could not be decoded: ${(err as Error).message}`);
  }
}
