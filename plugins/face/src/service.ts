import { buffer } from "node:stream/consumers";
/** What routes, workers and the mask provider share: loading an asset's pixels, checking models, detecting. */
import type { PluginContext } from "@crealia/kernel/sdk";
import { type DetectionRun, detectFaces, type FaceModelChoice, type FaceModelId, modelIds } from "./detect/detector.js";
import { faceError } from "./errors.js";
import { decodeRgb, type RgbImage } from "./image.js";
import { FACEMESH_MODEL, landmarkFaces } from "./landmarks/facemesh.js";
import { IRIS_MODEL, irisFaces } from "./landmarks/iris.js";
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

/**
 * The BlazeFace models a choice runs now: `front` and `back` their own; `auto` those fetched (both
 * when both are), so a newcomer who fetched one is not refused. A damaged file counts as fetched:
 * the job then fails with the kernel's checksum error rather than quietly running one model. When
 * `auto` finds none, it gives both, and the first one's missing file is what the caller reports.
 */
export async function detectorModels(models: Pick<FaceCtx["models"], "status">, choice: FaceModelChoice): Promise<FaceModelId[]> {
  const ids = modelIds(choice);
  if (choice !== "auto") return ids;
  const fetched: FaceModelId[] = [];
  for (const id of ids) if ((await models.status(id)) !== "missing") fetched.push(id);
  return fetched.length > 0 ? fetched : ids;
}

/**
 * Throws the kernel's 409 `KERNEL_MODEL_NOT_INSTALLED` for the first model the choice would run
 * (and the mesh, for landmarks) that was not fetched: for `auto`, only when neither BlazeFace model was.
 */
export async function requireModels(ctx: FaceCtx, choice: FaceModelChoice, landmarks = false): Promise<void> {
  for (const id of [...(await detectorModels(ctx.models, choice)), ...(landmarks ? [FACEMESH_MODEL] : [])]) {
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

/** The `iris` model's file is there (sound or not): where the mesh runs, a damaged one then fails the job loudly. */
export async function irisFetched(ctx: Pick<FaceCtx, "models">): Promise<boolean> {
  return (await ctx.models.status(IRIS_MODEL)) !== "missing";
}

/** The `iris` model is there and sound: where it is only a refinement (masks, retouch), it is used then. */
export async function irisInstalled(ctx: Pick<FaceCtx, "models">): Promise<boolean> {
  return (await ctx.models.status(IRIS_MODEL)) === "installed";
}

/**
 * Faces with BlazeFace (for `auto`, the models fetched), then (when `landmarks`) the 468-point mesh
 * of each, then (when also `iris`) both irises of each.
 */
export async function detectWithLandmarks(
  models: FaceCtx["models"],
  pixels: RgbImage,
  options: { model: FaceModelChoice; minScore?: number; landmarks: boolean; iris?: boolean; run?: { jobType?: string; signal?: AbortSignal } },
): Promise<DetectionRun> {
  const ids = await detectorModels(models, options.model);
  let run = await detectFaces(models, pixels, { model: options.model, ids, minScore: options.minScore, run: options.run });
  if (!options.landmarks || run.faces.length === 0) return run;
  run = withStage(run, FACEMESH_MODEL, await landmarkFaces(models, pixels, run.faces, options.run));
  if (!options.iris) return run;
  return withStage(run, IRIS_MODEL, await irisFaces(models, pixels, run.faces, options.run));
}

/** The run with a landmark stage's faces, its entry in `runs` and its timings added. */
function withStage(run: DetectionRun, model: "facemesh" | "iris", stage: Awaited<ReturnType<typeof landmarkFaces>>): DetectionRun {
  const t = run.timings;
  const ms = (v: number) => Math.round(v * 100) / 100;
  return {
    ...run,
    faces: stage.faces,
    runs: [...run.runs, { model, device: stage.device ?? "cpu", fallback: stage.fallback, faces: stage.faces.length }],
    timings: {
      preprocessMs: ms(t.preprocessMs + stage.timings.preprocessMs),
      inferenceMs: ms(t.inferenceMs + stage.timings.inferenceMs),
      postprocessMs: ms(t.postprocessMs + stage.timings.postprocessMs),
    },
  };
}

export async function detectAndStore(
  ctx: FaceCtx,
  job: { tenantId: string; signal?: AbortSignal; jobType?: string },
  assetId: string,
  version: number,
  options: { model: FaceModelChoice; minScore?: number; landmarks: boolean; iris?: boolean; img?: RgbImage },
): Promise<{ stored: StoredDetection; run: DetectionRun }> {
  const { model } = options;
  const pixels = options.img ?? (await loadPixels(ctx, job.tenantId, assetId, version));
  const run = await detectWithLandmarks(ctx.models, pixels, { ...options, run: { jobType: job.jobType, signal: job.signal } });
  const stored = await new DetectionStore(ctx.db).save(job.tenantId, assetId, version, model, run);
  return { stored, run };
}
