import { buffer } from "node:stream/consumers";
/** What routes, workers and the mask provider share: loading an asset's pixels, checking models, detecting. */
import type { PluginContext } from "@crealia/kernel/sdk";
import { type DetectionRun, detectFaces, type FaceModelChoice, modelIds } from "./detect/detector.js";
import { faceError } from "./errors.js";
import { decodeRgb, type RgbImage } from "./image.js";
import { FACEMESH_MODEL, landmarkFaces } from "./landmarks/facemesh.js";
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
  const bytes = await buffer(stream);
  try {
    return await decodeRgb(bytes);
  } catch (err) {
    throw faceError("FACE_IMAGE_UNREADABLE", `asset ${assetId} version ${version} could not be decoded: ${(err as Error).message}`);
  }
}

/** Throws the kernel's 409 `KERNEL_MODEL_NOT_INSTALLED` for the first model of the choice (and the mesh, for landmarks) that was not fetched. */
export async function requireModels(ctx: FaceCtx, choice: FaceModelChoice, landmarks = false): Promise<void> {
  for (const id of [...modelIds(choice), ...(landmarks ? [FACEMESH_MODEL] : [])]) {
    await ctx.models.require(id);
  }
}

/** Whether the face mesh was fetched: where landmarks are optional, they are used when it was. */
export async function meshInstalled(ctx: Pick<FaceCtx, "models">): Promise<boolean> {
  return (await ctx.models.status(FACEMESH_MODEL)) === "installed";
}

/**
 * The detect route's default for `landmarks`: the mesh's file is there, sound or not. A damaged
 * file (`corrupt`) is not silently skipped: the job then fails with the kernel's checksum error,
 * which tells the operator to fetch it again.
 */
export async function meshFetched(ctx: Pick<FaceCtx, "models">): Promise<boolean> {
  return (await ctx.models.status(FACEMESH_MODEL)) !== "missing";
}

/** Faces with BlazeFace, then (when `landmarks`) the 468-point mesh of each. */
export async function detectWithLandmarks(
  models: FaceCtx["models"],
  pixels: RgbImage,
  options: { model: FaceModelChoice; minScore?: number; landmarks: boolean; run?: { jobType?: string; signal?: AbortSignal } },
): Promise<DetectionRun> {
  const run = await detectFaces(models, pixels, { model: options.model, minScore: options.minScore, run: options.run });
  if (!options.landmarks || run.faces.length === 0) return run;
  const mesh = await landmarkFaces(models, pixels, run.faces, options.run);
  const t = run.timings;
  const ms = (v: number) => Math.round(v * 100) / 100;
  return {
    ...run,
    faces: mesh.faces,
    runs: [...run.runs, { model: FACEMESH_MODEL, device: mesh.device ?? "cpu", fallback: mesh.fallback, faces: mesh.faces.length }],
    timings: {
      preprocessMs: ms(t.preprocessMs + mesh.timings.preprocessMs),
      inferenceMs: ms(t.inferenceMs + mesh.timings.inferenceMs),
      postprocessMs: ms(t.postprocessMs + mesh.timings.postprocessMs),
    },
  };
}

export async function detectAndStore(
  ctx: FaceCtx,
  job: { tenantId: string; signal?: AbortSignal; jobType?: string },
  assetId: string,
  version: number,
  options: { model: FaceModelChoice; minScore?: number; landmarks: boolean; img?: RgbImage },
): Promise<{ stored: StoredDetection; run: DetectionRun }> {
  const { model } = options;
  const pixels = options.img ?? (await loadPixels(ctx, job.tenantId, assetId, version));
  const run = await detectWithLandmarks(ctx.models, pixels, { ...options, run: { jobType: job.jobType, signal: job.signal } });
  const stored = await new DetectionStore(ctx.db).save(job.tenantId, assetId, version, model, run);
  return { stored, run };
}
