/** What routes, workers and the mask provider share: loading an asset's pixels, checking models, detecting. */
import type { PluginContext } from "@crealia/kernel/sdk";
import { type DetectionRun, detectFaces, type FaceModelChoice, modelIds } from "./detect/detector.js";
import { faceError, modelNotInstalled } from "./errors.js";
import { decodeRgb, type RgbImage, readStream } from "./image.js";
import { DetectionStore, type StoredDetection } from "./store.js";

export type FaceCtx = Pick<PluginContext, "assets" | "models" | "db" | "jobs" | "log">;

/** The asset's version (current when absent), checked to be an image. */
export async function imageVersion(ctx: FaceCtx, tenantId: string, assetId: string, version?: number): Promise<{ version: number; name: string }> {
  const asset = await ctx.assets.get(tenantId, assetId);
  if (!asset) throw faceError("FACE_ASSET_NOT_FOUND", `no asset ${assetId}`);
  if (asset.kind !== "image") throw faceError("FACE_NOT_AN_IMAGE", `asset ${assetId} is a ${asset.kind}, not an image`);
  if (version !== undefined && (version < 1 || version > asset.currentVersion))
    throw faceError("FACE_ASSET_NOT_FOUND", `asset ${assetId} has no version ${version}`);
  return { version: version ?? asset.currentVersion, name: asset.name };
}

export async function loadPixels(ctx: FaceCtx, tenantId: string, assetId: string, version: number): Promise<RgbImage & { format: string }> {
  const { stream } = await ctx.assets.open(tenantId, assetId, { version });
  const bytes = await readStream(stream);
  try {
    return await decodeRgb(bytes);
  } catch (err) {
    throw faceError("FACE_IMAGE_UNREADABLE", `asset ${assetId} version ${version} could not be decoded: ${(err as Error).message}`);
  }
}

/** Throws the kernel's 409 `KERNEL_MODEL_NOT_INSTALLED` for the first model of the choice that was not fetched. */
export async function requireModels(ctx: FaceCtx, choice: FaceModelChoice): Promise<void> {
  for (const id of modelIds(choice)) {
    if ((await ctx.models.status(id)) === "missing") throw modelNotInstalled(id);
  }
}

export async function detectAndStore(
  ctx: FaceCtx,
  job: { tenantId: string; signal?: AbortSignal; jobType?: string },
  assetId: string,
  version: number,
  model: FaceModelChoice,
  minScore?: number,
  img?: RgbImage,
): Promise<{ stored: StoredDetection; run: DetectionRun }> {
  const pixels = img ?? (await loadPixels(ctx, job.tenantId, assetId, version));
  const run = await detectFaces(ctx.models, pixels, { model, minScore, run: { jobType: job.jobType, signal: job.signal } });
  const stored = await new DetectionStore(ctx.db).save(job.tenantId, assetId, version, model, run);
  return { stored, run };
}
